/**
 * A KubeClient that connects on its first call. Tasks that never touch the cluster (validate)
 * then cost no STS or EKS call, and a task learns its cluster from its own event. When the
 * cluster refuses the credentials (401/403: a rotated token, revoked role credentials) it renews
 * them once per invocation and repeats the refused call, which the API server never executed.
 */
import type { KubeObject, ObjectRef } from '../../lib/core/objects';
import type { ApplyOptions, KubeClient, ListOptions, PatchType } from '../../lib/kube/client';

export class LazyKubeClient implements KubeClient {
  private client: Promise<KubeClient> | undefined;
  private renewed = false;

  constructor(
    private readonly connect: () => Promise<KubeClient>,
    /** Connects again with renewed credentials. */
    private readonly reconnect: () => Promise<KubeClient>,
  ) {}

  private async use(): Promise<KubeClient> {
    this.client ??= this.connect().catch((e) => {
      this.client = undefined; // a failed connection is tried again by the next call
      throw e;
    });
    return this.client;
  }

  private async call<T>(request: (client: KubeClient) => Promise<T>): Promise<T> {
    try {
      return await request(await this.use());
    } catch (e) {
      if (this.renewed || !refusedCredentials(e)) throw e;
      this.renewed = true;
      this.client = this.reconnect();
      return request(await this.use());
    }
  }

  apply(obj: KubeObject, opts: ApplyOptions) {
    return this.call((c) => c.apply(obj, opts));
  }
  patch(ref: ObjectRef, patch: unknown, type: Exclude<PatchType, 'apply'>, opts?: { fieldManager?: string }) {
    return this.call((c) => c.patch(ref, patch, type, opts));
  }
  create(obj: KubeObject, opts?: { fieldManager?: string }) {
    return this.call((c) => c.create(obj, opts));
  }
  replace(obj: KubeObject) {
    return this.call((c) => c.replace(obj));
  }
  get(ref: ObjectRef) {
    return this.call((c) => c.get(ref));
  }
  delete(ref: ObjectRef) {
    return this.call((c) => c.delete(ref));
  }
  list(apiVersion: string, kind: string, namespace: string | undefined, opts?: ListOptions) {
    return this.call((c) => c.list(apiVersion, kind, namespace, opts));
  }
  podLogs(namespace: string, pod: string, container: string, tailLines: number) {
    return this.call((c) => c.podLogs(namespace, pod, container, tailLines));
  }
  serverVersion() {
    return this.call((c) => c.serverVersion());
  }
  resourceFor(apiVersion: string, kind: string) {
    return this.call((c) => c.resourceFor(apiVersion, kind));
  }
}

/** An HTTP 401 or 403 anywhere in the error's cause chain (the adapter keeps the API's answer as cause). */
function refusedCredentials(e: unknown): boolean {
  for (let cur = e as { code?: unknown; statusCode?: unknown; cause?: unknown } | undefined, depth = 0; cur && depth < 4; cur = cur.cause as typeof cur, depth++) {
    const status = typeof cur.code === 'number' ? cur.code : cur.statusCode;
    if (status === 401 || status === 403) return true;
  }
  return false;
}
