/**
 * The cluster port: just what the engine needs, in our own types. The adapter (./client-node.ts)
 * is the only implementation and the only importer of @kubernetes/client-node. Objects go to
 * the API server exactly as given. Every method maps API failures to our error names:
 * 429/5xx/dropped connection ⇒ KubeTransient (retried inside the adapter first, then by the
 * workflow), no answer/refused credentials ⇒ ClusterUnreachable, conflicts and 422 ⇒ ApplyFailed
 * with the API's message; a kind the cluster does not serve ⇒ ApplyFailed with Helm's message.
 */
import { ErrorName, HelmSfnError } from '../core/errors';
import type { KubeObject, ObjectRef } from '../core/objects';

export interface ApplyOptions {
  /** Helm's field manager is `helm`; using it keeps ownership compatible with the helm CLI. */
  readonly fieldManager: string;
  /** Take over fields owned by other managers (Helm: `--force-conflicts`). */
  readonly force?: boolean;
  /** The API server validates and admits the object but stores nothing (`dryRun=All`). */
  readonly dryRun?: boolean;
}

/** PATCH bodies: server-side apply, strategic merge, JSON merge (RFC 7386), JSON patch (RFC 6902). */
export type PatchType = 'apply' | 'strategic' | 'merge' | 'json';

/** A kind the API server serves, from discovery. */
export interface ServedResource {
  readonly apiVersion: string;
  readonly kind: string;
  /** The resource name in paths, e.g. `deployments`. */
  readonly plural: string;
  readonly namespaced: boolean;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface WatchOptions extends ListOptions {
  /** Changes after this version; unset: the collection's current objects first (see WatchEvent). */
  readonly resourceVersion?: string;
  /** The API server ends the stream after this many seconds. */
  readonly timeoutSeconds: number;
  /** Ends the watch early (the watcher saw what it waited for). */
  readonly signal?: AbortSignal;
}

/**
 * A change of a watched object. A watch without a resourceVersion starts, as an informer does,
 * with the current objects as ADDED and one SYNCED (an object not named by then does not exist).
 */
export type WatchEvent = { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: KubeObject } | { readonly type: 'SYNCED' };

export interface KubeClient {
  /** Server-side apply: creates or updates, idempotent. */
  apply(obj: KubeObject, opts: ApplyOptions): Promise<KubeObject>;
  /** POST; an existing object is an error (`AlreadyExistsError`), which makes create a lock. */
  create(obj: KubeObject, opts?: { fieldManager?: string; dryRun?: boolean }): Promise<KubeObject>;
  /** PUT; without `metadata.resourceVersion` it is unconditional (Helm's release writes). */
  replace(obj: KubeObject): Promise<KubeObject>;
  /** PATCH of an existing object (client-side apply's three-way merge, managed-fields upgrades); a string patch is sent verbatim. */
  patch(ref: ObjectRef, patch: unknown, type: Exclude<PatchType, 'apply'>, opts?: { fieldManager?: string }): Promise<KubeObject>;
  /** The live object, or undefined when it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Delete with background propagation; false when it was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;
  list(apiVersion: string, kind: string, namespace: string | undefined, opts?: ListOptions): Promise<KubeObject[]>;
  /**
   * Streams changes of a collection to `onEvent` until the server ends the stream
   * (`timeoutSeconds`) or `signal` aborts it, then resolves. A stream that cannot start, drops
   * (reset) or carries an ERROR event (410 Expired: KubeTransient) rejects: the watcher looks
   * again with get/list, as informers relist.
   */
  watch(apiVersion: string, kind: string, namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<void>;
  /** The last `tailLines` lines of a container's log ('' when the pod has none yet). */
  podLogs(namespace: string, pod: string, container: string, tailLines: number): Promise<string>;
  /** e.g. "v1.34.0" */
  serverVersion(): Promise<string>;
  /** How the cluster serves a kind (discovery), or undefined when it does not. */
  resourceFor(apiVersion: string, kind: string): Promise<ServedResource | undefined>;
}

/** Thrown by `create` when the object exists (HTTP 409 AlreadyExists). */
export class AlreadyExistsError extends Error {
  override readonly name = 'AlreadyExists';
}

/** Helm's message for a kind the cluster does not serve (k8s.io/cli-runtime mapper + helm's hint). */
export function unmappedKind(o: { apiVersion: string; kind: string; name: string; namespace?: string }): HelmSfnError {
  return new HelmSfnError(
    ErrorName.ApplyFailed,
    `resource mapping not found for name: "${o.name}" namespace: "${o.namespace ?? ''}" from "": no matches for kind "${o.kind}" in version "${o.apiVersion}"\nensure CRDs are installed first`,
  );
}

