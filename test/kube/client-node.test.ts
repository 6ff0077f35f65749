/** The KubeClient adapter against the simulated API server: behaviour, error names, retries, raw bodies. */
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import { AlreadyExistsError, type WatchEvent } from '../../lib/kube/client';
import { ClientNodeKubeClient, loadKubeConfig, withoutObjectValues } from '../../lib/kube/client-node';
import { startSimCluster, type SimCluster } from '../../lib/sim';

let sim: SimCluster;
let kube: ClientNodeKubeClient;
/** No retries: each failure is seen as it is. */
let once: ClientNodeKubeClient;
const slept: number[] = [];
/** Retries with recorded (not real) backoffs. */
const retrying = () => new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath }), { sleep: async (ms) => void slept.push(ms), retryBudgetMs: 60_000 });
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.02 });
  kube = new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath }));
  once = new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath }), { retryBudgetMs: 0 });
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
  [{ type: 'error' as const, code: 403 }, ErrorName.AccessDenied],
])('API failure %o is %s', async (effect, name) => {
  await kube.apply(cm('faulty'), { fieldManager: 'helm' });
  sim.faults.add({ verbs: ['get'], resource: 'configmaps', name: 'faulty', effect });
  expect(await errorName(once.get(ref('faulty')))).toMatch(new RegExp(`^${name}: get ConfigMap default/faulty`));
});

test.each([
  ['500', { type: 'error' as const, code: 500 }],
  ['429 with Retry-After', { type: 'error' as const, code: 429, retryAfterSeconds: 2 }],
  ['reset', { type: 'reset' as const }],
])('an idempotent request rides out %s faults with jittered backoff', async (_, effect) => {
  slept.length = 0;
  const client = retrying();
  await kube.apply(cm('flaky'), { fieldManager: 'helm' });
  sim.faults.add({ verbs: ['get', 'apply'], resource: 'configmaps', name: 'flaky', times: 3, effect });
  await client.apply(cm('flaky', { k: 'again' }), { fieldManager: 'helm' });
  expect((await client.get(ref('flaky')))?.data).toEqual({ k: 'again' });
  expect(slept).toHaveLength(3);
  if (effect.type === 'error' && effect.code === 429) expect(Math.min(...slept)).toBeGreaterThanOrEqual(2000);
});

test('a create is not sent again after a failure that may have been acted on, but is after a 503', async () => {
  const client = retrying();
  sim.faults.add({ verbs: ['create'], resource: 'configmaps', times: 1, effect: { type: 'error', code: 500 } });
  expect(await errorName(client.create(cm('posted')))).toMatch(/^KubeTransient: create ConfigMap default\/posted/);
  sim.faults.add({ verbs: ['create'], resource: 'configmaps', times: 2, effect: { type: 'error', code: 503 } });
  await client.create(cm('posted'));
  expect(await kube.get(ref('posted'))).toBeDefined();
});

test('refused credentials are refreshed once, then the request goes through', async () => {
  let refreshes = 0;
  const client = new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath }), {
    refreshCredentials: async () => {
      refreshes++;
      return loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath });
    },
  });
  await kube.apply(cm('rotated'), { fieldManager: 'helm' });
  sim.faults.add({ verbs: ['get'], resource: 'configmaps', name: 'rotated', times: 1, effect: { type: 'error', code: 401 } });
  expect(await client.get(ref('rotated'))).toBeDefined();
  sim.faults.add({ verbs: ['get'], resource: 'configmaps', name: 'rotated', times: 2, effect: { type: 'error', code: 401 } });
  expect(await errorName(client.get(ref('rotated')))).toMatch(/^AccessDenied: /);
  expect(refreshes).toBe(2);
});

test('a stalled answer is cut off by the attempt timeout and named KubeTransient', async () => {
  const client = new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath }), { attemptTimeoutMs: 200, retryBudgetMs: 0 });
  await kube.apply(cm('slow'), { fieldManager: 'helm' });
  sim.faults.add({ verbs: ['get'], resource: 'configmaps', name: 'slow', times: 1, effect: { type: 'latency', ms: 60_000 } });
  expect(await errorName(client.get(ref('slow')))).toMatch(/^KubeTransient: get ConfigMap default\/slow: no answer within 200 ms/);
});

