/**
 * What every controller shares: a client that writes through {@link ObjectApi} under a real
 * controller's field manager and records each write in the operation log, and a de-duplicating
 * work queue so reconciles are level-triggered (a burst of events for one object runs its
 * reconcile once, on a later tick, never re-entrantly inside a store write).
 */
import { rfc3339, type SimClock } from '../clock';
import { asSimError } from '../errors';
import type { DeleteOptions, ObjectApi } from '../objects';
import type { OperationLog } from '../operations';
import type { PodLogs } from '../podlogs';
import { apiVersionOf, type Registry, type ResourceType } from '../registry';
import { fromSelectorObject } from '../selectors';
import type { KubeObject, Store, StoreEvent } from '../storage';

export type Loose = Record<string, any>;

export interface ControllerContext {
  registry: Registry;
  store: Store;
  api: ObjectApi;
  clock: SimClock;
  operations: OperationLog;
  podLogs: PodLogs;
  /** Failures inside reconciles (a sim bug or a lost race); tests can assert it stays empty. */
  errors: string[];
}

/** A write-capable view of the API for one controller (its field manager is the real one's name). */
export class ControllerClient {
  constructor(
    private readonly ctx: ControllerContext,
    readonly manager: string,
  ) {}

  type(group: string, version: string, plural: string): ResourceType {
    return this.ctx.registry.byPlural(group, version, plural)!;
  }

  private log(type: ResourceType, verb: 'create' | 'update' | 'status' | 'delete', o: KubeObject, code: number, outcome: string): void {
    this.ctx.operations.record({
      verb,
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      namespace: o.metadata.namespace,
      name: o.metadata.name,
      code,
      outcome,
      fieldManager: this.manager,
      subresource: verb === 'status' ? 'status' : undefined,
    });
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.ctx.api.find(type, namespace, name);
  }

  create(type: ResourceType, obj: { metadata: Loose } & Loose): KubeObject {
    const created = this.ctx.api.create(type, obj.metadata.namespace, { ...obj, apiVersion: apiVersionOf(type), kind: type.kind }, { manager: this.manager });
    this.log(type, 'create', created, 201, 'created');
    return created;
  }

  /** Rewrites the main resource (metadata or spec) unconditionally; no-op writes are skipped. */
  update(type: ResourceType, o: KubeObject, mutate: (o: Loose) => void): KubeObject {
    const next = structuredClone(o) as Loose;
    mutate(next);
    delete next.metadata.resourceVersion;
    const stored = this.ctx.api.update(type, o.metadata.namespace, o.metadata.name!, next, { manager: this.manager });
    if (stored.metadata.resourceVersion !== o.metadata.resourceVersion) this.log(type, 'update', stored, 200, 'updated');
    return stored;
  }

  /** Replaces the status computed from the stored object; no-op writes are skipped. */
  setStatus(type: ResourceType, o: KubeObject, status: Loose): KubeObject {
    if (JSON.stringify((o as Loose).status) === JSON.stringify(status)) return o;
    const stored = this.ctx.api.update(type, o.metadata.namespace, o.metadata.name!, { ...o, status, metadata: { ...o.metadata, resourceVersion: undefined } }, { manager: this.manager, subresource: 'status' });
    if (stored.metadata.resourceVersion !== o.metadata.resourceVersion) this.log(type, 'status', stored, 200, 'updated');
    return stored;
  }

  delete(type: ResourceType, o: KubeObject, opts: DeleteOptions = { propagationPolicy: 'Background' }): void {
    if (!this.ctx.api.find(type, o.metadata.namespace, o.metadata.name!)) return;
    const result = this.ctx.api.delete(type, o.metadata.namespace, o.metadata.name!, opts, this.manager);
    this.log(type, 'delete', o, 200, result.removed ? 'deleted' : 'deleting');
  }

