/**
 * Object semantics shared by the HTTP API and the controllers: create, update, patch,
 * server-side apply and delete with kube-apiserver's rules (generateName, uid, timestamps,
 * generation, status reset, resourceVersion conflicts, managedFields, finalizers,
 * deletionTimestamp, propagation policies, namespace checks, dry runs).
 */
import {
  applyMerge,
  conflictError,
  fieldPaths,
  findConflicts,
  pathsToRemove,
  recordApply,
  recordUpdate,
  removePaths,
  valueAt,
  type Scope,
} from './apply';
import { rfc3339, type SimClock } from './clock';
import { applyDefaults, checkDecodable, initialStatus, validate, validateImmutable, type DefaultingContext } from './defaults';
import { alreadyExists, badRequest, conflict, deleteSuccess, forbidden, invalid, notFound, unsupportedMediaType } from './errors';
import { patchSchemaFor } from '../core/patch-meta';
import { jsonPatch, mergePatch, strategicMerge, type Json, type JsonObject } from './patch';
import { apiVersionOf, typeKey, type Registry, type ResourceType } from './registry';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelSelector } from './selectors';
import type { KubeObject, Store } from './storage';

type Loose = Record<string, any>;


/**
 * A Service's allocated cluster IPs survive an update that leaves them out (the REST strategy's
 * PrepareForUpdate), whether a write omits them or an applier stops owning them.
 */
function keepAllocatedValues(type: ResourceType, current: KubeObject, next: KubeObject): void {
  const spec = (next as Loose).spec;
  if (type.group !== '' || type.kind !== 'Service' || !spec || spec.clusterIP) return;
  spec.clusterIP = (current as Loose).spec?.clusterIP;
  spec.clusterIPs ??= (current as Loose).spec?.clusterIPs;
}

/** The patch metadata of a built-in kind (lib/core/patch-meta); custom resources have none. */
const schemaOf = (type: ResourceType) => (type.custom ? undefined : patchSchemaFor(apiVersionOf(type), type.kind));

export interface WriteOptions {
  /** The field manager: `fieldManager` query parameter, else the User-Agent before '/'. */
  manager: string;
  dryRun?: boolean;
  /** `status` writes only status; `scale` writes spec.replicas but is recorded as its own manager entry. */
  subresource?: 'status' | 'scale';
}

export interface ApplyOptions extends WriteOptions {
  force?: boolean;
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  /** The body to send: the object (still present or just removed) or a Status. */
  body: object;
  /** The object still exists (finalizers or a grace period), or was removed now. */
  removed: boolean;
}

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export type PatchType = (typeof PATCH_TYPES)[number];

const clone = <T>(v: T): T => structuredClone(v);

/** The API server refuses to delete these (plugin/pkg/admission/namespace/lifecycle). */
const PROTECTED_NAMESPACES = ['default', 'kube-system', 'kube-public'];
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Everything but metadata and status: a change here bumps `metadata.generation`. */
const specOf = (o: KubeObject): Loose => {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o as Loose;
  return rest;
};

export class ObjectApi implements DefaultingContext {
  private nextIp = 10;
  private nextNodePort = 30000;

  constructor(
    readonly registry: Registry,
    readonly store: Store,
    readonly clock: SimClock,
  ) {}

  allocateClusterIP(): string {
    const n = this.nextIp++;
    return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }

  allocateNodePort(): number {
    return this.nextNodePort++;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const o = this.store.get(typeKey(type), this.ns(type, namespace), name);
    if (!o) throw notFound(type, name);
    return o;
  }

  find(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(typeKey(type), this.ns(type, namespace), name);
  }

