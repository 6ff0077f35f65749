/**
 * Starts the sim's controllers on the store's change stream. The core ones (namespace
 * lifecycle, garbage collection, CRD establishment) always run: without them deletes would
 * hang. The workload ones (kubelet, Jobs, Deployments/ReplicaSets/StatefulSets/DaemonSets,
 * LoadBalancer IPs, PVC binding, PodDisruptionBudget status) run unless disabled, so a test can
 * drive status by hand.
 */
import { CrdController } from './crds';
import { DisruptionController } from './disruption';
import { GarbageCollector } from './gc';
import { JobController } from './jobs';
import { Kubelet } from './kubelet';
import { NamespaceController } from './namespaces';
import type { Controller, ControllerContext } from './runtime';
import { InfrastructureController } from './services';
import { WorkloadController } from './workloads';

export type { ControllerContext } from './runtime';

export function startControllers(ctx: ControllerContext, workloads: boolean): () => void {
  const controllers: Controller[] = [new NamespaceController(ctx), new GarbageCollector(ctx), new CrdController(ctx)];
  if (workloads)
    controllers.push(new Kubelet(ctx), new JobController(ctx), new WorkloadController(ctx), new InfrastructureController(ctx), new DisruptionController(ctx));
  const unsubscribe = ctx.store.subscribe((e) => {
    for (const c of controllers) c.onEvent(e);
  });
  return () => {
    unsubscribe();
    for (const c of controllers) c.stop?.();
  };
}
