/**
 * What an engine test needs besides the fake cluster: a renderer that returns the release a
 * chart's rendered documents make (as `helm install --dry-run=server --output=json` returns it,
 * lib/helm/dry-run.ts), a clock the test moves, and the deps bag. No helm, no sim, no runner.
 */
import type { HookCursor, ReleaseContext, ReleaseOutput } from '../../lib/core/contract';
import type { HookEvent } from '../../lib/core/hooks';
import { EVENTS_BY_ACTION } from '../../lib/core/plan';
import { releaseFromSecret } from '../../lib/core/release-record';
import { classifyManifest } from '../../lib/core/hooks';
import { joinManifest, splitManifest } from '../../lib/core/manifest';
import type { HelmHook, HelmRelease } from '../../lib/core/release-record';
import type { EngineDeps, Logger, RenderRequest, RenderedRelease, Renderer } from '../../lib/engine/deps';
import { engineTasks } from '../../lib/engine';
import { applyMethod } from '../../lib/engine/prepare';
import { FakeKube } from './fake-kube';

/** A chart as its rendered templates: template path (under `templates/`) → documents. */
export interface FakeChart {
  readonly name?: string;
  readonly version?: string;
  readonly templates: Record<string, string>;
  /** The chart's crds/ files, as `helm template --include-crds` prints them. */
  readonly crds?: Record<string, string>;
  readonly notes?: string;
  readonly warnings?: string[];
}

const stream = (chart: string, dir: string, files: Record<string, string>): string =>
  Object.entries(files)
    .map(([file, text]) => `---\n# Source: ${chart}/${dir}/${file}\n${text}`)
    .join('\n');

/** The release Helm renders from `chart`: hooks split off (never run yet), resources in its manifest. */
export function renderRelease(chart: FakeChart, req: Pick<RenderRequest, 'release' | 'namespace' | 'values' | 'history' | 'serverSide'>): HelmRelease {
  const name = chart.name ?? 'app';
  const { hooks, resources } = classifyManifest(splitManifest(stream(name, 'templates', chart.templates)));
  const helmHooks: HelmHook[] = hooks.map((h) => ({
    name: h.name,
    kind: h.kind,
    path: h.path,
    manifest: h.manifest,
    events: h.events,
    last_run: { phase: '' },
    weight: h.weight,
    ...(h.deletePolicies.length ? { delete_policies: h.deletePolicies } : {}),
    ...(h.outputLogPolicies.length ? { output_log_policies: h.outputLogPolicies } : {}),
  }));
  const from = req.history?.[req.history.length - 1];
  return {
    name: req.release,
    namespace: req.namespace,
    version: 0,
    info: { status: 'pending-install', ...(chart.notes ? { notes: chart.notes } : {}) },
    chart: { metadata: { name, version: chart.version ?? '0.1.0', apiVersion: 'v2' }, lock: null, templates: null, values: null, schema: null, files: null },
    config: req.values ?? {},
    manifest: resources.length ? joinManifest(resources) : '',
    hooks: helmHooks,
    apply_method: applyMethod(req.serverSide ?? true, from),
  };
}

/** Renders the chart its `chartPath` names; records every request. */
export class FakeRenderer implements Renderer {
  readonly requests: RenderRequest[] = [];

  constructor(readonly charts: Record<string, FakeChart>) {}

  async render(req: RenderRequest): Promise<RenderedRelease> {
    this.requests.push(req);
    const chart = this.chart(req.chartPath);
    return { release: renderRelease(chart, req), warnings: chart.warnings ?? [] };
  }

  async crds(req: Pick<RenderRequest, 'chartPath'>): Promise<string> {
    const chart = this.chart(req.chartPath);
    return chart.crds ? stream(chart.name ?? 'app', 'crds', chart.crds) : '';
  }

  private chart(path: string): FakeChart {
    const chart = this.charts[path];
    if (!chart) throw new Error(`fake renderer: no chart at ${path}`);
    return chart;
  }
}

/** A clock that stands still until the test moves it. */
export class FakeClock {
  private now: number;
  constructor(start = '2026-01-01T00:00:00.000Z') {
    this.now = Date.parse(start);
  }
  readonly read = (): Date => new Date(this.now);
  advance(seconds: number): void {
    this.now += seconds * 1000;
  }
}

