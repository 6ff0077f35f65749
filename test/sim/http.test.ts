import { startSimCluster, type SimCluster } from '../../lib/sim';

let sim: SimCluster;
beforeAll(async () => {
  sim = await startSimCluster({ controllers: false, seed: 7 });
});
afterAll(() => sim.stop());

const call = async (path: string, init: RequestInit & { json?: unknown } = {}) => {
  const { json, ...rest } = init;
  const res = await fetch(`${sim.url}${path}`, {
    ...rest,
    headers: { ...(json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(rest.headers ?? {}) },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
};

/** Reads newline-delimited watch events until `until` says stop. */
async function watch(path: string, until: (events: any[]) => boolean, during?: () => Promise<void>): Promise<any[]> {
  const controller = new AbortController();
  const res = await fetch(`${sim.url}${path}`, { signal: controller.signal });
  const reader = res.body!.getReader();
  const events: any[] = [];
  let buffer = '';
  let started = false;
  try {
    while (!until(events)) {
      if (!started && during && events.length > 0) {
        started = true;
        void during();
      }
      const { value, done } = await reader.read();
      if (done) break;
      buffer += Buffer.from(value).toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
      }
    }
  } finally {
    controller.abort();
  }
  return events;
}

describe('discovery and OpenAPI', () => {
  it('serves /version with plain semver (+ build metadata)', async () => {
    const { body } = await call('/version');
    expect(body.gitVersion).toMatch(/^v1\.34\.0(\+[a-z]+)?$/);
  });

  it('serves aggregated discovery when asked for apidiscovery v2', async () => {
    const { headers, body } = await call('/apis', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    expect(headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const batch = body.items.find((i: any) => i.metadata.name === 'batch');
    expect(batch.versions[0].resources.find((r: any) => r.resource === 'jobs')).toMatchObject({
      responseKind: { group: 'batch', version: 'v1', kind: 'Job' },
      scope: 'Namespaced',
      subresources: [{ subresource: 'status', verbs: ['get', 'patch', 'update'] }],
    });
    const core = await call('/api', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
    expect(core.body.items.map((i: any) => i.metadata.name)).toEqual(['']);
  });

  it('serves legacy discovery with each resource before its subresources', async () => {
    expect((await call('/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const { body } = await call('/apis/apps/v1');
    const names = body.resources.map((r: any) => r.name);
    expect(names.indexOf('deployments')).toBeLessThan(names.indexOf('deployments/status'));
    expect(body.resources.find((r: any) => r.name === 'deployments/scale')).toMatchObject({ kind: 'Scale', group: 'autoscaling', version: 'v1' });
  });

  it('serves an OpenAPI v3 stub whose PATCH operations accept fieldValidation', async () => {
    const index = (await call('/openapi/v3')).body;
    const url = index.paths['apis/batch/v1'].serverRelativeURL as string;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/batch\/v1\?hash=[0-9A-F]+$/);
    const doc = (await call(url)).body;
    const op = doc.paths['/apis/batch/v1/namespaces/{namespace}/jobs/{name}'].patch;
    expect(op['x-kubernetes-group-version-kind']).toEqual({ group: 'batch', version: 'v1', kind: 'Job' });
    expect(op.parameters.map((p: any) => p.name)).toContain('fieldValidation');
  });

  it('answers the generic 404 for unknown paths and resources', async () => {
    for (const path of ['/apis/nope/v1', '/api/v1/nope', '/apis/apps/v1/namespaces/default/nope/x', '/api/v1/configmaps/x']) {
      const { status, body } = await call(path);
      expect(status).toBe(404);
      expect(body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 });
    }
  });
});

describe('resources over HTTP', () => {
  it('creates from YAML, reads, lists with selectors, pages and prints Tables', async () => {
    for (const n of ['a', 'b', 'c']) {
      const res = await call('/api/v1/namespaces/default/configmaps?fieldManager=test', {
        method: 'POST',
        headers: { 'Content-Type': 'application/yaml' },
        body: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: page-${n}\n  labels: {set: paging, n: "${n}"}\ndata: {k: v}\n`,
      });
      expect(res.status).toBe(201);
    }
    const list = (await call('/api/v1/namespaces/default/configmaps?labelSelector=set%3Dpaging,n!%3Db')).body;
    expect(list).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1' });
    expect(list.items.map((i: any) => i.metadata.name)).toEqual(['page-a', 'page-c']);
    expect(list.items[0].kind).toBeUndefined();
    const first = (await call('/api/v1/configmaps?labelSelector=set%3Dpaging&limit=2')).body;
    expect(first.items).toHaveLength(2);
    expect(first.metadata.remainingItemCount).toBe(1);
    const rest = (await call(`/api/v1/configmaps?labelSelector=set%3Dpaging&limit=2&continue=${encodeURIComponent(first.metadata.continue)}`)).body;
    expect(rest.items.map((i: any) => i.metadata.name)).toEqual(['page-c']);
    const table = await call('/api/v1/namespaces/default/configmaps/page-a', { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });
    expect(table.headers.get('content-type')).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(table.body.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(table.body.rows[0].cells.slice(0, 2)).toEqual(['page-a', 1]);
    expect(table.body.rows[0].object.kind).toBe('PartialObjectMetadata');
  });

  it('requires a fieldManager for apply and records operations with their outcome', async () => {
    const before = sim.operations.length;
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '1' } };
    const noManager = await call('/api/v1/namespaces/default/configmaps/applied', { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: JSON.stringify(cm) });
    expect(noManager.status).toBe(400);
    const applied = await call('/api/v1/namespaces/default/configmaps/applied?fieldManager=helm&force=false', { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: JSON.stringify(cm) });
    expect(applied.status).toBe(201);
    const missing = await call('/api/v1/namespaces/default/configmaps/nope', { method: 'DELETE', json: { propagationPolicy: 'Background' } });
    expect(missing.body).toMatchObject({ code: 404, message: 'configmaps "nope" not found' });
    expect(sim.operations.slice(before).map((o) => [o.verb, o.name, o.code, o.outcome, o.fieldManager ?? ''])).toEqual([
      ['apply', 'applied', 400, 'BadRequest', 'node'],
      ['apply', 'applied', 201, 'created', 'helm'],
      ['delete', 'nope', 404, 'NotFound', ''],
    ]);
  });

  it('answers 415 to an unknown patch type', async () => {
    const res = await call('/api/v1/namespaces/default/configmaps/applied', { method: 'PATCH', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
    expect(res.status).toBe(415);
    expect(res.body.reason).toBe('UnsupportedMediaType');
  });

  it('serves the scale subresource', async () => {
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'scaled' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    await call('/apis/apps/v1/namespaces/default/deployments', { method: 'POST', json: d });
    const scaled = await call('/apis/apps/v1/namespaces/default/deployments/scaled/scale', { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{"spec":{"replicas":4}}' });
    expect(scaled.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 4 }, status: { selector: 'a=b' } });
    expect((sim.get('apps/v1', 'Deployment', 'default', 'scaled') as any).spec.replicas).toBe(4);
  });

  it('refuses logs of a container that has not started', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'idle' }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    await call('/api/v1/namespaces/default/pods', { method: 'POST', json: pod });
    const res = await call('/api/v1/namespaces/default/pods/idle/log');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('container "c" in pod "idle" is waiting to start: ContainerCreating');
  });
});

describe('watch', () => {
  it('serves a watch-list: initial ADDED events, an annotated BOOKMARK, then live changes', async () => {
    await call('/api/v1/namespaces/default/secrets', { method: 'POST', json: { metadata: { name: 'w1' }, data: {} } });
    const events = await watch(
      '/api/v1/namespaces/default/secrets?allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&watch=true',
      (evs) => evs.some((e) => e.type === 'MODIFIED'),
      async () => {
        await call('/api/v1/namespaces/default/secrets/w1', { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{"metadata":{"labels":{"x":"y"}}}' });
      },
    );
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK', 'MODIFIED']);
    expect(events[0].object).toMatchObject({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'w1' } });
    expect(events[1].object).toEqual({ kind: 'Secret', apiVersion: 'v1', metadata: { resourceVersion: expect.any(String), annotations: { 'k8s.io/initial-events-end': 'true' } } });
  });

  it('replays from a resourceVersion and turns selector exits into DELETED', async () => {
    const created = (await call('/api/v1/namespaces/default/configmaps', { method: 'POST', json: { metadata: { name: 'sel', labels: { keep: 'yes' } } } })).body;
    await call('/api/v1/namespaces/default/configmaps/sel', { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{"metadata":{"labels":{"keep":"no"}}}' });
    const events = await watch(`/api/v1/namespaces/default/configmaps?watch=1&labelSelector=keep%3Dyes&resourceVersion=${Number(created.metadata.resourceVersion) - 1}`, (evs) => evs.length >= 2);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED sel', 'DELETED sel']);
  });

  it('wraps watch events in one-row Tables for kubectl get -w, with columns only in the first', async () => {
    const events = await watch(
      '/api/v1/namespaces/default/configmaps?watch=true&labelSelector=set%3Dpaging',
      (evs) => evs.length >= 2,
    );
    const accept = { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };
    const res = await fetch(`${sim.url}/api/v1/namespaces/default/configmaps?watch=true&labelSelector=set%3Dpaging`, { headers: accept });
    const reader = res.body!.getReader();
    let text = '';
    while (text.split('\n').length < 3) text += Buffer.from((await reader.read()).value!).toString('utf8');
    await reader.cancel();
    const [first, second] = text.split('\n').map((l) => l && JSON.parse(l));
    expect(events[0].object.kind).toBe('ConfigMap');
    expect(first.object).toMatchObject({ kind: 'Table', columnDefinitions: [{ name: 'Name' }, { name: 'Data' }, { name: 'Age' }], rows: [{ cells: ['page-a', 1, expect.any(String)] }] });
    expect(second.object.columnDefinitions).toEqual([]);
  });

  it('ends the stream after timeoutSeconds', async () => {
    const res = await fetch(`${sim.url}/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=0.05&fieldSelector=metadata.name%3Dnone`);
    expect(await res.text()).toBe('');
  });
});

describe('faults', () => {
  afterEach(() => sim.faults.clear());

  it('injects 500s and 429s with Retry-After for matching verbs and resources only', async () => {
    sim.faults.add({ verbs: ['get'], resource: 'configmaps', times: 1, effect: { type: 'error', code: 500 } });
    sim.faults.add({ verbs: ['list'], resource: 'Secret', effect: { type: 'error', code: 429, retryAfterSeconds: 2 } });
    const failed = await call('/api/v1/namespaces/default/configmaps/applied');
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
    expect((await call('/api/v1/namespaces/default/configmaps/applied')).status).toBe(200);
    const throttled = await call('/api/v1/namespaces/default/secrets');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(throttled.body.details).toEqual({ retryAfterSeconds: 2 });
    expect((await call('/api/v1/namespaces/default/configmaps')).status).toBe(200);
    expect(sim.operations.filter((o) => o.code === 429 || o.code === 500).map((o) => o.outcome)).toEqual(['InternalError', 'TooManyRequests']);
  });

  it('resets connections and adds latency', async () => {
    sim.faults.add({ verbs: ['get'], name: 'applied', times: 1, effect: { type: 'reset' } });
    await expect(fetch(`${sim.url}/api/v1/namespaces/default/configmaps/applied`)).rejects.toThrow();
    sim.faults.add({ resource: 'configmaps', effect: { type: 'latency', ms: 20 } });
    expect((await call('/api/v1/namespaces/default/configmaps/applied')).status).toBe(200);
    expect(sim.operations.some((o) => o.outcome === 'reset')).toBe(true);
  });

  it('rejects rules with an invalid rate or code', () => {
    expect(() => sim.faults.add({ rate: 2, effect: { type: 'reset' } })).toThrow(/rate must be between 0 and 1/);
    expect(() => sim.faults.add({ effect: { type: 'error', code: 200 } })).toThrow(/4xx or 5xx/);
  });
});