  list(type: ResourceType, namespace: string | undefined, labels: LabelSelector = [], fields: FieldRequirement[] = []): KubeObject[] {
    return this.store
      .list(typeKey(type), this.ns(type, namespace))
      .filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o));
  }

  private ns(type: ResourceType, namespace: string | undefined): string | undefined {
    return type.namespaced ? namespace : undefined;
  }

  private namespaceType(): ResourceType {
    return this.registry.byPlural('', 'v1', 'namespaces')!;
  }

  /** Namespaced writes need an existing, non-terminating namespace. */
  private checkNamespace(type: ResourceType, namespace: string | undefined, name: string): void {
    if (!type.namespaced) return;
    if (!namespace) throw badRequest('the server could not find the requested resource: a namespace is required');
    const ns = this.store.get('/namespaces', undefined, namespace);
    if (!ns) throw notFound(this.namespaceType(), namespace);
    if (ns.metadata.deletionTimestamp)
      throw forbidden(type, name, `unable to create new content in namespace ${namespace} because it is being terminated`, [
        { reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
      ]);
  }

  /** Checks apiVersion/kind/namespace of a request body against the URL and fills them in. */
  private normalizeBody(type: ResourceType, namespace: string | undefined, body: unknown, what: string): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`${what}: the request body must be an object`);
    const o = clone(body) as Loose;
    const apiVersion = apiVersionOf(type);
    if (o.apiVersion !== undefined && o.apiVersion !== apiVersion)
      throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${apiVersion})`);
    if (o.kind !== undefined && o.kind !== type.kind) throw badRequest(`the kind in the data (${o.kind}) does not match the expected kind (${type.kind})`);
    o.apiVersion = apiVersion;
    o.kind = type.kind;
    o.metadata = o.metadata && typeof o.metadata === 'object' ? o.metadata : {};
    if (type.namespaced) {
      if (o.metadata.namespace && namespace && o.metadata.namespace !== namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      o.metadata.namespace = namespace;
    } else delete o.metadata.namespace;
    return o as KubeObject;
  }

  private paths(type: ResourceType, o: KubeObject, scope: Scope) {
    return fieldPaths(o as unknown as JsonObject, scope, type.subresources.includes('status'), schemaOf(type));
  }

  private recording(type: ResourceType, manager: string, subresource?: string) {
    return { manager, apiVersion: apiVersionOf(type), time: rfc3339(this.clock.now()), subresource };
  }

  /** Defaulting, decoding checks and validation: the last steps before storage. */
  private finish(type: ResourceType, o: KubeObject, before?: KubeObject): KubeObject {
    // Go's omitempty: empty metadata lists and maps are not serialised
    for (const k of ['finalizers', 'ownerReferences', 'labels', 'annotations', 'managedFields']) {
      const v = o.metadata[k];
      if (v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0)) delete o.metadata[k];
    }
    applyDefaults(type, o, this);
    checkDecodable(type, o);
    const causes = validate(type, o);
    if (before) causes.push(...validateImmutable(type, before, o));
    if (causes.length) throw invalid(type, o.metadata.name ?? '', causes);
    return o;
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions, applied?: ApplyOptions): KubeObject {
    const o = this.normalizeBody(type, namespace, body, 'create');
    const meta = o.metadata;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (!meta.name && meta.generateName) {
      do meta.name = `${meta.generateName}${this.clock.nameSuffix()}`;
      while (this.store.get(typeKey(type), meta.namespace, meta.name));
    }
    this.checkNamespace(type, namespace, meta.name ?? meta.generateName ?? '');
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'managedFields', 'selfLink'])
      delete meta[k];
    // status is reset on create; custom resources start without one
    const status = initialStatus(type);
    if (type.custom && type.subresources.includes('status')) delete (o as Loose).status;
    else if (status) (o as Loose).status = status;
    meta.uid = this.clock.uid();
    meta.creationTimestamp = rfc3339(this.clock.now());
    if (type.generation) meta.generation = 1;
    this.finish(type, o);
    if (meta.name && this.store.get(typeKey(type), meta.namespace, meta.name)) throw alreadyExists(type, meta.name);
    const rec = this.recording(type, opts.manager);
    meta.managedFields = applied
      ? recordApply(undefined, this.paths(type, body as KubeObject, 'main'), [], rec)
      : recordUpdate(undefined, new Set(), this.paths(type, o, 'main'), () => true, rec);
    if (opts.dryRun) return o;
    return this.store.write(typeKey(type), o);
  }

  /** PUT of the main resource or its status. */
  update(type: ResourceType, namespace: string | undefined, name: string, body: unknown, opts: WriteOptions): KubeObject {
    const current = this.get(type, namespace, name);
    const incoming = this.normalizeBody(type, namespace, body, 'update');
    if (incoming.metadata.name !== name) throw badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    const rv = incoming.metadata.resourceVersion;
    if (!rv && type.custom)
      throw invalid(type, name, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }]);
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(type, name);
    return this.commit(type, current, this.merged(type, current, incoming, opts.subresource), opts);
  }

  /** The object a write produces: main writes keep the stored status, status writes keep everything else. */
  private merged(type: ResourceType, current: KubeObject, incoming: KubeObject, subresource?: 'status' | 'scale'): KubeObject {
    const hasStatus = type.subresources.includes('status');
    if (subresource === 'status') return { ...clone(current), status: clone((incoming as Loose).status) };
    const out = clone(incoming) as Loose;
    // managedFields a main-resource write sets explicitly replace the stored ones, as the API
    // server's field manager does (how csaupgrade moves client-side ownership to an applier)
    const requested = incoming.metadata.managedFields;
    const setsManagedFields = !subresource && Array.isArray(requested) && requested.length > 0 && !same(requested, current.metadata.managedFields);
    const keep = ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'resourceVersion', ...(setsManagedFields ? [] : ['managedFields'])];
    for (const k of keep) {
      if (current.metadata[k] === undefined) delete out.metadata[k];
      else out.metadata[k] = clone(current.metadata[k]);
    }
    if (hasStatus) out.status = clone((current as Loose).status);
    keepAllocatedValues(type, current, out as KubeObject);
    if (type.group === '' && type.kind === 'Namespace' && !out.spec) out.spec = clone((current as Loose).spec);
    return out as KubeObject;
  }

  /** Validates and stores `next` as the successor of `current`; ends a pending deletion when the last finalizer goes. */
  private commit(type: ResourceType, current: KubeObject, next: KubeObject, opts: WriteOptions, ownership?: KubeObject['metadata']['managedFields']): KubeObject {
    this.finish(type, next, current);
    if (type.generation && !same(specOf(current), specOf(next))) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    const scope: Scope = opts.subresource === 'status' ? 'status' : 'main';
    next.metadata.managedFields =
      ownership ??
      recordUpdate(
        next.metadata.managedFields,
        this.paths(type, current, scope),
        this.paths(type, next, scope),
        (p) => !same(valueAt(current as unknown as Json, p), valueAt(next as unknown as Json, p)),
        this.recording(type, opts.manager, opts.subresource),
      );
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    if (same(current, next)) return current;
    if (opts.dryRun) return next;
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers ?? []).length && !this.removalBlocked(type, next)) {
      return this.store.remove(typeKey(type), next);
    }
    return this.store.write(typeKey(type), next);
  }

  /**
   * Besides metadata.finalizers: a terminating Pod is removed by the kubelet once its containers
   * stopped, and a Namespace only once its `spec.finalizers` were emptied through /finalize.
   */
  private removalBlocked(type: ResourceType, o: KubeObject): boolean {
    if (type.group !== '') return false;
    if (type.kind === 'Pod') return (o.metadata.deletionGracePeriodSeconds ?? 0) > 0;
    if (type.kind === 'Namespace') return ((o as Loose).spec?.finalizers ?? []).length > 0;
    return false;
  }

  patch(type: ResourceType, namespace: string | undefined, name: string, patchType: PatchType, patch: unknown, opts: ApplyOptions): { object: KubeObject; created: boolean } {
    if (patchType === 'application/apply-patch+yaml') return this.apply(type, namespace, name, patch, opts);
    const current = this.get(type, namespace, name);
    let patched: Json;
    const base = current as unknown as Json;
    if (patchType === 'application/merge-patch+json') patched = mergePatch(base, patch as Json);
    else if (patchType === 'application/json-patch+json') patched = jsonPatch(base, patch as Json);
    else {
      const schema = schemaOf(type);
      if (!schema) throw unsupportedMediaType(['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
      patched = strategicMerge(base, patch as Json, schema);
    }
    const incoming = this.normalizeBody(type, namespace, patched, 'patch');
    if (incoming.metadata.name !== name) throw badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    const rv = incoming.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(type, name);
    return { object: this.commit(type, current, this.merged(type, current, incoming, opts.subresource), opts), created: false };
  }

  /** Server-side apply (PATCH application/apply-patch+yaml): create when absent, else merge with ownership. */
  apply(type: ResourceType, namespace: string | undefined, name: string, body: unknown, opts: ApplyOptions): { object: KubeObject; created: boolean } {
    const applied = this.normalizeBody(type, namespace, body, 'apply');
    if (applied.metadata.name !== name) throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    const scope: Scope = opts.subresource === 'status' ? 'status' : 'main';
    const hasStatus = type.subresources.includes('status');
    if (hasStatus && scope === 'main') delete (applied as Loose).status;
    const current = this.find(type, namespace, name);
    if (!current) {
      if (scope === 'status') throw notFound(type, name);
      return { object: this.create(type, namespace, applied, opts, opts), created: true };
    }
    const rv = applied.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(type, name);
    const appliedPaths = this.paths(type, applied, scope);
    const entries = current.metadata.managedFields;
    const { metadata: appliedMeta, ...appliedRest } = applied as Loose;
    const { uid: _u, resourceVersion: _r, generation: _g, creationTimestamp: _c, managedFields: _m, ...appliedMetaFields } = appliedMeta;
    let merged = applyMerge(current as unknown as Json, { ...appliedRest, metadata: appliedMetaFields }, schemaOf(type)) as JsonObject;
    merged = removePaths(merged, pathsToRemove(entries, opts.manager, appliedPaths, opts.subresource));
    const next = merged as unknown as KubeObject;
    if (hasStatus && scope === 'main') (next as Loose).status = clone((current as Loose).status);
    if (scope === 'status') Object.assign(next, { ...clone(current), status: (merged as Loose).status });
    keepAllocatedValues(type, current, next);
    applyDefaults(type, next, this);
    const conflicts = findConflicts(entries, opts.manager, appliedPaths, current as unknown as JsonObject, next as unknown as JsonObject);
    if (conflicts.length && !opts.force) throw conflictError(conflicts);
    const ownership = recordApply(entries, appliedPaths, conflicts, this.recording(type, opts.manager, opts.subresource));
    return { object: this.commit(type, current, next, opts, ownership), created: false };
  }

  /** Default propagation: batch/v1 Jobs orphan (their REST strategy), everything else deletes in the background. */
  private propagation(type: ResourceType, opts: DeleteOptions): PropagationPolicy {
    if (opts.propagationPolicy) return opts.propagationPolicy;
    if (opts.orphanDependents !== undefined) return opts.orphanDependents ? 'Orphan' : 'Background';
    return type.group === 'batch' && type.kind === 'Job' ? 'Orphan' : 'Background';
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions, manager = 'sim'): DeleteResult {
    const current = this.get(type, namespace, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid)
      throw conflict(type, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion)
      throw conflict(type, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
    const next = clone(current);
    const now = rfc3339(this.clock.now());
    const isPod = type.group === '' && type.kind === 'Pod';
    const isNamespace = type.group === '' && type.kind === 'Namespace';
    const returnsObject = isPod || isNamespace || type.custom;
    if (current.metadata.deletionTimestamp) {
      // already terminating: a zero grace period on a Pod forces it out
      if (isPod && opts.gracePeriodSeconds === 0 && !opts.dryRun) {
        return { body: this.store.remove(typeKey(type), current), removed: true };
      }
      return { body: current, removed: false };
    }
    if (isNamespace && PROTECTED_NAMESPACES.includes(name)) throw forbidden(type, name, 'this namespace may not be deleted');
    const policy = this.propagation(type, opts);
    const finalizers = [...(current.metadata.finalizers ?? [])];
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (isNamespace) (next as Loose).status = { ...((next as Loose).status ?? {}), phase: 'Terminating' };
    const grace = isPod ? (opts.gracePeriodSeconds ?? (current as Loose).spec?.terminationGracePeriodSeconds ?? 30) : 0;
    const unscheduled = isPod && !(current as Loose).spec?.nodeName;
    if (finalizers.length || isNamespace || (isPod && grace > 0 && !unscheduled)) {
      next.metadata.deletionTimestamp = now;
      next.metadata.deletionGracePeriodSeconds = grace;
      if (finalizers.length) next.metadata.finalizers = finalizers;
      if (opts.dryRun) return { body: next, removed: false };
      const stored = this.commit(type, current, next, { manager });
      return { body: stored, removed: false };
    }
    if (opts.dryRun) return { body: returnsObject ? current : deleteSuccess(type, name, current.metadata.uid!), removed: false };
    const gone = this.store.remove(typeKey(type), current);
    return { body: returnsObject ? gone : deleteSuccess(type, name, current.metadata.uid!), removed: true };
  }
}
