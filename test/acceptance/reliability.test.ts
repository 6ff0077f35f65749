/**
 * No release stranded or raced: API outages at every phase of an upgrade, and every action
 * racing an uninstall, on the simulated cluster with the real workflow.
 */
import type { KubeObject } from '../../lib/core/objects';
import { releaseFromSecret, type HelmRelease } from '../../lib/core/release-record';
import { LOCK_ANNOTATION } from '../../lib/engine/release-store';
import type { FaultEffect } from '../../lib/sim';
import type { LocalRunResult } from '../../lib/local/runner';
import { configMap, docs, hook, writeChart } from '../support/charts';
import { lastSeq, useSim, writes } from './support';

const h = useSim();

const chart = writeChart({
  name: 'store',
  values: 'tag: "1"\nextra: true\nadded: false\nfailPre: false\nfailPost: false\n',
  templates: {
    'app.yaml': docs(
      configMap('app'),
      `{{- if .Values.extra }}\n${configMap('extra')}{{- end }}`,
      `{{- if .Values.added }}\n${configMap('added-by-upgrade')}{{- end }}`,
    ),
    'hooks.yaml': docs(
      hook({ name: 'backup', events: 'pre-upgrade', deletePolicy: 'before-hook-creation,hook-succeeded', script: 'sleep 20; exit {{ if .Values.failPre }}1{{ else }}0{{ end }}' }),
      hook({ name: 'smoke', events: 'post-upgrade', deletePolicy: 'before-hook-creation,hook-succeeded', script: 'exit {{ if .Values.failPost }}1{{ else }}0{{ end }}' }),
      hook({ name: 'restore', events: 'pre-rollback', deletePolicy: 'before-hook-creation,hook-succeeded', script: 'echo restore' }),
      hook({ name: 'final-backup', events: 'pre-delete', deletePolicy: 'before-hook-creation,hook-succeeded', script: 'sleep 100; echo final' }),
      hook({ name: 'check', kind: 'Pod', events: 'test', deletePolicy: 'before-hook-creation,hook-succeeded', script: 'sleep 100; echo ok' }),
    ),
  },
});

type Values = Record<string, unknown>;
const base = (n: string) => ({ release: 'store', namespace: n });
const install = (n: string) => h.run({ action: 'install', ...base(n), chart: { source: chart } });
const upgradeInput = (n: string, values: Values) => ({ action: 'upgrade', ...base(n), chart: { source: chart }, values });
const upgrade = (n: string, values: Values = { tag: '2', extra: false }, opts = {}) => h.run(upgradeInput(n, values), opts);
const rollback = (n: string) => h.run({ action: 'rollback', ...base(n), revision: 1 });
const uninstall = (n: string, opts = {}) => h.run({ action: 'uninstall', ...base(n) }, opts);
const runTests = (n: string, opts = {}) => h.run({ action: 'test', ...base(n) }, opts);

function secrets(n: string): KubeObject[] {
  return (h.sim.list('v1', 'Secret', n) as KubeObject[]).filter((s) => s.metadata.labels?.owner === 'helm');
}
function records(n: string): HelmRelease[] {
  return secrets(n)
    .map((s) => releaseFromSecret(s as never))
    .sort((a, b) => a.version - b.version);
}
const history = (n: string) => records(n).map((r) => `${r.version}:${r.info.status}`);
/** Objects the release owns (Helm's ownership annotation), as Kind/name. */
const owned = (n: string) =>
  (h.sim.list('v1', 'ConfigMap', n) as KubeObject[]).filter((o) => o.metadata.annotations?.['meta.helm.sh/release-name'] === 'store').map((o) => o.metadata.name).sort();
const hookObjects = (n: string) => [...(h.sim.list('batch/v1', 'Job', n) as KubeObject[]), ...(h.sim.list('v1', 'Pod', n) as KubeObject[]).filter((p) => !p.metadata.labels?.['job-name'])].map((o) => `${o.kind}/${o.metadata.name}`);
const errorOf = (r: LocalRunResult) => r.error?.error ?? r.status;