test('objects reach the API server exactly as given: fields typed models drop or rename survive', async () => {
  const policy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'np', namespace: 'default' },
    spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 80 }] }] },
  };
  await kube.apply(policy, { fieldManager: 'helm' });
  expect((await kube.get({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'np', namespace: 'default' }))?.spec).toEqual(policy.spec);
  const limits = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'default' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } }] } };
  await kube.create(limits);
  await kube.patch({ apiVersion: 'v1', kind: 'LimitRange', name: 'lr', namespace: 'default' }, { metadata: { labels: { a: 'b' } } }, 'merge');
  expect((await kube.get({ apiVersion: 'v1', kind: 'LimitRange', name: 'lr', namespace: 'default' }))?.spec).toEqual(limits.spec);
});

test('a kind the cluster does not serve fails with Helm\'s message before any request to it', async () => {
  const hook = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' } };
  expect(await errorName(kube.apply(hook, { fieldManager: 'helm' }))).toBe(
    'ApplyFailed: resource mapping not found for name: "w" namespace: "default" from "": no matches for kind "Widget" in version "example.com/v1"\nensure CRDs are installed first',
  );
  expect(await kube.resourceFor('apps/v1', 'Deployment')).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true });
  expect(await kube.resourceFor('apps/v1', 'Nope')).toBeUndefined();
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

/** Field names client-node's typed models rename or drop (kubernetes-client/javascript#2825), each where a real object holds it. */
test.each([
  ['a CRD schema (enum, default, $ref, x-kubernetes-*)', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: {
          spec: { type: 'object', default: {}, 'x-kubernetes-validations': [{ rule: 'self.size >= 0', message: 'm' }], properties: {
            mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
            port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
            items: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
            ref: { $ref: '#/definitions/x', type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
            not: { not: { type: 'null' } },
          } },
        } } },
      }],
    },
  }],
  ['a LimitRange (default)', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr2', namespace: 'default' }, spec: { limits: [{ type: 'Container', default: { memory: '1Gi' } }] } }],
  ['a NetworkPolicy egress (to, ports with endPort)', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np2', namespace: 'default' }, spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 32000, endPort: 32768, protocol: 'TCP' }] }] } }],
  ['a ConfigMap whose keys look like model fields', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-names', namespace: 'default' }, data: { from: '1', enum: '2', default: '3', continue: '4', $ref: '5', 'x-kubernetes-int-or-string': '6' } }],
])('round trip of %s through apply, get and list is lossless', async (_, obj) => {
  const ref = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: (obj.metadata as { namespace?: string }).namespace };
  const applied = await kube.apply(obj, { fieldManager: 'helm' });
  const live = await kube.get(ref);
  const listed = (await kube.list(obj.apiVersion, obj.kind, ref.namespace)).find((o) => o.metadata.name === ref.name);
  const { metadata: _m, status: _s, ...sent } = obj as Record<string, unknown>;
  for (const got of [applied, live, listed]) {
    const { metadata: _gm, status: _gs, ...body } = got as unknown as Record<string, unknown>;
    expect(body).toEqual(sent);
  }
});

test('delete asks for background propagation: a deleted Job takes its Pods with it (the API default for a Job orphans them)', async () => {
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'propagation', namespace: 'default' },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 600'] }] } } },
  };
  const pods = () => kube.list('v1', 'Pod', 'default', { labelSelector: 'job-name=propagation' });
  // a bounded wait on the sim's controllers (time scale 0.02): a condition, not a duration, is asserted
  const until = async (done: () => Promise<boolean>) => {
    for (let i = 0; i < 300 && !(await done()); i++) await new Promise((r) => setTimeout(r, 10));
    return done();
  };
  await kube.apply(job, { fieldManager: 'helm' });
  expect(await until(async () => (await pods()).length > 0)).toBe(true);
  expect(await kube.delete({ apiVersion: 'batch/v1', kind: 'Job', name: 'propagation', namespace: 'default' })).toBe(true);
  expect(await until(async () => (await pods()).length === 0)).toBe(true);
  expect(await kube.get({ apiVersion: 'batch/v1', kind: 'Job', name: 'propagation', namespace: 'default' })).toBeUndefined();
});

