/**
 * applyResources, deleteResources and checkResources on the fake cluster: Helm 4's apply methods
 * (helm v4.1.4 pkg/kube/client.go), InstallOrder and UninstallOrder, the keep policy, pruning
 * what left the chart, waiting, and what a retry does.
 */
import type { ReleaseContext } from '../../lib/core/contract';
import { engineTasks } from '../../lib/engine';
import { apiErrors } from '../support/fake-kube';
import { deploy, engineHarness, prepared, type EngineHarness, type FakeChart } from '../support/fake-engine';

const NS = 'web';
const sa = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n`;
const deployment = (name: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1\n`;
const keep = 'metadata:\n  annotations:\n    helm.sh/resource-policy: keep\n';
const cm = (name: string, data = 'v') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: ${data}\n`;
const ref = (kind: string, name: string) => ({ apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, namespace: NS, name });

const install = (source = '/v1', options: Record<string, unknown> = {}) => ({ action: 'install', release: 'site', namespace: NS, chart: { source }, options });
const upgrade = (source: string, options: Record<string, unknown> = {}) => ({ ...install(source, options), action: 'upgrade' });

async function applyAll(h: EngineHarness, ctx: ReleaseContext) {
  const cursors = [];
  for (let apply = { next: 0 }; ; ) {
    const cursor = await engineTasks.applyResources({ ctx, apply }, h.deps);
    cursors.push(cursor);
    if (cursor.done) return cursors;
    apply = { next: cursor.next };
  }
}

describe('applyResources', () => {
  test("server-side apply in InstallOrder, with Helm's ownership metadata and field manager", async () => {
    const h = engineHarness({ '/v1': { templates: { 'a.yaml': deployment('web'), 'b.yaml': cm('conf'), 'c.yaml': sa('runner') } } });
    const ctx = await prepared(h.deps, install());
    h.kube.resetCalls();
    expect(await applyAll(h, ctx)).toEqual([{ next: 3, total: 3, done: true }]);
    expect(h.kube.trace()).toEqual([`apply ServiceAccount ${NS}/runner`, `apply ConfigMap ${NS}/conf`, `apply Deployment ${NS}/web`]);
    expect(h.kube.calls.filter((c) => c.verb === 'apply').map((c) => c.options)).toEqual(Array(3).fill({ fieldManager: 'helm', force: false }));
    expect(h.kube.peek(ref('ConfigMap', 'conf'))?.metadata).toMatchObject({
      labels: { 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: { 'meta.helm.sh/release-name': 'site', 'meta.helm.sh/release-namespace': NS },
    });
  });

  test('a big release is applied in batches of 200, resumed from the cursor', async () => {
    const templates = Object.fromEntries(Array.from({ length: 205 }, (_, i) => [`cm${String(i).padStart(3, '0')}.yaml`, cm(`cm${i}`)]));
    const h = engineHarness({ '/v1': { templates } });
    const ctx = await prepared(h.deps, install());
    expect(await applyAll(h, ctx)).toEqual([
      { next: 200, total: 205, done: false },
      { next: 205, total: 205, done: true },
    ]);
    expect(h.kube.all('ConfigMap', NS)).toHaveLength(205);
  });

  test('retried, server-side apply sends the same objects again and ends in the same state', async () => {
    const h = engineHarness({ '/v1': { templates: { 'b.yaml': cm('conf') } } });
    const ctx = await prepared(h.deps, install());
    await applyAll(h, ctx);
    const before = h.kube.peek(ref('ConfigMap', 'conf'));
    h.kube.resetCalls();
    await applyAll(h, ctx);
    expect(h.kube.trace()).toEqual([`apply ConfigMap ${NS}/conf`]);
    expect(h.kube.peek(ref('ConfigMap', 'conf'))?.data).toEqual(before?.data);
  });

  test('client-side apply: POST when absent, a three-way patch of what changed on upgrade, nothing when unchanged', async () => {
    const h = engineHarness({ '/v1': { templates: { 'b.yaml': cm('conf', 'one') } }, '/v2': { templates: { 'b.yaml': cm('conf', 'two') } } });
    await deploy(h, install('/v1', { serverSide: false }));
    expect(h.kube.trace({ kind: 'ConfigMap' })).toEqual([`create ConfigMap ${NS}/conf`]);
    const ctx = await prepared(h.deps, upgrade('/v2'), 'up');
    h.kube.resetCalls();
    await applyAll(h, ctx);
    expect(h.kube.calls.filter((c) => c.kind === 'ConfigMap' && c.verb === 'patch').map((c) => c.body)).toEqual(['{"data":{"k":"two"}}']);
    expect(h.kube.peek(ref('ConfigMap', 'conf'))?.data).toEqual({ k: 'two' });
    h.kube.resetCalls();
    await applyAll(h, ctx); // the retry: live already matches, no patch
    expect(h.kube.trace()).toEqual([]);
  });

  test('an object another owner created since prepare is refused (ApplyFailed); takeOwnership adopts it', async () => {
    const h = engineHarness({ '/v1': { templates: { 'b.yaml': cm('conf') } } });
    const ctx = await prepared(h.deps, install());
    h.kube.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf', namespace: NS, annotations: { 'meta.helm.sh/release-name': 'other' } } });
    await expect(applyAll(h, ctx)).rejects.toMatchObject({ name: 'ApplyFailed', message: expect.stringContaining('cannot be imported into the current release') });
    await applyAll(h, { ...ctx, options: { ...ctx.options, takeOwnership: true } });
    expect(h.kube.peek(ref('ConfigMap', 'conf'))?.metadata.annotations?.['meta.helm.sh/release-name']).toBe('site');
  });

  test('forceReplace PUTs over the live object at its resourceVersion', async () => {
    const h = engineHarness({ '/v1': { templates: { 'b.yaml': cm('conf') } } });
    await deploy(h, install());
    const ctx = await prepared(h.deps, upgrade('/v1', { forceReplace: true }), 'up');
    const live = h.kube.peek(ref('ConfigMap', 'conf'))!;
    h.kube.resetCalls();
    await applyAll(h, ctx);
    expect(h.kube.calls.filter((c) => c.verb === 'replace').map((c) => (c.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion)).toEqual([live.metadata.resourceVersion]);
  });

  test('an API refusal (422) fails the task ApplyFailed with its message', async () => {
    const h = engineHarness({ '/v1': { templates: { 'b.yaml': cm('conf') } } });
    const ctx = await prepared(h.deps, install());
    h.kube.failOn({ verb: 'apply', kind: 'ConfigMap' }, apiErrors.refused('apply ConfigMap web/conf: data.k: Invalid value: "x": must be y'));
    // the value the API server quoted is redacted on its way out of the task
    await expect(applyAll(h, ctx)).rejects.toMatchObject({ name: 'ApplyFailed', message: 'apply ConfigMap web/conf: data.k: Invalid value: <redacted>: must be y' });
  });
});

describe('deleteResources', () => {
  const CHARTS: Record<string, FakeChart> = {
    '/v1': { templates: { 'a.yaml': cm('stays'), 'b.yaml': cm('goes'), 'c.yaml': cm('kept', 'v').replace('metadata:\n', `${keep}`), 'd.yaml': deployment('web') } },
    '/v2': { templates: { 'a.yaml': cm('stays') } },
  };

  test('install and test delete nothing and make no call', async () => {
    const h = engineHarness(CHARTS);
    const ctx = await prepared(h.deps, install());
    h.kube.resetCalls();
    expect(await engineTasks.deleteResources({ ctx }, h.deps)).toEqual({ deleted: 0, kept: [] });
    expect(h.kube.calls).toEqual([]);
  });

  test("upgrade deletes what left the chart in the previous manifest's order (Helm's Update), keeping what the keep policy holds", async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install());
    const ctx = await prepared(h.deps, upgrade('/v2'), 'up');
    h.kube.resetCalls();
    expect(await engineTasks.deleteResources({ ctx }, h.deps)).toEqual({ deleted: 2, kept: [`ConfigMap/${NS}/kept`] });
    expect(h.kube.trace()).toEqual([`delete ConfigMap ${NS}/goes`, `delete Deployment ${NS}/web`]);
    expect(h.logs.find((l) => l.message.includes('kept due to the resource policy'))).toBeDefined();
  });

  test('upgrade leaves alone an object that left the chart but another release now owns', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install());
    h.kube.seed({ ...h.kube.peek(ref('ConfigMap', 'goes'))!, metadata: { name: 'goes', namespace: NS, annotations: { 'meta.helm.sh/release-name': 'other' } } });
    const ctx = await prepared(h.deps, upgrade('/v2'), 'up');
    h.kube.resetCalls();
    await engineTasks.deleteResources({ ctx }, h.deps);
    expect(h.kube.trace()).toEqual([`delete Deployment ${NS}/web`]);
  });

  test('uninstall deletes everything the release owns but what it keeps, in UninstallOrder', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install());
    const ctx = await prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'del');
    h.kube.resetCalls();
    expect(await engineTasks.deleteResources({ ctx }, h.deps)).toEqual({ deleted: 3, kept: [`ConfigMap/${NS}/kept`] });
    expect(h.kube.trace()).toEqual([`delete Deployment ${NS}/web`, `delete ConfigMap ${NS}/stays`, `delete ConfigMap ${NS}/goes`]);
  });

  test("uninstall after a failed upgrade also deletes what that upgrade created (Helm leaves it behind)", async () => {
    const h = engineHarness({ ...CHARTS, '/v3': { templates: { 'a.yaml': cm('stays'), 'x.yaml': cm('added') } } });
    await deploy(h, install('/v2'));
    const up = await prepared(h.deps, upgrade('/v3'), 'up');
    await engineTasks.applyResources({ ctx: up, apply: { next: 0 } }, h.deps);
    await engineTasks.markFailed({ ctx: up, error: { Error: 'HookFailed', Cause: 'x' } }, h.deps);
    const ctx = await prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'del');
    h.kube.resetCalls();
    await engineTasks.deleteResources({ ctx }, h.deps);
    expect(h.kube.trace().sort()).toEqual([`delete ConfigMap ${NS}/added`, `delete ConfigMap ${NS}/stays`]);
  });

  test('retried, it finds nothing left to delete', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install());
    const ctx = await prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'del');
    await engineTasks.deleteResources({ ctx }, h.deps);
    h.kube.resetCalls();
    expect(await engineTasks.deleteResources({ ctx }, h.deps)).toEqual({ deleted: 0, kept: [`ConfigMap/${NS}/kept`] });
  });
});

describe('checkResources', () => {
  async function applied(templates: Record<string, string>, options: Record<string, unknown> = {}) {
    const h = engineHarness({ '/v1': { templates } });
    const ctx = await prepared(h.deps, install('/v1', { wait: true, timeoutSeconds: 120, ...options }));
    await applyAll(h, ctx);
    h.kube.resetCalls();
    return { h, ctx };
  }

  test('waits for a Deployment to become available, then ready; a check writes nothing', async () => {
    const { h, ctx } = await applied({ 'd.yaml': deployment('web'), 'c.yaml': cm('conf') });
    const waiting = await engineTasks.checkResources({ ctx, wait: { mode: 'ready' } }, h.deps);
    expect(waiting).toMatchObject({ mode: 'ready', status: 'waiting', polls: 1, pending: ['Deployment/web: 0/1 replicas available'], startedAt: '2026-01-01T00:00:00.000Z' });
    h.kube.seed({ ...h.kube.peek(ref('Deployment', 'web'))!, status: { replicas: 1, updatedReplicas: 1, availableReplicas: 1 } });
    expect(await engineTasks.checkResources({ ctx, wait: waiting }, h.deps)).toEqual({ mode: 'ready', startedAt: waiting.startedAt, status: 'ready' });
    expect(h.kube.trace()).toEqual([]);
  });

  test('not ready within the timeout: ResourcesNotReady naming what is pending', async () => {
    const { h, ctx } = await applied({ 'd.yaml': deployment('web') });
    const waiting = await engineTasks.checkResources({ ctx, wait: { mode: 'ready' } }, h.deps);
    h.clock.advance(121);
    await expect(engineTasks.checkResources({ ctx, wait: waiting }, h.deps)).rejects.toMatchObject({
      name: 'ResourcesNotReady',
      message: '1 resource(s) are not ready after 120s: Deployment/web: 0/1 replicas available',
    });
  });

  test('gone mode: waits until every object of the release is deleted', async () => {
    const { h, ctx } = await applied({ 'c.yaml': cm('conf') });
    const waiting = await engineTasks.checkResources({ ctx, wait: { mode: 'gone' } }, h.deps);
    expect(waiting).toMatchObject({ status: 'waiting', pending: ['ConfigMap/conf: still exists'] });
    await h.kube.delete(ref('ConfigMap', 'conf'));
    expect(await engineTasks.checkResources({ ctx, wait: waiting }, h.deps)).toMatchObject({ status: 'ready' });
  });

  test('uninstall without `wait`: gone mode still waits while an object is being deleted, and fails past timeoutSeconds naming it', async () => {
    const h = engineHarness({ '/v1': { templates: { 'c.yaml': cm('conf'), 'd.yaml': cm('slow') } } });
    await deploy(h, install());
    const ctx = await prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS, options: { timeoutSeconds: 120 } }, 'del');
    expect(ctx.options.wait).toBeFalsy();
    h.kube.slowDelete(ref('ConfigMap', 'slow'), 1000); // a finalizer holds it
    await engineTasks.deleteResources({ ctx }, h.deps);
    const waiting = await engineTasks.checkResources({ ctx, wait: { mode: 'gone' } }, h.deps);
    expect(waiting).toMatchObject({ status: 'waiting', pending: ['ConfigMap/slow: still exists'] });
    h.clock.advance(121);
    await expect(engineTasks.checkResources({ ctx, wait: waiting }, h.deps)).rejects.toMatchObject({
      name: 'ResourcesNotReady',
      message: '1 resource(s) were not deleted after 120s: ConfigMap/slow: still exists',
    });
  });
});
