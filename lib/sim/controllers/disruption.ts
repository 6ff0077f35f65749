/**
 * The disruption controller's status for PodDisruptionBudgets: how many selected pods are
 * healthy (Ready), how many must stay so (minAvailable, or expected − maxUnavailable; percentages
 * of the expected pods rounded up) and so how many may be disrupted, with the
 * DisruptionAllowed condition. Unlike kube-controller-manager, the expected count is the number
 * of selected live pods, not the replicas their controllers ask for.
 */
import type { KubeObject, StoreEvent } from '../storage';
import { condition, ControllerClient, isType, mergeConditions, WorkQueue, type Controller, type ControllerContext, type Loose } from './runtime';
import { rfc3339 } from '../clock';

/** intstr.GetScaledValueFromIntOrPercent with rounding up. */
function scaled(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  return percent ? Math.ceil((Number(percent[1]) * total) / 100) : Number(value) || 0;
}

const isReady = (p: Loose): boolean => (p.status?.conditions ?? []).some((c: Loose) => c.type === 'Ready' && c.status === 'True');

export class DisruptionController implements Controller {
  private readonly client: ControllerClient;
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.client = new ControllerClient(ctx, 'kube-controller-manager');
    this.queue = new WorkQueue(ctx);
  }

  private pdbType() {
    return this.client.type('policy', 'v1', 'poddisruptionbudgets');
  }

  onEvent(e: StoreEvent): void {
    const { namespace, name } = e.object.metadata;
    if (isType(e, 'policy', 'poddisruptionbudgets')) {
      if (e.type !== 'DELETED') this.queue.add(`${namespace}/${name}`, () => this.reconcile(namespace!, name!));
      return;
    }
    if (!isType(e, '', 'pods')) return;
    for (const pdb of this.ctx.api.list(this.pdbType(), namespace)) {
      const n = pdb.metadata.name!;
      this.queue.add(`${namespace}/${n}`, () => this.reconcile(namespace!, n));
    }
  }

  private reconcile(namespace: string, name: string): void {
    const type = this.pdbType();
    const pdb = this.client.get(type, namespace, name) as Loose | undefined;
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const pods = (this.client.selected(this.client.type('', 'v1', 'pods'), namespace, pdb.spec?.selector) as Loose[]).filter(
      (p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase),
    );
    const expectedPods = pods.length;
    const currentHealthy = pods.filter(isReady).length;
    const spec = pdb.spec ?? {};
    const desiredHealthy =
      spec.maxUnavailable !== undefined
        ? Math.max(0, expectedPods - scaled(spec.maxUnavailable, expectedPods))
        : spec.minAvailable !== undefined
          ? scaled(spec.minAvailable, expectedPods)
          : 0;
    const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy);
    const allowed = disruptionsAllowed > 0;
    const generation = pdb.metadata.generation;
    const status = {
      observedGeneration: generation,
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy,
      expectedPods,
      conditions: mergeConditions(pdb.status?.conditions, [
        condition('DisruptionAllowed', allowed ? 'True' : 'False', allowed ? 'SufficientPods' : 'InsufficientPods', '', rfc3339(this.ctx.clock.now()), { observedGeneration: generation }),
      ]),
    };
    this.client.setStatus(type, pdb as KubeObject, status);
  }
}
