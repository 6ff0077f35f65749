import { SimClock } from '../../lib/sim/clock';
import { SimError } from '../../lib/sim/errors';
import { ObjectApi } from '../../lib/sim/objects';
import { Registry, type ResourceType } from '../../lib/sim/registry';
import { Store, type KubeObject, type StoreEvent } from '../../lib/sim/storage';

function setup() {
  const registry = new Registry();
  const store = new Store();
  const api = new ObjectApi(registry, store, new SimClock(1, 42));
  const events: StoreEvent[] = [];
  store.subscribe((e) => events.push(e));
  const t = (group: string, plural: string, version = 'v1') => registry.byPlural(group, version, plural)!;
  api.create(t('', 'namespaces'), undefined, { metadata: { name: 'ns' } }, { manager: 'test' });
  return { registry, store, api, events, t };
}

const failure = (fn: () => unknown): SimError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof SimError) return e;
    throw e;
  }
  throw new Error('expected a SimError');
};

const cm = (name: string, data: Record<string, string> = { a: '1' }, extra: object = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data });

describe('create', () => {
  it('sets uid, creationTimestamp, resourceVersion and a managedFields entry; no generation for ConfigMaps', () => {
    const { api, t } = setup();
    const o = api.create(t('', 'configmaps'), 'ns', cm('c1'), { manager: 'kubectl-create' });
    expect(o.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(o.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(o.metadata.resourceVersion)).toBeGreaterThan(100);
    expect(o.metadata.generation).toBeUndefined();
    expect(o.metadata.managedFields).toEqual([
      { manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: o.metadata.creationTimestamp, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } },
    ]);
  });

  it('appends five random characters to generateName', () => {
    const { api, t } = setup();
    const o = api.create(t('', 'configmaps'), 'ns', { metadata: { generateName: 'job-' } }, { manager: 'm' });
    expect(o.metadata.name).toMatch(/^job-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('answers 409 AlreadyExists with the Status shape of the real server', () => {
    const { api, t } = setup();
    api.create(t('', 'configmaps'), 'ns', cm('c1'), { manager: 'm' });
    expect(failure(() => api.create(t('', 'configmaps'), 'ns', cm('c1'), { manager: 'm' })).status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "c1" already exists',
      reason: 'AlreadyExists',
      details: { name: 'c1', kind: 'configmaps' },
      code: 409,
    });
  });

  it('answers 404 for a missing namespace and 403 for a terminating one', () => {
    const { api, t } = setup();
    expect(failure(() => api.create(t('', 'configmaps'), 'nope', cm('c1'), { manager: 'm' })).status).toMatchObject({ code: 404, message: 'namespaces "nope" not found' });
    api.delete(t('', 'namespaces'), undefined, 'ns', {});
    expect(failure(() => api.create(t('', 'configmaps'), 'ns', cm('c1'), { manager: 'm' })).status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      details: { causes: [{ reason: 'NamespaceTerminating' }] },
    });
  });

  it('answers 422 Invalid naming the field and the rule, with Kind (not plural) in details', () => {
    const { api, t } = setup();
    const err = failure(() => api.create(t('apps', 'deployments'), 'ns', { metadata: { name: 'Bad_Name' }, spec: {} }, { manager: 'm' }));
    expect(err.status).toMatchObject({ code: 422, reason: 'Invalid', details: { name: 'Bad_Name', group: 'apps', kind: 'Deployment' } });
    expect(err.message).toMatch(/^Deployment\.apps "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    expect(err.message).toContain('spec.template.spec.containers: Required value');
  });

  it('rejects a Job whose pods would restart Always', () => {
    const { api, t } = setup();
    const job = { metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    expect(failure(() => api.create(t('batch', 'jobs'), 'ns', job, { manager: 'm' })).message).toContain(
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    );
  });

  it('defaults a Job selector and pod labels from its uid, and a Secret stringData into data', () => {
    const { api, t } = setup();
    const job = api.create(t('batch', 'jobs'), 'ns', { metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } }, { manager: 'm' }) as any;
    expect(job.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata.uid } });
    expect(job.spec.template.metadata.labels).toMatchObject({ 'job-name': 'j', 'batch.kubernetes.io/job-name': 'j' });
    expect(job.spec.backoffLimit).toBe(6);
    expect(job.status).toEqual({});
    const secret = api.create(t('', 'secrets'), 'ns', { metadata: { name: 's' }, stringData: { p: 'q' } }, { manager: 'm' }) as any;
    expect(secret).toMatchObject({ type: 'Opaque', data: { p: 'cQ==' } });
    expect(secret.stringData).toBeUndefined();
  });

  it('refuses a resourceVersion and non-base64 Secret data with 400', () => {
    const { api, t } = setup();
    expect(failure(() => api.create(t('', 'configmaps'), 'ns', cm('c', {}, { resourceVersion: '5' }), { manager: 'm' })).code).toBe(400);
    expect(failure(() => api.create(t('', 'secrets'), 'ns', { metadata: { name: 's' }, data: { a: 'not base64!' } }, { manager: 'm' })).message).toMatch(/illegal base64/);
  });

  it('stores nothing on a dry run', () => {
    const { api, t, store } = setup();
    api.create(t('', 'configmaps'), 'ns', cm('c1'), { manager: 'm', dryRun: true });
    expect(store.get('/configmaps', 'ns', 'c1')).toBeUndefined();
  });
});

