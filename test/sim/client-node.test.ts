/**
 * Fidelity: @kubernetes/client-node 1.4.0 against the sim (KubernetesObjectApi CRUD and
 * server-side apply, typed Job status reads, Watch, ApiException codes and bodies).
 */
import * as k8s from '@kubernetes/client-node';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { eventually, jobManifest } from './support';

let sim: SimCluster;
let kc: k8s.KubeConfig;
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.05 });
  kc = new k8s.KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
});
afterAll(() => sim.stop());

const apiError = async (p: Promise<unknown>): Promise<{ code: number; body: any }> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(k8s.ApiException);
    const ex = e as k8s.ApiException<string>;
    return { code: ex.code, body: JSON.parse(ex.body) };
  }
  throw new Error('expected an ApiException');
};

describe('@kubernetes/client-node against the sim', () => {
  it('creates, reads, applies, lists and deletes through KubernetesObjectApi', async () => {
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cn-cm', namespace: 'default', labels: { app: 'cn' } }, data: { a: '1' } };
    const created: k8s.KubernetesObject = await api.create(cm);
    expect(created.metadata?.uid).toBeDefined();
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const read = (await api.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cn-cm', namespace: 'default' } })) as any;
    expect(read.data).toEqual({ a: '1' });
    const applied = (await api.patch({ ...cm, data: { a: '2' } }, undefined, undefined, 'my-tool', true, k8s.PatchStrategy.ServerSideApply)) as any;
    expect(applied.data).toEqual({ a: '2' });
    expect(applied.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`)).toContain('my-tool/Apply');
    const list = await api.list('v1', 'ConfigMap', 'default', undefined, undefined, undefined, undefined, 'app=cn');
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['cn-cm']);
    const all = await api.list('v1', 'ConfigMap');
    expect(all.items.length).toBeGreaterThan(4);
    await api.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cn-cm', namespace: 'default' } }, undefined, undefined, undefined, undefined, 'Background');
    expect(sim.get('v1', 'ConfigMap', 'default', 'cn-cm')).toBeUndefined();
  });

  it('surfaces 409 AlreadyExists, 409 Conflict, 404 NotFound and 422 Invalid as ApiException', async () => {
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup', namespace: 'default' } };
    const first = await api.create(cm);
    expect(await apiError(api.create(cm))).toMatchObject({ code: 409, body: { reason: 'AlreadyExists' } });
    await api.replace({ ...first, data: { x: '1' } });
    expect(await apiError(api.replace({ ...first, data: { x: '2' } }))).toMatchObject({ code: 409, body: { reason: 'Conflict' } });
    expect(await apiError(api.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'none', namespace: 'default' } }))).toMatchObject({
      code: 404,
      body: { reason: 'NotFound', message: 'deployments.apps "none" not found' },
    });
    expect(await apiError(api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', namespace: 'default' } }))).toMatchObject({
      code: 422,
      body: { reason: 'Invalid', details: { kind: 'ConfigMap', causes: [{ field: 'metadata.name' }] } },
    });
    expect(await apiError(api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'missing' } }))).toMatchObject({ code: 404, body: { message: 'namespaces "missing" not found' } });
  });

  it('polls a Job\'s status subresource until it completes', async () => {
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    await api.patch({ ...jobManifest('cn-job', 'sleep 1; echo ok'), metadata: { name: 'cn-job', namespace: 'default' } } as any, undefined, undefined, 'helm-sfn', true, k8s.PatchStrategy.ServerSideApply);
    const batch = kc.makeApiClient(k8s.BatchV1Api);
    const complete = (j: k8s.V1Job) => j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
    let job = await batch.readNamespacedJobStatus({ name: 'cn-job', namespace: 'default' });
    while (!complete(job)) {
      await new Promise((r) => setTimeout(r, 10));
      job = await batch.readNamespacedJobStatus({ name: 'cn-job', namespace: 'default' });
    }
    expect(job.status?.succeeded).toBe(1);
    expect(job.status?.completionTime).toBeInstanceOf(Date);
  });

  it('watches with a field selector', async () => {
    const watch = new k8s.Watch(kc);
    const seen: string[] = [];
    let request: { abort(): void } | undefined;
    const gotDelete = new Promise<void>((resolve, reject) => {
      watch
        .watch('/api/v1/namespaces/default/configmaps', { fieldSelector: 'metadata.name=watched' }, (type, obj) => {
          seen.push(`${type} ${obj.metadata.name}`);
          if (type === 'DELETED') resolve();
        }, (err) => err && reject(err))
        .then((r) => (request = r), reject);
    });
    await eventually('the watch to start', () => sim.operations.some((o) => o.verb === 'watch' && o.kind === 'ConfigMap'));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'ignored' } } });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'watched' } } });
    await core.deleteNamespacedConfigMap({ name: 'watched', namespace: 'default' });
    await gotDelete;
    request?.abort();
    expect(seen).toEqual(['ADDED watched', 'DELETED watched']);
  });
});
