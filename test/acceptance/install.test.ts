import type { KubeObject } from '../../lib/core/objects';
import { releaseFromSecret } from '../../lib/core/release-record';
import { configMap, docs, hook, writeChart } from '../support/charts';
import { lastSeq, useSim, writes } from './support';

const h = useSim();
const namespace = () => h.namespace();
const install = (release: string, namespace: string, chart: string, options: Record<string, unknown> = {}) =>
  h.run({ action: 'install', release, namespace, chart: { source: chart }, options });
const uninstall = (release: string, namespace: string, options: Record<string, unknown> = {}) =>
  h.run({ action: 'uninstall', release, namespace, options });
const exists = (kind: string, namespace: string, name: string) =>
  h.sim.get(kind === 'Job' ? 'batch/v1' : 'v1', kind, namespace, name) !== undefined;
const record = (namespace: string, release: string, revision: number) =>
  releaseFromSecret(h.sim.get('v1', 'Secret', namespace, `sh.helm.release.v1.${release}.v${revision}`) as KubeObject);
const releaseStatuses = (namespace: string) =>
  (h.sim.list('v1', 'Secret', namespace) as { metadata: { name: string; labels?: Record<string, string> } }[])
    .filter((s) => s.metadata.labels?.owner === 'helm')
    .map((s) => `${s.metadata.name}:${s.metadata.labels?.status}`);

const weighted = writeChart({
  templates: {
    'hooks.yaml': docs(
      hook({ name: 'a-first', events: 'pre-install', weight: '-5', deletePolicy: 'hook-succeeded', script: 'sleep 1; echo first' }),
      hook({ name: 'b-first', events: 'pre-install', weight: '-5', script: 'sleep 1' }),
      hook({ name: 'cfg', kind: 'ConfigMap', events: 'pre-install', weight: '-5' }),
      hook({ name: 'second', events: 'pre-install', weight: '3', deletePolicy: 'before-hook-creation,hook-succeeded', script: 'echo second' }),
      hook({ name: 'post', events: 'post-install', script: 'echo post' }),
    ),
    'app.yaml': configMap('app'),
  },
});