describe('update', () => {
  it('answers 409 Conflict for a stale resourceVersion and accepts an unconditional update of a built-in kind', () => {
    const { api, t } = setup();
    const o = api.create(t('', 'configmaps'), 'ns', cm('c1'), { manager: 'm' });
    api.update(t('', 'configmaps'), 'ns', 'c1', { ...o, data: { a: '2' } }, { manager: 'm' });
    expect(failure(() => api.update(t('', 'configmaps'), 'ns', 'c1', { ...o, data: { a: '3' } }, { manager: 'm' })).status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on configmaps "c1": the object has been modified; please apply your changes to the latest version and try again',
    });
    const { resourceVersion: _rv, ...meta } = o.metadata;
    expect((api.update(t('', 'configmaps'), 'ns', 'c1', { ...o, metadata: meta, data: { a: '4' } }, { manager: 'm' }) as any).data).toEqual({ a: '4' });
  });

  it('requires a resourceVersion to update a custom resource (422)', () => {
    const { api, registry } = setup();
    const widget: ResourceType = { group: 'example.com', version: 'v1', plural: 'widgets', singular: 'widget', kind: 'Widget', namespaced: true, shortNames: [], categories: [], subresources: [], generation: true, custom: true };
    registry.registerCustom([widget]);
    api.create(widget, 'ns', { metadata: { name: 'w' }, spec: { a: 1 } }, { manager: 'm' });
    expect(failure(() => api.update(widget, 'ns', 'w', { metadata: { name: 'w' }, spec: { a: 2 } }, { manager: 'm' })).message).toBe(
      'Widget.example.com "w" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );
  });

  it('bumps generation on spec changes only, keeps status on main writes and keeps the resourceVersion of a no-op', () => {
    const { api, t } = setup();
    const type = t('apps', 'deployments');
    const d = { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    const created = api.create(type, 'ns', d, { manager: 'm' });
    const withStatus = api.update(type, 'ns', 'd', { ...created, status: { replicas: 1 } }, { manager: 'ctrl', subresource: 'status' }) as any;
    expect(withStatus.status).toEqual({ replicas: 1 });
    expect(withStatus.metadata.generation).toBe(1);
    const labelled = api.update(type, 'ns', 'd', { ...withStatus, metadata: { ...withStatus.metadata, labels: { x: 'y' } }, status: {} }, { manager: 'm' }) as any;
    expect(labelled.metadata.generation).toBe(1);
    expect(labelled.status).toEqual({ replicas: 1 });
    const scaled = api.update(type, 'ns', 'd', { ...labelled, spec: { ...labelled.spec, replicas: 5 } }, { manager: 'm' }) as any;
    expect(scaled.metadata.generation).toBe(2);
    const again = api.update(type, 'ns', 'd', scaled, { manager: 'm' });
    expect(again.metadata.resourceVersion).toBe(scaled.metadata.resourceVersion);
  });
});

describe('server-side apply', () => {
  const svc = (extra: object = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels: { app: 'web' } }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...extra } });

  it('creates (201) when absent, and re-applying the same configuration changes nothing', () => {
    const { api, t } = setup();
    const first = api.apply(t('', 'services'), 'ns', 'web', svc(), { manager: 'helm' });
    expect(first.created).toBe(true);
    expect(first.object.metadata.managedFields?.[0]).toMatchObject({ manager: 'helm', operation: 'Apply' });
    const second = api.apply(t('', 'services'), 'ns', 'web', svc(), { manager: 'helm' });
    expect(second.created).toBe(false);
    expect(second.object.metadata.resourceVersion).toBe(first.object.metadata.resourceVersion);
  });

  it('keeps a no-op apply a no-op even seconds later (managedFields time unchanged)', () => {
    const { api, t } = setup();
    const first = api.apply(t('', 'services'), 'ns', 'web', svc(), { manager: 'helm' }).object;
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 5000);
    try {
      const again = api.apply(t('', 'services'), 'ns', 'web', svc(), { manager: 'helm' }).object;
      expect(again.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      expect(again.metadata.managedFields).toEqual(first.metadata.managedFields);
    } finally {
      clock.mockRestore();
    }
  });

  it('compares after merging and defaulting, so create then apply of the same file does not conflict', () => {
    const { api, t } = setup();
    api.create(t('', 'services'), 'ns', svc(), { manager: 'kubectl-create' });
    expect(() => api.apply(t('', 'services'), 'ns', 'web', svc(), { manager: 'kubectl' })).not.toThrow();
  });

  it('reports a conflict with another manager and resolves it with force', () => {
    const { api, t } = setup();
    api.create(t('', 'configmaps'), 'ns', cm('c', { a: '1' }), { manager: 'kubectl-client-side-apply' });
    const err = failure(() => api.apply(t('', 'configmaps'), 'ns', 'c', cm('c', { a: '2' }), { manager: 'helm' }));
    expect(err.status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using v1', field: '.data.a' }] },
    });
    const forced = api.apply(t('', 'configmaps'), 'ns', 'c', cm('c', { a: '2' }), { manager: 'helm', force: true }).object as any;
    expect(forced.data).toEqual({ a: '2' });
    expect(forced.metadata.managedFields.map((m: any) => m.manager)).toEqual(['helm']);
  });

  it('removes fields the manager stopped applying, but not fields others own', () => {
    const { api, t } = setup();
    api.apply(t('', 'configmaps'), 'ns', 'c', cm('c', { a: '1', b: '2', c: '3' }), { manager: 'helm' });
    api.patch(t('', 'configmaps'), 'ns', 'c', 'application/merge-patch+json', { data: { c: '30' } }, { manager: 'kubectl-patch' });
    const out = api.apply(t('', 'configmaps'), 'ns', 'c', cm('c', { a: '1' }), { manager: 'helm' }).object as any;
    expect(out.data).toEqual({ a: '1', c: '30' });
  });

  it('refuses a body whose kind does not match the URL (400)', () => {
    const { api, t } = setup();
    expect(failure(() => api.apply(t('', 'configmaps'), 'ns', 'c', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'c' } }, { manager: 'helm' })).code).toBe(400);
  });
});

