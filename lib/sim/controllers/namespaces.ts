/**
 * Namespace lifecycle: every namespace gets its `default` ServiceAccount and the
 * `kube-root-ca.crt` ConfigMap; a terminating namespace has its content deleted, then its
 * `kubernetes` finalizer removed, after which it disappears (with a DELETED event).
 */
import type { StoreEvent } from '../storage';
import { ControllerClient, isType, WorkQueue, type Controller, type ControllerContext } from './runtime';

export const SEED_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const ROOT_CA = '-----BEGIN CERTIFICATE-----\nU0lNVUxBVEVEIENMVVNURVIgQ0EgKGhlbG0tc2ZuIHNpbSk=\n-----END CERTIFICATE-----\n';

export class NamespaceController implements Controller {
  private readonly client: ControllerClient;
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.client = new ControllerClient(ctx, 'kube-controller-manager');
    this.queue = new WorkQueue(ctx);
  }

  onEvent(e: StoreEvent): void {
    if (isType(e, '', 'namespaces') && e.type !== 'DELETED') this.enqueue(e.object.metadata.name!);
    else if (e.type === 'DELETED' && e.object.metadata.namespace) this.enqueue(e.object.metadata.namespace);
  }

  private enqueue(name: string): void {
    this.queue.add(name, () => this.reconcile(name));
  }

  private reconcile(name: string): void {
    const nsType = this.client.type('', 'v1', 'namespaces');
    const ns = this.client.get(nsType, undefined, name);
    if (!ns) return;
    if (ns.metadata.deletionTimestamp) return this.terminate(name);
    const sa = this.client.type('', 'v1', 'serviceaccounts');
    const cm = this.client.type('', 'v1', 'configmaps');
    if (!this.client.get(sa, name, 'default')) this.client.create(sa, { metadata: { name: 'default', namespace: name } });
    if (!this.client.get(cm, name, 'kube-root-ca.crt'))
      this.client.create(cm, { metadata: { name: 'kube-root-ca.crt', namespace: name, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: { 'ca.crt': ROOT_CA } });
  }

  /** Deletes what is left in the namespace; once it is empty, clears the finalizer. */
  private terminate(name: string): void {
    let remaining = 0;
    for (const type of this.ctx.registry.all()) {
      if (!type.namespaced) continue;
      for (const o of this.ctx.api.list(type, name)) {
        remaining++;
        if (!o.metadata.deletionTimestamp) this.client.delete(type, o, { propagationPolicy: 'Background', gracePeriodSeconds: type.kind === 'Pod' ? 1 : undefined });
      }
    }
    if (remaining > 0) return;
    const nsType = this.client.type('', 'v1', 'namespaces');
    const ns = this.client.get(nsType, undefined, name);
    if (ns) this.client.update(nsType, ns, (o) => (o.spec = { ...(o.spec ?? {}), finalizers: [] }));
  }
}
