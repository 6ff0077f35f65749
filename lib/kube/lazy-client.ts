/**
 * A KubeClient that connects on its first call. In Lambda, tasks that never touch the cluster
 * (validate) then cost no STS or EKS call, and a task learns its cluster from its own event; in
 * the CLI, client-node (half a second to load) is loaded while the first state already runs.
 */
import type { KubeObject, ObjectRef } from '../core/objects';
import type { ApplyOptions, KubeClient, ListOptions, PatchType, WatchEvent, WatchOptions } from './client';

export class LazyKubeClient implements KubeClient {
  private client: Promise<KubeClient> | undefined;

  constructor(private readonly connect: () => Promise<KubeClient>) {}

  private async use(): Promise<KubeClient> {
    this.client ??= this.connect().catch((e) => {
      this.client = undefined; // a failed connection is tried again by the next call
      throw e;
    });
    return this.client;
  }

  async apply(obj: KubeObject, opts: ApplyOptions) {
    return (await this.use()).apply(obj, opts);
  }
  async create(obj: KubeObject, opts?: { fieldManager?: string }) {
    return (await this.use()).create(obj, opts);
  }
  async patch(ref: ObjectRef, patch: unknown, type: Exclude<PatchType, 'apply'>, opts?: { fieldManager?: string }) {
    return (await this.use()).patch(ref, patch, type, opts);
  }
  async replace(obj: KubeObject) {
    return (await this.use()).replace(obj);
  }
  async get(ref: ObjectRef) {
    return (await this.use()).get(ref);
  }
  async delete(ref: ObjectRef) {
    return (await this.use()).delete(ref);
  }
  async list(apiVersion: string, kind: string, namespace: string | undefined, opts?: ListOptions) {
    return (await this.use()).list(apiVersion, kind, namespace, opts);
  }
  async watch(apiVersion: string, kind: string, namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent) => void) {
    return (await this.use()).watch(apiVersion, kind, namespace, opts, onEvent);
  }
  async podLogs(namespace: string, pod: string, container: string, tailLines: number) {
    return (await this.use()).podLogs(namespace, pod, container, tailLines);
  }
  async serverVersion() {
    return (await this.use()).serverVersion();
  }
  async resourceFor(apiVersion: string, kind: string) {
    return (await this.use()).resourceFor(apiVersion, kind);
  }
}
