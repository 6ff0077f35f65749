/**
 * An in-memory KubeClient (Helm's pkg/kube/fake idea): it stores objects, records every call in
 * order, fails the calls a test picks, and lets a test move Jobs and Pods to their end. It is as
 * deep as the engine looks: objects keep their status across applies, writes get increasing
 * resourceVersions, a PUT with a stale resourceVersion is a conflict, and failures carry the
 * names and messages lib/kube/client-node.ts maps API answers to (404 on get → undefined, on
 * delete → false; 409 on create → AlreadyExistsError; other 4xx → ApplyFailed; 5xx → KubeTransient).
 */
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import { applyJsonMergePatch } from '../../lib/core/json-merge-patch';
import type { Json, JsonObject } from '../../lib/core/go-json';
import { refKey, refOf, isClusterScoped, type KubeObject, type ObjectRef } from '../../lib/core/objects';
import { patchSchemaFor } from '../../lib/core/patch-meta';
import { applyStrategicMergePatch } from '../../lib/core/strategic-merge-patch';
import { AlreadyExistsError, unmappedKind, type ApplyOptions, type KubeClient, type ListOptions, type PatchType, type ServedResource, type WatchEvent, type WatchOptions } from '../../lib/kube/client';

export type Verb = 'apply' | 'create' | 'replace' | 'patch' | 'get' | 'delete' | 'list' | 'watch' | 'podLogs' | 'serverVersion' | 'resourceFor';

/** One call as the engine made it: `target` is `Kind namespace/name` (list: `Kind namespace`). */
export interface Call {
  readonly verb: Verb;
  readonly kind: string;
  readonly target: string;
  /** What was sent: the object (apply/create/replace), the patch, the list options. */
  readonly body?: unknown;
  /** The call's options: field manager, force, patch type. */
  readonly options?: Record<string, unknown>;
}

const WRITES: ReadonlySet<Verb> = new Set(['apply', 'create', 'replace', 'patch', 'delete']);

/** Which calls an injected failure matches; omitted fields match anything. */
export interface CallMatch {
  readonly verb?: Verb;
  /** Any write (apply, create, replace, patch, delete). */
  readonly write?: boolean;
  readonly kind?: string;
  readonly name?: string;
}

interface Injected {
  readonly match: CallMatch;
  readonly error: () => Error;
  /** Matching calls still to let through before failing. */
  skip: number;
  /** Failures still to inject. */
  times: number;
  /** The call takes effect and only its answer is lost (a write whose response never came back). */
  readonly lostAnswer: boolean;
}

/** Kinds served by default: what the engine's tests use, plus the usual workload kinds. */
const BUILT_IN: ServedResource[] = [
  ['v1', 'ConfigMap', 'configmaps', true],
  ['v1', 'Secret', 'secrets', true],
  ['v1', 'Pod', 'pods', true],
  ['v1', 'Service', 'services', true],
  ['v1', 'ServiceAccount', 'serviceaccounts', true],
  ['v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true],
  ['v1', 'Namespace', 'namespaces', false],
  ['batch/v1', 'Job', 'jobs', true],
  ['apps/v1', 'Deployment', 'deployments', true],
  ['apps/v1', 'StatefulSet', 'statefulsets', true],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false],
].map(([apiVersion, kind, plural, namespaced]) => ({ apiVersion, kind, plural, namespaced }) as ServedResource);

/** The errors the real adapter throws, by HTTP status (lib/kube/client-node.ts mapError). */
export const apiErrors = {
  transient: (what = 'the call') => new HelmSfnError(ErrorName.KubeTransient, `${what}: HTTP 503`),
  unreachable: (what = 'the call') => new HelmSfnError(ErrorName.ClusterUnreachable, `${what}: connect ECONNREFUSED 127.0.0.1:6443`),
  refused: (message: string) => new HelmSfnError(ErrorName.ApplyFailed, message),
};

const clone = <T>(v: T): T => structuredClone(v);
const describe = (ref: ObjectRef): string => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