test('list without a namespace lists every namespace (as helm list -A needs); a dry run stores nothing', async () => {
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'elsewhere' } });
  const labelled = (name: string, namespace: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { spread: 'yes' } }, data: {} });
  await kube.apply(labelled('here', 'default'), { fieldManager: 'helm' });
  await kube.apply(labelled('there', 'elsewhere'), { fieldManager: 'helm' });
  const names = (items: { metadata: { namespace?: string; name: string } }[]) => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
  expect(names(await kube.list('v1', 'ConfigMap', undefined, { labelSelector: 'spread=yes' }))).toEqual(['default/here', 'elsewhere/there']);
  expect(names(await kube.list('v1', 'ConfigMap', 'elsewhere', { labelSelector: 'spread=yes' }))).toEqual(['elsewhere/there']);

  await kube.apply(labelled('dry', 'default'), { fieldManager: 'helm', dryRun: true });
  await kube.create({ ...labelled('', 'default'), metadata: { ...labelled('', 'default').metadata, generateName: 'dry-' } }, { dryRun: true });
  expect(names(await kube.list('v1', 'ConfigMap', 'default', { labelSelector: 'spread=yes' }))).toEqual(['default/here']);
});

describe('watch', () => {
  const events = () => {
    const seen: string[] = [];
    return { seen, onEvent: (e: WatchEvent) => void seen.push(e.type === 'SYNCED' ? 'SYNCED' : `${e.type} ${e.object.kind}/${e.object.metadata.name} ${JSON.stringify(e.object.data)}`) };
  };

  test('without a resourceVersion: the current objects, SYNCED, then changes, narrowed by the field selector', async () => {
    await kube.apply(cm('w1', { step: '1' }), { fieldManager: 'helm' });
    await kube.apply(cm('w-other'), { fieldManager: 'helm' });
    const { seen, onEvent } = events();
    const abort = new AbortController();
    const watching = kube.watch('v1', 'ConfigMap', 'default', { fieldSelector: 'metadata.name=w1', timeoutSeconds: 30, signal: abort.signal }, (e) => {
      onEvent(e);
      if (e.type === 'SYNCED') void kube.apply(cm('w1', { step: '2' }), { fieldManager: 'helm' }).then(() => kube.delete(ref('w1')));
      if (e.type === 'DELETED') abort.abort();
    });
    await expect(watching).resolves.toBeUndefined();
    expect(seen).toEqual(['ADDED ConfigMap/w1 {"step":"1"}', 'SYNCED', 'MODIFIED ConfigMap/w1 {"step":"2"}', 'DELETED ConfigMap/w1 {"step":"2"}']);
  });

  test("ends when the server's timeoutSeconds ends the stream", async () => {
    const { seen, onEvent } = events();
    await kube.watch('v1', 'ConfigMap', 'default', { fieldSelector: 'metadata.name=never', timeoutSeconds: 1 }, onEvent);
    expect(seen).toEqual(['SYNCED']);
  });

  test.each([
    ['a reset', { type: 'reset' as const }, ErrorName.KubeTransient],
    ['410 Gone', { type: 'error' as const, code: 410 }, ErrorName.KubeTransient],
    ['a refused watch (403)', { type: 'error' as const, code: 403 }, ErrorName.AccessDenied],
  ])('a watch that fails with %s rejects (the watcher looks again instead)', async (_, effect, name) => {
    sim.faults.add({ verbs: ['watch'], resource: 'configmaps', effect });
    expect(await errorName(kube.watch('v1', 'ConfigMap', 'default', { timeoutSeconds: 5 }, () => undefined))).toMatch(new RegExp(`^${name}: watch ConfigMap in default`));
  });

  test('an ERROR event (resourceVersion expired) rejects with KubeTransient', async () => {
    // push the sim's event history (5,000 events) past version 1, so it is compacted away
    for (let i = 0; i < 5100; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => kube.apply(cm(`churn-${j}`, { i: String(i) }), { fieldManager: 'helm' })));
    }
    const expired = kube.watch('v1', 'ConfigMap', 'default', { resourceVersion: '1', timeoutSeconds: 5 }, () => undefined);
    expect(await errorName(expired)).toMatch(/^KubeTransient: watch ConfigMap in default: too old resource version/);
  });
});
