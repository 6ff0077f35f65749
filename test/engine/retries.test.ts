/**
 * Every task is idempotent, so the workflow retries it after KubeTransient and Lambda errors
 * (lib/workflow/definition.ts TRANSIENT_RETRY). For each task, at each of its writes, two failures: the
 * write refused (a 503), and the write done but its answer lost. The retried task must return
 * what an undisturbed run returns and leave the cluster in the same state.
 */
import type { ReleaseContext } from '../../lib/core/contract';
import type { KubeObject } from '../../lib/core/objects';
import { releaseFromSecret } from '../../lib/core/release-record';
import { engineTasks } from '../../lib/engine';
import { configMap, docs, hook as hookDoc } from '../support/charts';
import { apiErrors } from '../support/fake-kube';
import { deploy, engineHarness, prepared, runHookPhase, type EngineHarness } from '../support/fake-engine';

const NS = 'web';
const CHARTS = {
  '/v1': {
    templates: {
      'cm.yaml': docs(configMap('app'), configMap('old')),
      'hooks.yaml': docs(
        hookDoc({ name: 'pre', events: 'pre-install,pre-upgrade', deletePolicy: 'before-hook-creation,hook-succeeded' }),
        hookDoc({ name: 'post', events: 'post-install,post-upgrade', deletePolicy: 'hook-failed', weight: '1' }),
        hookDoc({ name: 'pre-del', events: 'pre-delete', deletePolicy: 'hook-succeeded' }),
      ),
    },
  },
  '/v2': { templates: { 'cm.yaml': configMap('app', '  labels:\n    v: "2"\n'), 'hooks.yaml': hookDoc({ name: 'pre', events: 'pre-upgrade', deletePolicy: 'hook-succeeded' }) } },
};
const install = (options: Record<string, unknown> = {}) => ({ action: 'install', release: 'site', namespace: NS, chart: { source: '/v1' }, options });
const upgrade = { action: 'upgrade', release: 'site', namespace: NS, chart: { source: '/v2' } };

/** A task call in a given state: `setup` brings a fresh cluster there and returns the call. */
interface Case {
  readonly name: string;
  readonly setup: (h: EngineHarness) => Promise<() => Promise<unknown>>;
  /** A part of the result a retry may give differently, and why that is accepted. */
  readonly mayDiffer?: { readonly path: string; readonly why: string };
}

const RENDER_WARNINGS = { path: '.result.warnings', why: "a retry that finds its own lock does not render again: the render's warnings are not repeated" };

async function installed(h: EngineHarness, options: Record<string, unknown> = {}): Promise<void> {
  await deploy(h, install(options));
}

async function preparedInstall(h: EngineHarness, options: Record<string, unknown> = {}): Promise<ReleaseContext> {
  return prepared(h.deps, install(options), 'run');
}

const CASES: Case[] = [
  { name: 'prepare install', setup: async (h) => () => prepared(h.deps, install(), 'run'), mayDiffer: RENDER_WARNINGS },
  { name: 'prepare upgrade', setup: async (h) => (await installed(h), () => prepared(h.deps, upgrade, 'run')), mayDiffer: RENDER_WARNINGS },
  { name: 'prepare rollback', setup: async (h) => (await installed(h), await deploy(h, upgrade, 'u'), () => prepared(h.deps, { action: 'rollback', release: 'site', namespace: NS }, 'run')) },
  { name: 'prepare uninstall', setup: async (h) => (await installed(h), () => prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'run')) },
  { name: 'prepare test', setup: async (h) => (await installed(h), () => prepared(h.deps, { action: 'test', release: 'site', namespace: NS }, 'run')) },
  {
    name: 'applyHookGroup',
    setup: async (h) => {
      const ctx = await preparedInstall(h);
      return () => engineTasks.applyHookGroup({ ctx, hook: { event: 'pre-install', group: 0 } }, h.deps);
    },
  },
  {
    name: 'applyHookGroup, client-side apply release',
    setup: async (h) => {
      const ctx = await preparedInstall(h, { serverSide: false });
      return () => engineTasks.applyHookGroup({ ctx, hook: { event: 'pre-install', group: 0 } }, h.deps);
    },
  },
  {
    name: 'finishHooks',
    setup: async (h) => {
      const ctx = await preparedInstall(h);
      const { hook } = await runHookPhase(h, ctx, 'pre-install');
      return () => engineTasks.finishHooks({ ctx, hook }, h.deps);
    },
  },
  {
    name: 'failHookGroup',
    setup: async (h) => {
      const ctx = await preparedInstall(h);
      const { hook } = await runHookPhase(h, ctx, 'post-install', 'Failed');
      return () => engineTasks.failHookGroup({ ctx, hook }, h.deps);
    },
    mayDiffer: { path: '.result.Cause', why: 'hook-failed deleted the failed Job before the answer was lost: its reason and logs went with it' },
  },
  { name: 'applyResources', setup: async (h) => ((ctx) => () => engineTasks.applyResources({ ctx, apply: { next: 0 } }, h.deps))(await preparedInstall(h)) },
  {
    name: 'applyResources, client-side upgrade',
    setup: async (h) => {
      await installed(h, { serverSide: false });
      const ctx = await prepared(h.deps, upgrade, 'run');
      return () => engineTasks.applyResources({ ctx, apply: { next: 0 } }, h.deps);
    },
  },
  {
    name: 'deleteResources, upgrade',
    setup: async (h) => {
      await installed(h);
      const ctx = await prepared(h.deps, upgrade, 'run');
      return () => engineTasks.deleteResources({ ctx }, h.deps);
    },
    mayDiffer: { path: '.result.deleted', why: "it counts this attempt's deletions (the workflow discards the result)" },
  },
  {
    name: 'deleteResources, uninstall',
    setup: async (h) => {
      await installed(h);
      const ctx = await prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'run');
      return () => engineTasks.deleteResources({ ctx }, h.deps);
    },
    mayDiffer: { path: '.result.deleted', why: "it counts this attempt's deletions (the workflow discards the result)" },
  },
  {
    name: 'finalize install',
    setup: async (h) => {
      let ctx = await preparedInstall(h);
      ({ ctx } = await runHookPhase(h, ctx, 'post-install'));
      return () => engineTasks.finalize({ ctx }, h.deps);
    },
  },
  {
    name: 'finalize upgrade',
    setup: async (h) => {
      await installed(h);
      const ctx = await prepared(h.deps, upgrade, 'run');
      return () => engineTasks.finalize({ ctx }, h.deps);
    },
  },
  {
    name: 'finalize uninstall (purge)',
    setup: async (h) => {
      await installed(h);
      await deploy(h, upgrade, 'u');
      const ctx = await prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'run');
      return () => engineTasks.finalize({ ctx }, h.deps);
    },
    mayDiffer: { path: '.result.hooks', why: 'a retry after the purge removed the last record has no hook runs left to summarize' },
  },
  {
    name: 'markFailed',
    setup: async (h) => {
      const ctx = await preparedInstall(h);
      const { hook } = await runHookPhase(h, ctx, 'post-install', 'Failed');
      const error = await engineTasks.failHookGroup({ ctx, hook }, h.deps);
      return () => engineTasks.markFailed({ ctx, error }, h.deps);
    },
  },
  {
    name: 'markFailed, atomic upgrade',
    setup: async (h) => {
      await installed(h);
      const ctx = await prepared(h.deps, { ...upgrade, options: { atomic: true } }, 'run');
      return () => engineTasks.markFailed({ ctx, error: { Error: 'HookFailed', Cause: 'x' } }, h.deps);
    },
  },
];