export interface LogLine {
  readonly level: keyof Logger;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export interface EngineHarness {
  readonly kube: FakeKube;
  readonly renderer: FakeRenderer;
  readonly clock: FakeClock;
  readonly logs: LogLine[];
  readonly deps: EngineDeps;
}

/** Fresh fake cluster, renderer and clock; `sleep` moves the clock instead of waiting. */
export function engineHarness(charts: Record<string, FakeChart> = {}, extra: Partial<EngineDeps> = {}): EngineHarness {
  const kube = new FakeKube();
  const renderer = new FakeRenderer(charts);
  const clock = new FakeClock();
  const logs: LogLine[] = [];
  const log = (level: keyof Logger) => (message: string, fields?: Record<string, unknown>) => void logs.push({ level, message, ...(fields ? { fields } : {}) });
  const deps: EngineDeps = {
    kube,
    renderer,
    fetch: async (source) => source,
    localSources: true,
    clock: clock.read,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    sleep: async (ms) => clock.advance(ms / 1000),
    ...extra,
  };
  return { kube, renderer, clock, logs, deps };
}

export const ARN = 'arn:aws:states:us-east-1:123456789012:execution:HelmRelease:';

/** validate + prepare, as the workflow's first two states run them, as execution `name`. */
export async function prepared(deps: EngineDeps, input: Record<string, unknown>, name = 'exec'): Promise<ReleaseContext> {
  const validated = await engineTasks.validate({ input, execution: `${ARN}${name}` }, deps);
  return engineTasks.prepare(validated, deps);
}

/**
 * One hook event as the workflow walks it, every Job and Pod finishing as `outcome` says once it
 * is created: the shortest way to a release in a given state. Returns the finished cursor.
 */
export async function runHookPhase(h: EngineHarness, ctx: ReleaseContext, event: HookEvent, outcome: 'Complete' | 'Failed' = 'Complete'): Promise<{ ctx: ReleaseContext; hook: HookCursor }> {
  let hook: HookCursor = { event, group: 0 };
  for (;;) {
    hook = await engineTasks.applyHookGroup({ ctx, hook }, h.deps);
    if (hook.status === 'done') return { ctx: await engineTasks.finishHooks({ ctx, hook }, h.deps), hook };
    for (const { hook: name } of hook.hooks ?? []) finish(h, ctx.namespace, name, outcome);
    hook = await engineTasks.pollHookGroup({ ctx, hook }, h.deps);
    if (hook.status !== 'succeeded') return { ctx, hook };
  }
}

function finish(h: EngineHarness, namespace: string, kindAndName: string, outcome: 'Complete' | 'Failed'): void {
  const [kind, name] = kindAndName.split('/');
  if (kind === 'Job') h.kube.finishJob(namespace, name, outcome);
  if (kind === 'Pod') h.kube.finishPod(namespace, name, outcome === 'Complete' ? 'Succeeded' : 'Failed');
}

/** A whole successful run of `input` (hooks complete at once), as execution `name`. */
export async function deploy(h: EngineHarness, input: Record<string, unknown>, name = 'deploy'): Promise<ReleaseOutput> {
  let ctx = await prepared(h.deps, input, name);
  const [pre, post] = EVENTS_BY_ACTION[ctx.recovering ?? ctx.action];
  ({ ctx } = await runHookPhase(h, ctx, pre));
  if (ctx.action !== 'uninstall') {
    for (let apply = { next: 0 }; ; ) {
      const cursor = await engineTasks.applyResources({ ctx, apply }, h.deps);
      if (cursor.done) break;
      apply = { next: cursor.next };
    }
  }
  await engineTasks.deleteResources({ ctx }, h.deps);
  if (post) ({ ctx } = await runHookPhase(h, ctx, post));
  return engineTasks.finalize({ ctx }, h.deps);
}

/** The release's records as `revision:status`, oldest first. */
export function records(h: EngineHarness, namespace: string): string[] {
  return h.kube
    .all('Secret', namespace)
    .filter((s) => s.metadata.labels?.owner === 'helm')
    .map((s) => releaseFromSecret(s as never))
    .sort((a, b) => a.version - b.version)
    .map((r) => `${r.version}:${r.info.status}`);
}
