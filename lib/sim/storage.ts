/**
 * The object store: one global, monotonically increasing resourceVersion (like etcd's
 * revision), a bounded history of change events for watch resumption, and synchronous
 * listeners (watch streams and controllers).
 */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: object;
  subresource?: string;
}

/** Any Kubernetes object; `apiVersion` and `kind` are always set inside the store. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: ChangeType;
  readonly typeKey: string;
  readonly object: KubeObject;
  /** The state before this change (MODIFIED and DELETED), for selector transitions. */
  readonly previous?: KubeObject;
  readonly resourceVersion: number;
}

// objects are plain JSON; a JSON round trip copies them faster than structuredClone and drops undefined fields
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

const itemKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

export class Store {
  private revision = 100;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  /** Events at or below this revision were dropped from history. */
  private horizon = 0;
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  /** uid → where the object lives, and owner uid → uids of its dependents (for the garbage collector). */
  private readonly byUid = new Map<string, { typeKey: string; namespace?: string; name: string }>();
  private readonly dependentsOf = new Map<string, Set<string>>();

  constructor(private readonly maxHistory = 5000) {}

  currentRevision(): number {
    return this.revision;
  }

  private bucket(typeKey: string): Map<string, KubeObject> {
    let b = this.objects.get(typeKey);
    if (!b) this.objects.set(typeKey, (b = new Map()));
    return b;
  }

  get(typeKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(typeKey)?.get(itemKey(namespace, name));
    return o && clone(o);
  }

  /** Objects of a type, optionally in one namespace, in etcd key order (namespace, name). */
  list(typeKey: string, namespace?: string): KubeObject[] {
    const prefix = namespace === undefined ? '' : `${namespace}/`;
    const entries = [...(this.objects.get(typeKey)?.entries() ?? [])].filter(([k]) => k.startsWith(prefix));
    return clone(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o));
  }

  typeKeys(): string[] {
    return [...this.objects.keys()];
  }

  /** Stores the object under a new resourceVersion and notifies listeners; returns the stored copy. */
  write(typeKey: string, obj: KubeObject): KubeObject {
    const key = itemKey(obj.metadata.namespace, obj.metadata.name!);
    const previous = this.bucket(typeKey).get(key);
    const stored = clone(obj);
    stored.metadata.resourceVersion = String(++this.revision);
    this.bucket(typeKey).set(key, stored);
    this.unindex(previous);
    this.index(typeKey, stored);
    this.emit({ type: previous ? 'MODIFIED' : 'ADDED', typeKey, object: stored, previous, resourceVersion: this.revision });
    return clone(stored);
  }

  /** Removes the object; the DELETED event carries `obj` (its final state) under a new resourceVersion. */
  remove(typeKey: string, obj: KubeObject): KubeObject {
    const key = itemKey(obj.metadata.namespace, obj.metadata.name!);
    const previous = this.bucket(typeKey).get(key);
    if (!previous) return clone(obj);
    this.bucket(typeKey).delete(key);
    this.unindex(previous);
    const gone = clone(obj);
    gone.metadata.resourceVersion = String(++this.revision);
    this.emit({ type: 'DELETED', typeKey, object: gone, previous, resourceVersion: this.revision });
    return clone(gone);
  }

  private index(typeKey: string, o: KubeObject): void {
    const uid = o.metadata.uid;
    if (!uid) return;
    this.byUid.set(uid, { typeKey, namespace: o.metadata.namespace, name: o.metadata.name! });
    for (const ref of o.metadata.ownerReferences ?? []) {
      let set = this.dependentsOf.get(ref.uid);
      if (!set) this.dependentsOf.set(ref.uid, (set = new Set()));
      set.add(uid);
    }
  }

  private unindex(o: KubeObject | undefined): void {
    const uid = o?.metadata.uid;
    if (!uid) return;
    this.byUid.delete(uid);
    for (const ref of o.metadata.ownerReferences ?? []) {
      const set = this.dependentsOf.get(ref.uid);
      set?.delete(uid);
      if (set?.size === 0) this.dependentsOf.delete(ref.uid);
    }
  }

  /** The stored object with this uid and its type key. */
  findByUid(uid: string): { typeKey: string; object: KubeObject } | undefined {
    const at = this.byUid.get(uid);
    const object = at && this.get(at.typeKey, at.namespace, at.name);
    return object && { typeKey: at.typeKey, object };
  }

  /** Objects whose ownerReferences name `ownerUid`. */
  dependents(ownerUid: string): { typeKey: string; object: KubeObject }[] {
    return [...(this.dependentsOf.get(ownerUid) ?? [])].flatMap((uid) => this.findByUid(uid) ?? []);
  }

  /** Events of a type after `resourceVersion`, or 'expired' when history no longer reaches back that far. */
  eventsSince(resourceVersion: number, typeKey: string): StoreEvent[] | 'expired' {
    if (resourceVersion < this.horizon) return 'expired';
    return this.history.filter((e) => e.resourceVersion > resourceVersion && e.typeKey === typeKey);
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.maxHistory) {
      const dropped = this.history.splice(0, this.history.length - this.maxHistory);
      this.horizon = dropped[dropped.length - 1].resourceVersion;
    }
    for (const l of [...this.listeners]) l(event);
  }
}