export class FakeKube implements KubeClient {
  /** Every call, in order. */
  readonly calls: Call[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly served = new Map<string, ServedResource>(BUILT_IN.map((r) => [`${r.apiVersion}/${r.kind}`, r]));
  private readonly injected: Injected[] = [];
  private readonly logs = new Map<string, string>();
  /** Objects that stay visible (terminating) for this many more reads after their deletion. */
  private readonly terminating = new Map<string, number>();
  private readonly holdOnDelete = new Map<string, number>();
  private version = 0;

  // ---- test controls -------------------------------------------------------------------------

  /** Calls as `verb Kind ns/name` lines, writes only unless `all`: what tests assert on. */
  trace(opts: { all?: boolean; kind?: string } = {}): string[] {
    return this.calls.filter((c) => (opts.all || WRITES.has(c.verb)) && (!opts.kind || c.kind === opts.kind)).map((c) => `${c.verb} ${c.target}`);
  }

  /** Forget the calls so far (setup done; what follows is the case). */
  resetCalls(): void {
    this.calls.length = 0;
  }

  /** The `nth` matching call (1-based) fails with `error`, `times` times in a row. */
  failOn(match: CallMatch, error: Error | (() => Error), opts: { nth?: number; times?: number; lostAnswer?: boolean } = {}): void {
    this.injected.push({ match, error: typeof error === 'function' ? error : () => error, skip: (opts.nth ?? 1) - 1, times: opts.times ?? 1, lostAnswer: opts.lostAnswer ?? false });
  }

  /** Serve a kind the default table lacks (a CRD's kind). */
  serve(resource: ServedResource): void {
    this.served.set(`${resource.apiVersion}/${resource.kind}`, resource);
  }

  /** Put an object in the store without recording a call (a cluster's state before the case). */
  seed(obj: KubeObject): KubeObject {
    return this.store(clone(obj));
  }

  /** The stored object, without recording a call. */
  peek(ref: ObjectRef): KubeObject | undefined {
    const obj = this.objects.get(refKey(this.normal(ref)));
    return obj && clone(obj);
  }

  /** Every stored object of a kind (in a namespace), without recording a call. */
  all(kind: string, namespace?: string): KubeObject[] {
    return [...this.objects.values()].filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace)).map(clone);
  }

  /** A Job's end, as the Job controller writes it, and its pod (label `job-name`) with the job's containers. */
  finishJob(namespace: string, name: string, outcome: 'Complete' | 'Failed', reason = outcome === 'Failed' ? 'BackoffLimitExceeded' : undefined): void {
    const job = this.mustHave({ apiVersion: 'batch/v1', kind: 'Job', namespace, name });
    job.status = { ...(job.status as object), conditions: [{ type: outcome, status: 'True', ...(reason ? { reason } : {}) }] };
    this.store(job);
    const template = (job.spec as { template?: { spec?: unknown } } | undefined)?.template;
    this.seed({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-pod`, namespace, labels: { 'job-name': name } },
      spec: template?.spec ?? { containers: [{ name: 'main' }] },
      status: { phase: outcome === 'Complete' ? 'Succeeded' : 'Failed' },
    });
  }

  /** A Pod's end phase, as the kubelet writes it. */
  finishPod(namespace: string, name: string, phase: 'Succeeded' | 'Failed'): void {
    const pod = this.mustHave({ apiVersion: 'v1', kind: 'Pod', namespace, name });
    pod.status = { ...(pod.status as object), phase };
    this.store(pod);
  }

  /** What `podLogs` returns for a container. */
  setLogs(namespace: string, pod: string, container: string, text: string): void {
    this.logs.set(`${namespace}/${pod}/${container}`, text);
  }

  /** The next deletion of this object leaves it visible for `reads` more reads (a finalizer at work). */
  slowDelete(ref: ObjectRef, reads: number): void {
    this.holdOnDelete.set(refKey(this.normal(ref)), reads);
  }

  // ---- KubeClient ----------------------------------------------------------------------------

  async apply(obj: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
    return this.call('apply', obj, obj, { ...opts }, () => {
      this.mapped(obj);
      const live = this.objects.get(this.keyOf(obj));
      // the applied fields win; what others own (status, uid) stays: a hook applied over a finished one keeps its old end, as with Helm 4
      const merged: KubeObject = live
        ? { ...live, ...clone(obj), metadata: { ...live.metadata, ...clone(obj.metadata) }, ...(live.status ? { status: live.status } : {}) }
        : clone(obj);
      return clone(this.store(merged));
    });
  }

  async create(obj: KubeObject, opts: { fieldManager?: string } = {}): Promise<KubeObject> {
    return this.call('create', obj, obj, { ...opts }, () => {
      const resource = this.mapped(obj);
      if (this.objects.has(this.keyOf(obj))) {
        throw new AlreadyExistsError(`create ${describe(this.refOf(obj))}: ${resource.plural} "${obj.metadata.name}" already exists`);
      }
      return clone(this.store(clone(obj)));
    });
  }

  async replace(obj: KubeObject): Promise<KubeObject> {
    return this.call('replace', obj, obj, undefined, () => {
      const resource = this.mapped(obj);
      const live = this.objects.get(this.keyOf(obj));
      const what = `replace ${describe(this.refOf(obj))}`;
      if (!live) throw apiErrors.refused(`${what}: ${resource.plural} "${obj.metadata.name}" not found`);
      const expected = obj.metadata.resourceVersion;
      if (expected !== undefined && expected !== live.metadata.resourceVersion) {
        throw apiErrors.refused(`${what}: Operation cannot be fulfilled on ${resource.plural} "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      return clone(this.store({ ...clone(obj), metadata: { ...clone(obj.metadata), uid: live.metadata.uid } }));
    });
  }

  async patch(ref: ObjectRef, patch: unknown, type: Exclude<PatchType, 'apply'>, opts: { fieldManager?: string } = {}): Promise<KubeObject> {
    return this.call('patch', ref, patch, { type, ...opts }, () => {
      const resource = this.mapped(ref);
      const live = this.objects.get(refKey(this.normal(ref)));
      if (!live) throw apiErrors.refused(`patch ${describe(ref)}: ${resource.plural} "${ref.name}" not found`);
      const body = (typeof patch === 'string' ? JSON.parse(patch) : patch) as JsonObject;
      const schema = patchSchemaFor(ref.apiVersion, ref.kind);
      // a JSON patch (managed-fields upgrades) touches only metadata.managedFields, which the fake does not keep
      const patched =
        type === 'json' ? live : type === 'strategic' && schema ? applyStrategicMergePatch(live as JsonObject, body, schema) : applyJsonMergePatch(live as Json, body);
      return clone(this.store(patched as KubeObject));
    });
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.call('get', ref, undefined, undefined, () => {
      this.mapped(ref);
      const key = refKey(this.normal(ref));
      const reads = this.terminating.get(key);
      if (reads !== undefined) {
        if (reads <= 0) {
          this.terminating.delete(key);
          this.objects.delete(key);
          return undefined;
        }
        this.terminating.set(key, reads - 1);
      }
      const obj = this.objects.get(key);
      return obj && clone(obj);
    });
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    return this.call('delete', ref, undefined, undefined, () => {
      this.mapped(ref);
      const key = refKey(this.normal(ref));
      if (!this.objects.has(key)) return false;
      const hold = this.holdOnDelete.get(key);
      if (hold !== undefined) {
        this.holdOnDelete.delete(key);
        this.terminating.set(key, hold);
        const obj = this.objects.get(key)!;
        obj.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
      } else if (!this.terminating.has(key)) {
        this.objects.delete(key);
      }
      return true;
    });
  }

  async list(apiVersion: string, kind: string, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeObject[]> {
    const target = { apiVersion, kind, name: '', ...(namespace ? { namespace } : {}) };
    return this.call('list', target, undefined, { ...opts }, () => {
      this.mapped(target);
      return [...this.objects.values()]
        .filter((o) => o.apiVersion === apiVersion && o.kind === kind && (!namespace || o.metadata.namespace === namespace))
        .filter((o) => matchesSelector(o.metadata.labels ?? {}, opts.labelSelector) && matchesFields(o, opts.fieldSelector))
        .map(clone);
    });
  }

  /**
   * The current objects as ADDED, then SYNCED, as a watch without a resourceVersion starts; then
   * the stream ends, as if the window passed: the fake has no time of its own, a test changes the
   * cluster between polls. A watch from a resourceVersion sees no change and ends.
   */
  async watch(apiVersion: string, kind: string, namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<void> {
    const target = { apiVersion, kind, name: '', ...(namespace ? { namespace } : {}) };
    const { signal: _signal, ...options } = opts;
    return this.call('watch', target, undefined, { ...options }, () => {
      this.mapped(target);
      if (opts.resourceVersion !== undefined) return;
      for (const o of this.objects.values()) {
        if (o.apiVersion !== apiVersion || o.kind !== kind || (namespace && o.metadata.namespace !== namespace)) continue;
        if (matchesSelector(o.metadata.labels ?? {}, opts.labelSelector) && matchesFields(o, opts.fieldSelector)) onEvent({ type: 'ADDED', object: clone(o) });
      }
      onEvent({ type: 'SYNCED' });
    });
  }

  async podLogs(namespace: string, pod: string, container: string): Promise<string> {
    return this.call('podLogs', { apiVersion: 'v1', kind: 'Pod', namespace, name: pod }, { container }, undefined, () => this.logs.get(`${namespace}/${pod}/${container}`) ?? '');
  }

  async serverVersion(): Promise<string> {
    return this.call('serverVersion', { apiVersion: 'v1', kind: 'Version', name: '' }, undefined, undefined, () => 'v1.34.0');
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ServedResource | undefined> {
    return this.call('resourceFor', { apiVersion, kind, name: '' }, undefined, undefined, () => this.served.get(`${apiVersion}/${kind}`));
  }

  // ---- inside --------------------------------------------------------------------------------

  private async call<T>(verb: Verb, what: KubeObject | ObjectRef, body: unknown, options: Record<string, unknown> | undefined, run: () => T): Promise<T> {
    const ref = 'metadata' in what ? this.refOf(what) : what;
    const target = ref.name ? describe(ref) : `${ref.kind}${ref.namespace ? ` ${ref.namespace}` : ''}`;
    this.calls.push({ verb, kind: ref.kind, target, ...(body !== undefined ? { body: clone(body) } : {}), ...(options ? { options } : {}) });
    const failure = this.injectedFor(verb, ref);
    if (failure && !failure.lostAnswer) throw failure.error();
    const result = run();
    if (failure) throw failure.error();
    return result;
  }

  private injectedFor(verb: Verb, ref: ObjectRef): Injected | undefined {
    for (const f of this.injected) {
      const { match } = f;
      if (f.times <= 0 || (match.verb && match.verb !== verb) || (match.write && !WRITES.has(verb)) || (match.kind && match.kind !== ref.kind) || (match.name && match.name !== ref.name)) continue;
      if (f.skip > 0) {
        f.skip--;
        continue;
      }
      f.times--;
      return f;
    }
    return undefined;
  }

  private mapped(o: KubeObject | ObjectRef): ServedResource {
    const resource = this.served.get(`${o.apiVersion}/${o.kind}`);
    if (resource) return resource;
    const ref = 'metadata' in o ? this.refOf(o) : o;
    throw unmappedKind({ apiVersion: o.apiVersion, kind: o.kind, name: ref.name, namespace: ref.namespace });
  }

  /** Namespaced objects without a namespace land in `default`, as the adapter sends them. */
  private refOf(obj: KubeObject): ObjectRef {
    return this.normal(refOf(obj));
  }

  private normal(ref: ObjectRef): ObjectRef {
    if (isClusterScoped(ref.apiVersion, ref.kind) || this.served.get(`${ref.apiVersion}/${ref.kind}`)?.namespaced === false) {
      const { namespace: _, ...rest } = ref;
      return rest;
    }
    return { ...ref, namespace: ref.namespace || 'default' };
  }

  private keyOf(obj: KubeObject): string {
    return refKey(this.refOf(obj));
  }

  private mustHave(ref: ObjectRef): KubeObject {
    const obj = this.objects.get(refKey(this.normal(ref)));
    if (!obj) throw new Error(`fake: no ${describe(ref)}`);
    return clone(obj);
  }

  private store(obj: KubeObject): KubeObject {
    const ref = this.refOf(obj);
    const live = this.objects.get(refKey(ref));
    const stored: KubeObject = {
      ...obj,
      metadata: { ...obj.metadata, ...(ref.namespace ? { namespace: ref.namespace } : {}), uid: live?.metadata.uid ?? obj.metadata.uid ?? `uid-${this.version + 1}`, resourceVersion: String(++this.version) },
    };
    // a CRD is Established at once, and its kind served (the API server's job)
    if (obj.kind === 'CustomResourceDefinition') this.establish(stored);
    this.objects.set(refKey(ref), stored);
    return stored;
  }

  private establish(crd: KubeObject): void {
    const spec = crd.spec as { group: string; names: { kind: string; plural: string }; scope?: string; versions?: { name: string }[] };
    crd.status = { conditions: [{ type: 'Established', status: 'True' }] };
    for (const v of spec.versions ?? []) this.serve({ apiVersion: `${spec.group}/${v.name}`, kind: spec.names.kind, plural: spec.names.plural, namespaced: spec.scope !== 'Cluster' });
  }
}

/** Equality-based label selectors (`a=b,c!=d`, a bare key for existence): what the engine sends. */
function matchesSelector(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split(/!?=/);
    if (value === undefined) return key in labels;
    return term.includes('!=') ? labels[key] !== value : labels[key] === value;
  });
}

function matchesFields(obj: KubeObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [field, value] = term.split('=');
    if (field === 'metadata.name') return obj.metadata.name === value;
    if (field === 'metadata.namespace') return obj.metadata.namespace === value;
    throw new Error(`fake: field selector ${field} is not supported`);
  });
}