describe('delete', () => {
  it('returns a Success Status with details for immediate deletes', () => {
    const { api, t } = setup();
    const o = api.create(t('apps', 'deployments'), 'ns', { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } }, { manager: 'm' });
    expect(api.delete(t('apps', 'deployments'), 'ns', 'd', {}).body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'd', group: 'apps', kind: 'deployments', uid: o.metadata.uid },
    });
  });

  it('keeps an object with finalizers until an update empties them, then emits one DELETED event', () => {
    const { api, t, events } = setup();
    api.create(t('', 'configmaps'), 'ns', cm('c', { a: '1' }, { finalizers: ['example.com/hold'] }), { manager: 'm' });
    const result = api.delete(t('', 'configmaps'), 'ns', 'c', {});
    expect(result.removed).toBe(false);
    const pending = api.get(t('', 'configmaps'), 'ns', 'c');
    expect(pending.metadata.deletionTimestamp).toBeDefined();
    const before = events.length;
    api.patch(t('', 'configmaps'), 'ns', 'c', 'application/merge-patch+json', { metadata: { finalizers: null } }, { manager: 'm' });
    expect(api.find(t('', 'configmaps'), 'ns', 'c')).toBeUndefined();
    expect(events.slice(before).map((e) => e.type)).toEqual(['DELETED']);
  });

  it('orphans by default for Jobs (orphan finalizer) and honours an explicit Background policy', () => {
    const { api, t } = setup();
    const job = { metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } };
    api.create(t('batch', 'jobs'), 'ns', job, { manager: 'm' });
    expect(api.delete(t('batch', 'jobs'), 'ns', 'j', {}).removed).toBe(false);
    expect(api.get(t('batch', 'jobs'), 'ns', 'j').metadata.finalizers).toEqual(['orphan']);
    api.create(t('batch', 'jobs'), 'ns', { ...job, metadata: { name: 'k' } }, { manager: 'm' });
    expect(api.delete(t('batch', 'jobs'), 'ns', 'k', { propagationPolicy: 'Background' }).removed).toBe(true);
  });

  it('checks preconditions', () => {
    const { api, t } = setup();
    api.create(t('', 'configmaps'), 'ns', cm('c'), { manager: 'm' });
    expect(failure(() => api.delete(t('', 'configmaps'), 'ns', 'c', { preconditions: { uid: 'other' } })).status).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('marks a namespace Terminating and returns it', () => {
    const { api, t } = setup();
    const ns = api.delete(t('', 'namespaces'), undefined, 'ns', {}).body as KubeObject & { status: { phase: string } };
    expect(ns.status.phase).toBe('Terminating');
    expect(ns.metadata.deletionTimestamp).toBeDefined();
  });

  it('answers 404 NotFound with the grouped resource name', () => {
    const { api, t } = setup();
    expect(failure(() => api.delete(t('apps', 'deployments'), 'ns', 'x', {})).status).toMatchObject({ code: 404, message: 'deployments.apps "x" not found', details: { name: 'x', group: 'apps', kind: 'deployments' } });
  });
});