  /**
   * Records a core/v1 Event about `involved` (what `kubectl describe` and `kubectl get events`
   * show), reported by this controller as `component`.
   */
  event(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component = this.manager): void {
    // best effort, as in a real cluster: an event refused (terminating namespace) is dropped
    if (this.ctx.api.find(this.type('', 'v1', 'namespaces'), undefined, involved.metadata.namespace ?? 'default')?.metadata.deletionTimestamp) return;
    const now = rfc3339(this.ctx.clock.now());
    const eventType = this.type('', 'v1', 'events');
    let suffix = '';
    for (let i = 0; i < 16; i++) suffix += Math.floor(this.ctx.clock.random() * 16).toString(16);
    this.create(eventType, {
      metadata: { name: `${involved.metadata.name}.${suffix}`, namespace: involved.metadata.namespace ?? 'default' },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component, ...(component === 'kubelet' ? { host: 'sim-node' } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? 'sim-node' : '',
    });
  }

  /** Objects of `type` in `namespace` whose controller owner has `ownerUid` (from the store's owner index). */
  owned(type: ResourceType, namespace: string | undefined, ownerUid: string): KubeObject[] {
    const key = `${type.group}/${type.plural}`;
    return this.ctx.store
      .dependents(ownerUid)
      .filter((d) => d.typeKey === key && d.object.metadata.namespace === namespace && controllerOf(d.object)?.uid === ownerUid)
      .map((d) => d.object)
      .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  }

  selected(type: ResourceType, namespace: string | undefined, selector: Loose | undefined): KubeObject[] {
    return this.ctx.api.list(type, namespace, fromSelectorObject(selector));
  }
}

export const controllerOf = (o: KubeObject) => o.metadata.ownerReferences?.find((r) => r.controller);

export const ownerReference = (type: ResourceType, owner: KubeObject) => ({
  apiVersion: apiVersionOf(type),
  kind: type.kind,
  name: owner.metadata.name!,
  uid: owner.metadata.uid!,
  controller: true,
  blockOwnerDeletion: true,
});

export const condition = (type: string, status: 'True' | 'False', reason: string, message: string, now: string, extra: Loose = {}) => ({
  type,
  status,
  ...extra,
  lastTransitionTime: now,
  reason,
  message,
});

/** Keeps lastTransitionTime of conditions whose status did not change. */
export function mergeConditions(previous: Loose[] | undefined, next: Loose[]): Loose[] {
  return next.map((c) => {
    const old = (previous ?? []).find((p) => p.type === c.type);
    if (!old || old.status !== c.status) return c;
    const kept: Loose = { ...c, lastTransitionTime: old.lastTransitionTime };
    if ('lastUpdateTime' in c && old.reason === c.reason && old.message === c.message) kept.lastUpdateTime = old.lastUpdateTime;
    return kept;
  });
}

/** Runs each queued key's reconcile once per tick, after the current write has finished. */
export class WorkQueue {
  private readonly pending = new Map<string, () => void>();
  private scheduled = false;

  constructor(private readonly ctx: ControllerContext) {}

  add(key: string, reconcile: () => void): void {
    this.pending.set(key, reconcile);
    if (this.scheduled) return;
    this.scheduled = true;
    this.ctx.clock.afterReal(0, () => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    const batch = [...this.pending.entries()];
    this.pending.clear();
    for (const [key, reconcile] of batch) guarded(this.ctx, key, reconcile);
  }
}

/**
 * Runs controller work outside any request (a queued reconcile, a kubelet timer). A conflict,
 * a vanished object or a terminating namespace means newer work is already on its way; anything
 * else is a sim bug, kept in `ctx.errors` instead of crashing the process.
 */
export function guarded(ctx: ControllerContext, key: string, work: () => void): void {
  try {
    work();
  } catch (e) {
    const err = asSimError(e);
    const expected = err.code === 404 || err.code === 409 || (err.code === 403 && err.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating'));
    if (!expected) ctx.errors.push(`${key}: ${err.message}`);
  }
}

export interface Controller {
  /** Called synchronously for every store change; should only enqueue work. */
  onEvent(e: StoreEvent): void;
  stop?(): void;
}

export const isType = (e: StoreEvent, group: string, plural: string): boolean => e.typeKey === `${group}/${plural}`;