test('weight groups run in order; a group is created together, then polled together', async () => {
  const n = await namespace();
  const since = lastSeq(h.sim.operations);
  const result = await install('web', n, weighted);
  expect(result.error).toBeUndefined();
  expect(result.status).toBe('SUCCEEDED');
  expect(result.output).toMatchObject({ release: 'web', namespace: n, revision: 1, status: 'deployed' });

  const order = writes(h.sim.operations, ['Job', 'ConfigMap'], since);
  expect(order).toEqual([
    'apply Job/a-first',
    'apply Job/b-first',
    'apply ConfigMap/cfg',
    'apply Job/second',
    'delete Job/second', // hook-succeeded, reverse order
    'delete Job/a-first',
    'apply ConfigMap/app',
    'apply Job/post',
  ]);
  // the weight -5 group started together; weight 3 started after all of it had finished
  const runs = Object.fromEntries((record(n, 'web', 1).hooks ?? []).map((x) => [x.name, x.last_run]));
  expect(runs['b-first'].started_at).toBe(runs['a-first'].started_at);
  expect(runs.cfg.started_at).toBe(runs['a-first'].started_at);
  for (const first of ['a-first', 'b-first', 'cfg']) expect(Date.parse(runs.second.started_at!)).toBeGreaterThanOrEqual(Date.parse(runs[first].completed_at!));
  expect(Object.values(runs).map((r) => r.phase)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
  expect(releaseStatuses(n)).toEqual(['sh.helm.release.v1.web.v1:deployed']);
  expect(exists('Job', n, 'b-first')).toBe(true); // default policy: kept until the next creation
});

test('sequential mode makes every hook its own group, in Helm order', async () => {
  const n = await namespace();
  const result = await install('web', n, weighted, { hookMode: 'sequential' });
  expect(result.status).toBe('SUCCEEDED');
  const polls = result.taskCalls.filter((c) => c.stateName === 'Pre-install: apply hook group');
  expect(polls).toHaveLength(5); // four hooks + the call that finds no group left
});

const failing = writeChart({
  templates: {
    'hooks.yaml': docs(
      hook({ name: 'ok', events: 'pre-install', weight: '0', deletePolicy: 'hook-succeeded', script: 'echo fine' }),
      hook({ name: 'kept-on-fail', events: 'pre-install', weight: '1', deletePolicy: 'hook-succeeded', script: 'echo fine' }),
      hook({ name: 'bad', events: 'pre-install', weight: '2', deletePolicy: 'hook-failed', script: 'echo backing up; echo disk full >&2; exit 3' }),
      hook({ name: 'never', events: 'pre-install', weight: '5', script: 'echo never' }),
    ),
    'app.yaml': configMap('app'),
  },
});

test('a failing hook fails the release: logs in the error, later groups never created, policies enforced', async () => {
  const n = await namespace();
  const result = await install('shop', n, failing);
  expect(result.status).toBe('FAILED');
  expect(result.error?.error).toBe('HookFailed');
  expect(result.error?.cause).toMatch(/pre-install hook Job\/bad failed/);
  expect(result.error?.cause).toMatch(/backing up/);
  expect(exists('Job', n, 'never')).toBe(false);
  expect(exists('ConfigMap', n, 'app')).toBe(false);
  expect(exists('Job', n, 'bad')).toBe(false); // hook-failed
  expect(exists('Job', n, 'ok')).toBe(false); // earlier hook-succeeded
  expect(exists('Job', n, 'kept-on-fail')).toBe(false);
  expect(releaseStatuses(n)).toEqual(['sh.helm.release.v1.shop.v1:failed']);
});

test('a hook that outlives its timeout fails with HookTimeout', async () => {
  const n = await namespace();
  const slow = writeChart({ templates: { 'hooks.yaml': hook({ name: 'slow', events: 'pre-install', timeout: '1s', script: 'sleep 3600' }) } });
  const result = await install('slow', n, slow);
  expect(result.error?.error).toBe('HookTimeout');
  expect(result.error?.cause).toMatch(/Job\/slow timed out after 1s/);
});

test('--no-hooks skips every hook', async () => {
  const n = await namespace();
  const result = await install('quiet', n, weighted, { noHooks: true });
  expect(result.status).toBe('SUCCEEDED');
  expect(exists('Job', n, 'a-first')).toBe(false);
  expect(exists('ConfigMap', n, 'app')).toBe(true);
});

test('a second install of the same name is refused and changes nothing', async () => {
  const n = await namespace();
  expect((await install('dup', n, weighted, { noHooks: true })).status).toBe('SUCCEEDED');
  const before = lastSeq(h.sim.operations);
  const second = await install('dup', n, weighted);
  expect(second.error?.error).toBe('ReleaseLocked');
  expect(writes(h.sim.operations, ['Secret', 'Job', 'ConfigMap'], before)).toEqual([]);
  expect(releaseStatuses(n)).toEqual(['sh.helm.release.v1.dup.v1:deployed']);
});

test('--wait with a Deployment that never becomes ready fails with ResourcesNotReady', async () => {
  const n = await namespace();
  const broken = writeChart({
    templates: {
      'deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: busybox:1.36
        command: ["sh", "-c", "exit 1"]
`,
    },
  });
  const result = await install('broken', n, broken, { wait: true, timeoutSeconds: 2 });
  expect(result.error?.error).toBe('ResourcesNotReady');
  expect(result.error?.cause).toMatch(/Deployment\/web/);
});

test('--atomic: a failed install is uninstalled and the execution fails with RolledBack', async () => {
  const n = await namespace();
  const result = await install('atom', n, failing, { atomic: true });
  expect(result.error?.error).toBe('RolledBack');
  expect(result.error?.cause).toMatch(/Job\/bad failed/);
  expect(releaseStatuses(n)).toEqual([]);
});

test('uninstall runs pre/post-delete hooks, deletes resources and honours keep', async () => {
  const n = await namespace();
  const chart = writeChart({
    templates: {
      'hooks.yaml': docs(
        hook({ name: 'final-backup', events: 'pre-delete', deletePolicy: 'hook-succeeded', script: 'echo bye' }),
        hook({ name: 'goodbye', events: 'post-delete', script: 'echo gone' }),
      ),
      'app.yaml': docs(configMap('app'), configMap('data', '  annotations:\n    helm.sh/resource-policy: keep\n')),
    },
  });
  expect((await install('site', n, chart)).status).toBe('SUCCEEDED');
  const since = lastSeq(h.sim.operations);
  const result = await uninstall('site', n);
  expect(result.error).toBeUndefined();
  expect(result.output).toMatchObject({ release: 'site', status: 'uninstalled' });
  expect(writes(h.sim.operations, ['Job', 'ConfigMap'], since)).toEqual([
    'apply Job/final-backup',
    'delete Job/final-backup',
    'delete ConfigMap/app',
    'apply Job/goodbye',
  ]);
  expect(exists('ConfigMap', n, 'data')).toBe(true);
  expect(releaseStatuses(n)).toEqual([]);
});

test('CRDs from crds/ are installed first, so the chart can use their kinds', async () => {
  const n = await namespace();
  const chart = writeChart({
    crds: {
      'widget.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: { kind: Widget, plural: widgets, singular: widget }
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`,
    },
    templates: { 'widget.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n' },
  });
  const result = await install('crd', n, chart);
  expect(result.error).toBeUndefined();
  expect(h.sim.get('example.com/v1', 'Widget', n, 'w1')).toMatchObject({ spec: { size: 3 } });
  // the stored manifest holds the chart's templates only, as Helm's does
  expect(record(n, 'crd', 1).manifest).not.toContain('CustomResourceDefinition');
});

test('transient API failures (500, 429, dropped connections) are ridden out by request retries', async () => {
  const n = await namespace();
  const ids = [
    h.sim.faults.add({ verbs: ['get'], resource: 'jobs', namespace: n, times: 2, effect: { type: 'error', code: 500 } }),
    h.sim.faults.add({ verbs: ['apply'], resource: 'configmaps', namespace: n, times: 1, effect: { type: 'error', code: 429, retryAfterSeconds: 1 } }),
    h.sim.faults.add({ verbs: ['list'], resource: 'secrets', namespace: n, times: 1, effect: { type: 'reset' } }),
  ];
  try {
    const since = lastSeq(h.sim.operations);
    const result = await install('flaky', n, weighted);
    expect(result.error).toBeUndefined();
    const failed = h.sim.operations.filter((o) => o.seq > since && o.namespace === n && (o.code >= 500 || o.code === 429 || o.outcome === 'reset'));
    expect(failed.length).toBeGreaterThanOrEqual(3);
  } finally {
    for (const id of ids) h.sim.faults.remove(id);
  }
});

test('every group is polled at once: one without Jobs or Pods is done when created, a Job group is watched by its poll', async () => {
  const n = await namespace();
  const chart = writeChart({
    templates: { 'hooks.yaml': docs(hook({ name: 'sa', kind: 'ServiceAccount', events: 'pre-install', weight: '-1' }), hook({ name: 'job', events: 'pre-install', script: 'echo hi' })) },
  });
  const result = await install('quick', n, chart);
  expect(result.error).toBeUndefined();
  const applied = result.events.filter((e) => e.type === 'StateExited' && e.state.name === 'Pre-install: apply hook group');
  const waits = applied.map((e) => (e as unknown as { state: { output: { hook: { nextPollSeconds?: number } } } }).state.output.hook.nextPollSeconds);
  expect(waits).toEqual([0, 0, undefined]); // ServiceAccount group, Job group, no group left
});

test('a bad input fails the first state with InvalidInput and a cause naming the field and the rule', async () => {
  const result = await h.run({ action: 'install', release: 'My_Site', namespace: 'default', chart: { source: weighted } });
  expect(result.error?.error).toBe('InvalidInput');
  expect(result.error?.cause).toMatch(/^release: must be a DNS-1053 label .*; got "My_Site"$/);
  expect(result.transitions).toBe(3); // Validate input → Invalid input → Input refused
});