/** The cluster as the engine leaves it: objects without their server-set versions, records decoded. */
function snapshot(h: EngineHarness): unknown[] {
  const strip = ({ metadata: { resourceVersion: _rv, uid: _uid, ...metadata }, ...rest }: KubeObject) => ({ ...rest, metadata });
  return h.kube
    .all('Secret')
    .concat(h.kube.all('ConfigMap'), h.kube.all('Job'), h.kube.all('Pod'))
    .map((o) => (o.kind === 'Secret' ? { ...strip(o), data: releaseFromSecret(o as never) } : strip(o)))
    .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

/** Where two JSON values first differ, as `path: got … want …`; undefined when equal. */
function firstDifference(got: unknown, want: unknown, path = ''): string | undefined {
  if (JSON.stringify(got) === JSON.stringify(want)) return undefined;
  if (typeof got !== 'object' || typeof want !== 'object' || got === null || want === null) return `${path}: ${JSON.stringify(got)?.slice(0, 200)} ≠ ${JSON.stringify(want)?.slice(0, 200)}`;
  const keys = [...new Set([...Object.keys(got), ...Object.keys(want)])];
  for (const k of keys) {
    const d = firstDifference((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return `${path}: differs`;
}

async function undisturbed(c: Case) {
  const h = engineHarness(CHARTS);
  const run = await c.setup(h);
  h.kube.resetCalls();
  const result = await run();
  return { result, writes: h.kube.trace().length, state: snapshot(h) };
}

describe.each(CASES)('$name', (c) => {
  test('a failure at any write, retried, ends as an undisturbed run', async () => {
    const clean = await undisturbed(c);
    const outcomes: string[] = [];
    for (let nth = 1; nth <= clean.writes; nth++) {
      for (const lostAnswer of [false, true]) {
        const h = engineHarness(CHARTS);
        const run = await c.setup(h);
        h.kube.failOn({ write: true }, apiErrors.transient(), { nth, lostAnswer });
        const attempt = () =>
          run().then(
            (result) => ({ result, state: snapshot(h) }),
            (e: Error) => ({ error: `${e.name}: ${e.message}` }),
          );
        // a task that reads back what a lost answer did may carry on; else it fails, as injected, and is retried
        const first = await attempt();
        const retried = 'error' in first && first.error.startsWith('KubeTransient: ') ? await attempt() : first;
        const difference = 'error' in retried ? retried.error : (firstDifference(retried.state, clean.state, '.state') ?? firstDifference(retried.result, clean.result, '.result'));
        if (difference && !(c.mayDiffer && difference.startsWith(`${c.mayDiffer.path}:`))) outcomes.push(`write ${nth}${lostAnswer ? ' (answer lost)' : ''}: ${difference}`);
      }
    }
    expect(outcomes).toEqual([]);
  });
});
