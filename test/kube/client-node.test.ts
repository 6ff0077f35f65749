/** The KubeClient adapter against the simulated API server: behaviour and error names. */
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import { AlreadyExistsError } from '../../lib/kube/client';
import { ClientNodeKubeClient, loadKubeConfig, withoutObjectValues } from '../../lib/kube/client-node';
import { startSimCluster, type SimCluster } from '../../lib/sim';

let sim: SimCluster;
let kube: ClientNodeKubeClient;
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.02 });
  kube = new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath }));
});
afterAll(() => sim.stop());
afterEach(() => sim.faults.clear());

const cm = (name: string, data: Record<string, string> = { k: 'v' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data });
const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: 'default' });

test('apply creates, then updates, with the given field manager; get returns plain JSON', async () => {
  await kube.apply(cm('a'), { fieldManager: 'helm' });
  await kube.apply(cm('a', { k: 'w' }), { fieldManager: 'helm' });
  const live = await kube.get(ref('a'));
  expect(live?.data).toEqual({ k: 'w' });
  expect(typeof live?.metadata.creationTimestamp).toBe('string');
  expect((live?.metadata.managedFields as { manager: string }[]).map((f) => f.manager)).toEqual(['helm']);
});

test('get of a missing object is undefined; delete reports whether it existed', async () => {
  expect(await kube.get(ref('nope'))).toBeUndefined();
  await kube.create(cm('gone'));
  expect(await kube.delete(ref('gone'))).toBe(true);
  expect(await kube.delete(ref('gone'))).toBe(false);
});

test('create of an existing object is AlreadyExists (the release lock relies on it)', async () => {
  await kube.create(cm('lock'));
  await expect(kube.create(cm('lock'))).rejects.toBeInstanceOf(AlreadyExistsError);
});

test('list restores apiVersion and kind on items and honours the label selector', async () => {
  await kube.apply({ ...cm('l1'), metadata: { ...cm('l1').metadata, labels: { app: 'x' } } }, { fieldManager: 'helm' });
  await kube.apply({ ...cm('l2'), metadata: { ...cm('l2').metadata, labels: { app: 'y' } } }, { fieldManager: 'helm' });
  const items = await kube.list('v1', 'ConfigMap', 'default', { labelSelector: 'app=x' });
  expect(items.map((i) => [i.apiVersion, i.kind, i.metadata.name])).toEqual([['v1', 'ConfigMap', 'l1']]);
});

test('server version', async () => {
  expect(await kube.serverVersion()).toMatch(/^v1\.\d+\.\d+/);
});

const errorName = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof HelmSfnError ? `${e.name}: ${e.message}` : `other: ${String(e)}`),
  );

test.each([
  [{ type: 'error' as const, code: 500 }, ErrorName.KubeTransient],
  [{ type: 'error' as const, code: 503 }, ErrorName.KubeTransient],
  [{ type: 'error' as const, code: 429, retryAfterSeconds: 1 }, ErrorName.KubeTransient],
  [{ type: 'reset' as const }, ErrorName.KubeTransient],
  [{ type: 'error' as const, code: 403 }, ErrorName.ClusterUnreachable],
])('API failure %o is %s', async (effect, name) => {
  await kube.apply(cm('faulty'), { fieldManager: 'helm' });
  sim.faults.add({ verbs: ['get'], resource: 'configmaps', name: 'faulty', effect });
  expect(await errorName(kube.get(ref('faulty')))).toMatch(new RegExp(`^${name}: get ConfigMap default/faulty`));
});

test('an invalid object is ApplyFailed with the API server message', async () => {
  expect(await errorName(kube.apply(cm('bad_name'), { fieldManager: 'helm' }))).toMatch(/^ApplyFailed: apply ConfigMap default\/bad_name: .*Invalid value: "bad_name"/);
});

test('nothing listening is ClusterUnreachable', async () => {
  const dead = new ClientNodeKubeClient(
    loadKubeConfig({ cluster: { server: 'http://127.0.0.1:9', token: 't', skipTLSVerify: true } }),
  );
  expect(await errorName(dead.get(ref('x')))).toMatch(/^ClusterUnreachable: /);
});

test('objects the API server quotes in a message are left out (they may hold values or secrets)', () => {
  expect(withoutObjectValues('Job.batch "b" is invalid: spec.template: Invalid value: {"spec":{"env":[{"value":"hunter2"}]}}: field is immutable')).toBe(
    'Job.batch "b" is invalid: spec.template: Invalid value: {…}: field is immutable',
  );
  expect(withoutObjectValues('metadata.name: Invalid value: "bad_name": a lowercase RFC 1123 subdomain')).toBe('metadata.name: Invalid value: "bad_name": a lowercase RFC 1123 subdomain');
});
