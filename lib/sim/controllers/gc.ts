/**
 * The garbage collector: dependents (ownerReferences) of a removed owner are deleted in the
 * background, or lose that reference if another owner remains; an owner deleted with
 * `Orphan` first has its dependents released, one deleted with `Foreground` waits until its
 * dependents are gone. Both then lose their finalizer and disappear.
 */
import type { ResourceType } from '../registry';
import type { KubeObject, StoreEvent } from '../storage';
import { ControllerClient, WorkQueue, type Controller, type ControllerContext } from './runtime';

export class GarbageCollector implements Controller {
  private readonly client: ControllerClient;
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.client = new ControllerClient(ctx, 'generic-garbage-collector');
    this.queue = new WorkQueue(ctx);
  }

  onEvent(e: StoreEvent): void {
    const uid = e.object.metadata.uid;
    if (!uid) return;
    if (e.type === 'DELETED') {
      this.queue.add(`removed/${uid}`, () => this.ownerRemoved(uid));
      for (const ref of e.object.metadata.ownerReferences ?? []) this.queue.add(`owner/${ref.uid}`, () => this.reconcileOwner(ref.uid));
    } else if (e.object.metadata.deletionTimestamp) {
      const f = e.object.metadata.finalizers ?? [];
      if (f.includes('orphan') || f.includes('foregroundDeletion')) this.queue.add(`owner/${uid}`, () => this.reconcileOwner(uid));
    }
  }

  private typeOf(typeKey: string): ResourceType | undefined {
    return this.ctx.registry.all().find((t) => `${t.group}/${t.plural}` === typeKey);
  }

  private withType(found: { typeKey: string; object: KubeObject } | undefined): [ResourceType, KubeObject] | undefined {
    const type = found && this.typeOf(found.typeKey);
    return type && [type, found.object];
  }

  private dependents(ownerUid: string): [ResourceType, KubeObject][] {
    return this.ctx.store.dependents(ownerUid).flatMap((d) => {
      const typed = this.withType(d);
      return typed ? [typed] : [];
    });
  }

  private find(uid: string): [ResourceType, KubeObject] | undefined {
    return this.withType(this.ctx.store.findByUid(uid));
  }

  private ownerRemoved(uid: string): void {
    for (const [type, o] of this.dependents(uid)) {
      const others = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid && this.find(r.uid));
      if (others.length) this.client.update(type, o, (x) => (x.metadata.ownerReferences = others));
      else if (!o.metadata.deletionTimestamp) this.client.delete(type, o, { propagationPolicy: 'Background' });
    }
  }

  private reconcileOwner(uid: string): void {
    const found = this.find(uid);
    if (!found) return;
    const [type, owner] = found;
    if (!owner.metadata.deletionTimestamp) return;
    const finalizers = owner.metadata.finalizers ?? [];
    if (finalizers.includes('orphan')) {
      for (const [t, d] of this.dependents(uid)) this.client.update(t, d, (x) => (x.metadata.ownerReferences = (x.metadata.ownerReferences ?? []).filter((r: { uid: string }) => r.uid !== uid)));
      this.client.update(type, owner, (x) => (x.metadata.finalizers = finalizers.filter((f) => f !== 'orphan')));
      return;
    }
    if (finalizers.includes('foregroundDeletion')) {
      const blocking = this.dependents(uid);
      for (const [t, d] of blocking) if (!d.metadata.deletionTimestamp) this.client.delete(t, d, { propagationPolicy: 'Foreground' });
      if (blocking.length === 0) this.client.update(type, owner, (x) => (x.metadata.finalizers = finalizers.filter((f) => f !== 'foregroundDeletion')));
    }
  }
}