/** Every request to the API server fails with `effect` for `ms`, from the moment `state` is entered. */
function outageAt(state: string, ms: number, effect: FaultEffect = { type: 'error', code: 503 }) {
  const seen = { started: false };
  return {
    seen,
    onEvent: (e: { type: string; state?: { name: string } }) => {
      if (seen.started || e.type !== 'StateEntered' || e.state?.name !== state) return;
      seen.started = true;
      const rule = h.sim.faults.add({ effect });
      setTimeout(() => h.sim.faults.remove(rule), ms);
    },
  };
}

describe('a 3 s outage (every request failing) during an upgrade', () => {
  test.each([
    ['Prepare upgrade'],
    ['Pre-upgrade: apply hook group'],
    ['Pre-upgrade: poll hook group'],
    ['Apply resources'],
    ['Delete removed resources'],
    ['Post-upgrade: apply hook group'],
    ['Post-upgrade: poll hook group'],
    ['Post-upgrade: clean up hooks'],
    ['Finalize release'],
  ])('at %s: the upgrade completes, nothing left pending or leaked', async (state) => {
    const n = await h.namespace();
    await install(n);
    const outage = outageAt(state, 3000);

    const result = await upgrade(n, { tag: '2', extra: false }, { waitScale: 0.1, onEvent: outage.onEvent });

    expect(outage.seen.started).toBe(true);
    expect(result.error).toBeUndefined();
    expect(history(n)).toEqual(['1:superseded', '2:deployed']);
    expect(owned(n)).toEqual(['app']);
    expect(hookObjects(n)).toEqual([]);
  });

  test('of dropped connections at Apply resources: the upgrade completes', async () => {
    const n = await h.namespace();
    await install(n);
    const outage = outageAt('Apply resources', 3000, { type: 'reset' });
    const result = await upgrade(n, { tag: '2', extra: false }, { waitScale: 0.1, onEvent: outage.onEvent });
    expect(result.error).toBeUndefined();
    expect(history(n)).toEqual(['1:superseded', '2:deployed']);
  });

  test('while a failed upgrade records its failure: the record ends failed, never pending', async () => {
    const n = await h.namespace();
    await install(n);
    const outage = outageAt('Record failure', 3000);
    const result = await upgrade(n, { tag: '2', failPost: true }, { waitScale: 0.1, onEvent: outage.onEvent });
    expect(outage.seen.started).toBe(true);
    expect(result.error?.error).toBe('HookFailed');
    expect(history(n)).toEqual(['1:deployed', '2:failed']);
  });
});

test('an object only a failed upgrade created is removed by the next upgrade that leaves it out: nothing orphaned', async () => {
  const n = await h.namespace();
  await install(n);
  await upgrade(n, { tag: '2', extra: false });
  expect((await upgrade(n, { tag: '3', failPost: true })).error?.error).toBe('HookFailed'); // creates extra again
  expect(owned(n)).toEqual(['app', 'extra']);

  expect((await upgrade(n, { tag: '4', extra: false })).error).toBeUndefined();
  expect(owned(n)).toEqual(['app']);
  expect(history(n)).toEqual(['1:superseded', '2:superseded', '3:failed', '4:deployed']);
});

test('uninstall after an upgrade failed before pruning deletes what the release still owns from earlier revisions', async () => {
  const n = await h.namespace();
  await install(n);
  expect((await upgrade(n, { tag: '2', extra: false, failPre: true })).error?.error).toBe('HookFailed');
  expect(owned(n)).toEqual(['app', 'extra']); // the failed revision names only app

  expect((await uninstall(n)).error).toBeUndefined();
  expect(owned(n)).toEqual([]);
  expect(secrets(n)).toEqual([]);
});

