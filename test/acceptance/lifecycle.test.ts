/** Upgrade, rollback, test, atomic recovery, history and locks on the simulated cluster. */
import type { KubeObject } from '../../lib/core/objects';
import { releaseFromSecret, type HelmRelease } from '../../lib/core/release-record';
import { recoverRelease, unlockRelease } from '../../lib/engine/recover';
import { EXECUTION_ARN_PREFIX, localDeps } from '../../lib/local/run-locally';
import { docs, hook, writeChart } from '../support/charts';
import { lastSeq, useSim, writes } from './support';

const h = useSim();

const chart = writeChart({
  name: 'shop',
  values: 'tag: "1"\nextra: true\nbroken: false\nfailPre: false\nfailPost: false\nfailTest: false\nnotReady: false\n',
  templates: {
    'app.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  tag: {{ .Values.tag | quote }}
{{- if .Values.extra }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: keep-me
  annotations:
    helm.sh/resource-policy: keep
{{- end }}
{{- if .Values.broken }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: Not_A_Valid_Name
{{- end }}
{{- if .Values.notReady }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: never-ready
spec:
  replicas: 1
  selector: { matchLabels: { app: never } }
  template:
    metadata: { labels: { app: never } }
    spec:
      containers:
      - name: c
        image: busybox:1.36
        command: ["sh", "-c", "exit 1"]
{{- end }}
`,
    'hooks.yaml': docs(
      hook({ name: 'backup', events: 'pre-upgrade', deletePolicy: 'before-hook-creation,hook-succeeded', script: 'echo backup {{ .Values.tag }}; exit {{ if .Values.failPre }}1{{ else }}0{{ end }}' }),
      hook({ name: 'smoke', events: 'post-upgrade', deletePolicy: 'before-hook-creation', script: 'echo smoke {{ .Values.tag }}; exit {{ if .Values.failPost }}1{{ else }}0{{ end }}' }),
      hook({ name: 'before-rollback', events: 'pre-rollback', deletePolicy: 'hook-succeeded', script: 'echo rolling back' }),
      hook({ name: 'after-rollback', kind: 'ConfigMap', events: 'post-rollback' }),
      hook({ name: 'check', kind: 'Pod', events: 'test', deletePolicy: 'hook-succeeded', script: 'echo testing {{ .Values.tag }}; exit {{ if .Values.failTest }}1{{ else }}0{{ end }}' }),
    ),
  },
});

const namespace = () => h.namespace();

type Values = Record<string, unknown>;
const install = (n: string, values: Values = {}, options: Values = {}) =>
  h.run({ action: 'install', release: 'shop', namespace: n, chart: { source: chart }, values, options });
const upgrade = (n: string, values: Values = {}, options: Values = {}) =>
  h.run({ action: 'upgrade', release: 'shop', namespace: n, chart: { source: chart }, ...(Object.keys(values).length ? { values } : {}), options });
const rollback = (n: string, revision?: number, options: Values = {}) =>
  h.run({ action: 'rollback', release: 'shop', namespace: n, ...(revision ? { revision } : {}), options });

function records(n: string): HelmRelease[] {
  return (h.sim.list('v1', 'Secret', n) as KubeObject[])
    .filter((s) => s.metadata.labels?.owner === 'helm')
    .map((s) => releaseFromSecret(s as never))
    .sort((a, b) => a.version - b.version);
}
const history = (n: string) => records(n).map((r) => `${r.version}:${r.info.status}`);
const configMap = (n: string, name: string) => h.sim.get('v1', 'ConfigMap', n, name) as { data?: Record<string, string> } | undefined;

test('upgrade: pre/post-upgrade hooks run, what left the chart is deleted, keep is honoured, history moves on', async () => {
  const n = await namespace();
  expect((await install(n)).status).toBe('SUCCEEDED');
  const since = lastSeq(h.sim.operations);
  const result = await upgrade(n, { tag: '2', extra: false });
  expect(result.error).toBeUndefined();
  expect(result.output).toMatchObject({ revision: 2, status: 'deployed', hooks: [expect.objectContaining({ name: 'backup', event: 'pre-upgrade' }), expect.objectContaining({ name: 'smoke', event: 'post-upgrade' })] });
  expect(writes(h.sim.operations, ['Job', 'ConfigMap'], since)).toEqual(['apply Job/backup', 'delete Job/backup', 'apply ConfigMap/app', 'delete ConfigMap/extra', 'apply Job/smoke']);
  expect(configMap(n, 'app')?.data).toEqual({ tag: '2' });
  expect(configMap(n, 'keep-me')).toBeDefined();
  expect(history(n)).toEqual(['1:superseded', '2:deployed']);
  expect(records(n)[1].info.description).toBe('Upgrade complete');
});

test('rollback: the target revision is applied again with its pre/post-rollback hooks, no re-render', async () => {
  const n = await namespace();
  await install(n);
  await upgrade(n, { tag: '2', extra: false });
  const since = lastSeq(h.sim.operations);
  const result = await rollback(n, 1);
  expect(result.error).toBeUndefined();
  expect(writes(h.sim.operations, ['Job', 'ConfigMap'], since)).toEqual(
    expect.arrayContaining(['apply Job/before-rollback', 'apply ConfigMap/app', 'apply ConfigMap/extra', 'apply ConfigMap/after-rollback']),
  );
  expect(configMap(n, 'app')?.data).toEqual({ tag: '1' });
  expect(configMap(n, 'extra')).toBeDefined();
  expect(history(n)).toEqual(['1:superseded', '2:superseded', '3:deployed']);
  expect(records(n)[2].info.description).toBe('Rollback to 1');
});

describe.each([
  { point: 'pre-upgrade hook', values: { failPre: true }, error: 'HookFailed' },
  { point: 'apply', values: { broken: true }, error: 'ApplyFailed' },
  { point: 'wait', values: { notReady: true }, error: 'ResourcesNotReady', options: { wait: true, timeoutSeconds: 1 } },
  { point: 'post-upgrade hook', values: { failPost: true }, error: 'HookFailed' },
])('an upgrade failing at the $point', ({ values, error, options }) => {
  test('without atomic: the new revision is failed, the previous one still deployed', async () => {
    const n = await namespace();
    await install(n);
    const result = await upgrade(n, { tag: '2', ...values }, options);
    expect(result.error?.error).toBe(error);
    expect(history(n)).toEqual(['1:deployed', '2:failed']);
    expect(records(n)[1].info.description).toMatch(/^Upgrade "shop" failed: /);
  });

  test('with atomic: rolled back through the rollback path, the execution fails RolledBack with the cause', async () => {
    const n = await namespace();
    await install(n);
    const result = await upgrade(n, { tag: '2', ...values }, { atomic: true, ...options });
    expect(result.error?.error).toBe('RolledBack');
    expect(result.error?.cause).not.toBe('');
    expect(history(n)).toEqual(['1:superseded', '2:failed', '3:deployed']);
    expect(records(n)[2].info.description).toBe('Rollback to 1');
    expect(configMap(n, 'app')?.data).toEqual({ tag: '1' });
    expect(configMap(n, 'after-rollback')).toBeDefined(); // the rollback's hooks ran
  });
});

test('rollback after a failed upgrade that changed the manifest prunes against the live objects', async () => {
  const n = await namespace();
  await install(n, { extra: false });
  await upgrade(n, { extra: true, failPost: true }); // extra and keep-me created, then the post hook fails
  expect(configMap(n, 'extra')).toBeDefined();
  const result = await rollback(n, 1);
  expect(result.error).toBeUndefined();
  expect(configMap(n, 'extra')).toBeUndefined();
  expect(configMap(n, 'keep-me')).toBeDefined();
  expect(history(n)).toEqual(['1:superseded', '2:failed', '3:deployed']);
});

test('test: runs the test hooks of the last revision, records them, never changes the status', async () => {
  const n = await namespace();
  await install(n);
  const passed = await h.run({ action: 'test', release: 'shop', namespace: n });
  expect(passed.error).toBeUndefined();
  expect(passed.output).toMatchObject({ status: 'deployed', hooks: [expect.objectContaining({ name: 'check', event: 'test', phase: 'Succeeded' })] });
  expect(records(n)[0].hooks?.find((x) => x.name === 'check')?.last_run.phase).toBe('Succeeded');
  await upgrade(n, { failTest: true });
  const failed = await h.run({ action: 'test', release: 'shop', namespace: n });
  expect(failed.error?.error).toBe('HookFailed');
  expect(failed.error?.cause).toMatch(/testing 1/);
  expect(history(n)).toEqual(['1:superseded', '2:deployed']);
});

test('values: reused when an upgrade supplies none, merged with --reuse-values, dropped with --reset-values', async () => {
  const n = await namespace();
  await install(n, { tag: '7' });
  await upgrade(n);
  expect(configMap(n, 'app')?.data).toEqual({ tag: '7' });
  expect(records(n)[1].config).toEqual({ tag: '7' });
  await upgrade(n, { extra: false }, { reuseValues: true });
  expect(configMap(n, 'app')?.data).toEqual({ tag: '7' });
  expect(records(n)[2].config).toEqual({ tag: '7', extra: false });
  await upgrade(n, {}, { resetValues: true });
  expect(configMap(n, 'app')?.data).toEqual({ tag: '1' });
  expect(records(n)[3].config).toBeUndefined();
});

test('historyMax prunes the oldest records, never the deployed one', async () => {
  const n = await namespace();
  await install(n);
  for (const tag of ['2', '3', '4']) await upgrade(n, { tag }, { historyMax: 2 });
  expect(history(n)).toEqual(['3:superseded', '4:deployed']);
});

test('upgrade with installIfMissing installs a release that does not exist', async () => {
  const n = await namespace();
  const result = await upgrade(n, { tag: '5' }, { installIfMissing: true });
  expect(result.error).toBeUndefined();
  expect(history(n)).toEqual(['1:deployed']);
  expect(records(n)[0].info.description).toBe('Install complete');
});

test('concurrent upgrades: exactly one proceeds, the others are ReleaseLocked and change nothing', async () => {
  const n = await namespace();
  await install(n);
  const results = await Promise.all(['2', '3', '4'].map((tag) => upgrade(n, { tag })));
  const errors = results.map((r) => r.error?.error ?? 'ok').sort();
  expect(errors).toEqual(['ReleaseLocked', 'ReleaseLocked', 'ok']);
  expect(history(n)).toEqual(['1:superseded', '2:deployed']);
});

test('stuck lock: an aborted execution leaves pending-upgrade; its status event turns it failed', async () => {
  const n = await namespace();
  await install(n);
  const abort = new AbortController();
  const input = { action: 'upgrade', release: 'shop', namespace: n, chart: { source: chart }, values: { tag: '2' } };
  const aborted = await h.run(input, {
    signal: abort.signal,
    freeOwnLock: false, // as if the process had been killed
    executionName: 'stuck-1',
    onEvent: (e) => {
      if (e.type === 'StateEntered' && e.state.name === 'Pre-upgrade hooks') abort.abort();
    },
  });
  const execution = `${EXECUTION_ARN_PREFIX}stuck-1`;
  expect(aborted.status).toBe('ABORTED');
  expect(history(n)).toEqual(['1:deployed', '2:pending-upgrade']);

  const deps = localDeps({ kubeconfigPath: h.sim.kubeconfigPath });
  expect((await upgrade(n, { tag: '3' })).error?.error).toBe('ReleaseLocked');
  await expect(unlockRelease({ release: 'shop', namespace: n }, async () => 'running', deps)).rejects.toThrow(/which is still running/);
  await expect(unlockRelease({ release: 'shop', namespace: n }, async () => 'unknown', deps)).rejects.toThrow(/may still be running/);
  expect(await recoverRelease({ executionArn: `${EXECUTION_ARN_PREFIX}other`, status: 'ABORTED', input: JSON.stringify(input) }, deps)).toMatchObject({ recovered: false });
  expect(await recoverRelease({ executionArn: execution, status: 'ABORTED', input: JSON.stringify(input) }, deps)).toMatchObject({ recovered: true, revision: 2 });
  expect(history(n)).toEqual(['1:deployed', '2:failed']);
  expect((await upgrade(n, { tag: '3' })).error).toBeUndefined();
  expect(history(n)).toEqual(['1:superseded', '2:failed', '3:deployed']);
});

test('unlock by hand frees a lock whose execution has ended, and names what it was', async () => {
  const n = await namespace();
  await install(n);
  const abort = new AbortController();
  await h.run(
    { action: 'upgrade', release: 'shop', namespace: n, chart: { source: chart }, values: { tag: '2' } },
    { signal: abort.signal, freeOwnLock: false, onEvent: (e) => e.type === 'StateEntered' && e.state.name === 'Pre-upgrade hooks' && abort.abort() },
  );
  const deps = localDeps({ kubeconfigPath: h.sim.kubeconfigPath });
  const result = await unlockRelease({ release: 'shop', namespace: n }, async () => 'ended', deps);
  expect(result).toMatchObject({ revision: 2, previousStatus: 'pending-upgrade', owner: expect.stringContaining(EXECUTION_ARN_PREFIX) });
  expect(history(n)).toEqual(['1:deployed', '2:failed']);
  expect(records(n)[1].info.description).toMatch(/unlocked by hand \(was pending-upgrade\)/);
});

test('an interrupted local run frees its own lock: the record ends failed, the next upgrade proceeds', async () => {
  const n = await namespace();
  await install(n);
  const abort = new AbortController();
  const aborted = await h.run(
    { action: 'upgrade', release: 'shop', namespace: n, chart: { source: chart }, values: { tag: '2' } },
    { signal: abort.signal, onEvent: (e) => e.type === 'StateEntered' && e.state.name === 'Pre-upgrade hooks' && abort.abort() },
  );
  expect(aborted.status).toBe('ABORTED');
  expect(history(n)).toEqual(['1:deployed', '2:failed']);
  expect(records(n)[1].info.description).toMatch(/ended ABORTED before it finished/);
  expect((await upgrade(n, { tag: '3' })).error).toBeUndefined();
});
