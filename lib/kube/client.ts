/**
 * The cluster port: just what the engine needs, in our own types. The adapter on
 * @kubernetes/client-node (./client-node.ts) is the only implementation and the only importer
 * of that package. Every method maps API failures to our error names:
 * 429/5xx/dropped connection ⇒ KubeTransient (the workflow retries), no answer/refused
 * credentials ⇒ ClusterUnreachable, conflicts and 422 ⇒ ApplyFailed with the API's message.
 */
import type { KubeObject, ObjectRef } from '../core/objects';

export interface ApplyOptions {
  /** Helm's field manager is `helm`; using it keeps ownership compatible with the helm CLI. */
  readonly fieldManager: string;
  /** Take over fields owned by other managers (Helm: `--force-conflicts`). */
  readonly force?: boolean;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface KubeClient {
  /** Server-side apply: creates or updates, idempotent. */
  apply(obj: KubeObject, opts: ApplyOptions): Promise<KubeObject>;
  /** POST; an existing object is an error (`AlreadyExistsError`), which makes create a lock. */
  create(obj: KubeObject): Promise<KubeObject>;
  /** PUT; without `metadata.resourceVersion` it is unconditional (Helm's release writes). */
  replace(obj: KubeObject): Promise<KubeObject>;
  /** The live object, or undefined when it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Delete with background propagation; false when it was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;
  list(apiVersion: string, kind: string, namespace: string | undefined, opts?: ListOptions): Promise<KubeObject[]>;
  /** The last `tailLines` lines of a container's log ('' when the pod has none yet). */
  podLogs(namespace: string, pod: string, container: string, tailLines: number): Promise<string>;
  /** e.g. "v1.34.0" */
  serverVersion(): Promise<string>;
}

/** Thrown by `create` when the object exists (HTTP 409 AlreadyExists). */
export class AlreadyExistsError extends Error {
  override readonly name = 'AlreadyExists';
}