describe('one lock for every action', () => {
  test('while an uninstall runs its pre-delete hook, upgrade, rollback, test and more uninstalls are ReleaseLocked; the hook runs once; nothing is orphaned', async () => {
    const n = await h.namespace();
    await install(n);
    await upgrade(n);
    const since = lastSeq(h.sim.operations);
    let racers: Promise<LocalRunResult>[] = [];

    const first = await uninstall(n, {
      onEvent: (e: { type: string; state?: { name: string } }) => {
        if (racers.length || e.type !== 'StateEntered' || e.state?.name !== 'Pre-delete: poll hook group') return;
        racers = [upgrade(n, { tag: '3', added: true }), rollback(n), runTests(n), uninstall(n), uninstall(n)];
      },
    });
    const others = await Promise.all(racers);

    expect(first.error).toBeUndefined();
    expect(others.map(errorOf)).toEqual(Array(5).fill('ReleaseLocked'));
    expect(writes(h.sim.operations, ['Job'], since).filter((w) => w === 'apply Job/final-backup')).toHaveLength(1);
    expect(secrets(n)).toEqual([]);
    expect(owned(n)).toEqual([]);
    expect(hookObjects(n)).toEqual([]);
  });

  test('three uninstalls started together: one runs the pre-delete hook, the others are refused', async () => {
    const n = await h.namespace();
    await install(n);
    const since = lastSeq(h.sim.operations);

    const results = await Promise.all([uninstall(n), uninstall(n), uninstall(n)]);

    expect(results.map(errorOf).sort()).toEqual(['ReleaseLocked', 'ReleaseLocked', 'SUCCEEDED']);
    expect(writes(h.sim.operations, ['Job'], since).filter((w) => w === 'apply Job/final-backup')).toHaveLength(1);
    expect(secrets(n)).toEqual([]);
    expect(owned(n)).toEqual([]);
  });

  test('an upgrade and an uninstall started together: exactly one proceeds, and nothing is orphaned', async () => {
    const n = await h.namespace();
    await install(n);

    const [upgraded, uninstalled] = await Promise.all([upgrade(n, { tag: '2', added: true }), uninstall(n)]);

    expect([errorOf(upgraded), errorOf(uninstalled)].sort()).toEqual(['ReleaseLocked', 'SUCCEEDED']);
    if (upgraded.status === 'SUCCEEDED') {
      expect(history(n)).toEqual(['1:superseded', '2:deployed']);
      expect(owned(n)).toEqual(['added-by-upgrade', 'app', 'extra']);
    } else {
      expect(secrets(n)).toEqual([]);
      expect(owned(n)).toEqual([]);
    }
  });

  test('while an upgrade runs its pre-upgrade hook, an uninstall is ReleaseLocked; the upgrade completes', async () => {
    const n = await h.namespace();
    await install(n);
    let racer: Promise<LocalRunResult> | undefined;
    const upgraded = await upgrade(n, { tag: '2', added: true }, {
      onEvent: (e: { type: string; state?: { name: string } }) => {
        if (!racer && e.type === 'StateEntered' && e.state?.name === 'Pre-upgrade: poll hook group') racer = uninstall(n);
      },
    });
    expect(errorOf(await racer!)).toBe('ReleaseLocked');
    expect(upgraded.error).toBeUndefined();
    expect(history(n)).toEqual(['1:superseded', '2:deployed']);
    expect(owned(n)).toEqual(['added-by-upgrade', 'app', 'extra']);
  });

  test('a test holds the release: an upgrade meanwhile is ReleaseLocked; afterwards the status is unchanged and the claim gone', async () => {
    const n = await h.namespace();
    await install(n);
    let racer: Promise<LocalRunResult> | undefined;
    const tested = await runTests(n, {
      onEvent: (e: { type: string; state?: { name: string } }) => {
        if (!racer && e.type === 'StateEntered' && e.state?.name === 'Test: poll hook group') racer = upgrade(n);
      },
    });
    expect(errorOf(await racer!)).toBe('ReleaseLocked');
    expect(tested.error).toBeUndefined();
    expect(history(n)).toEqual(['1:deployed']);
    expect(secrets(n)[0].metadata.annotations?.[LOCK_ANNOTATION]).toBeUndefined();
    expect((await upgrade(n)).error).toBeUndefined();
  });
});
