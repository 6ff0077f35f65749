/**
 * When is an object done? Pure rules over the live object (docs/semantics.md#readiness; Helm 4's
 * `internal/statusreaders` for hooks and kstatus for `--wait`).
 */
import type { KubeObject } from './objects';

export type HookState = 'running' | 'succeeded' | 'failed';

export interface Verdict<S> {
  readonly state: S;
  /** Why, in words a person can act on: "Job Failed: BackoffLimitExceeded". */
  readonly reason: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

const conditions = (obj: KubeObject): Condition[] => ((obj.status as { conditions?: Condition[] } | undefined)?.conditions ?? []);
const isTrue = (obj: KubeObject, type: string) => conditions(obj).find((c) => c.type === type && c.status === 'True');

/**
 * A hook's state. Job: `Complete=True` / `Failed=True` (retries are the Job controller's
 * business); Pod: phase Succeeded / Failed; any other kind is done once it exists.
 * `undefined` = the object is gone: a failure, unless it asked to be removed after finishing.
 */
export function hookState(kind: string, live: KubeObject | undefined, manifest: KubeObject): Verdict<HookState> {
  if (!live) {
    const ttl = (manifest.spec as { ttlSecondsAfterFinished?: number } | undefined)?.ttlSecondsAfterFinished;
    return ttl !== undefined
      ? { state: 'succeeded', reason: `${kind} is gone; assumed finished (ttlSecondsAfterFinished=${ttl})` }
      : { state: 'failed', reason: `${kind} disappeared before it finished` };
  }
  if (kind === 'Job') {
    const failed = isTrue(live, 'Failed');
    if (failed) return { state: 'failed', reason: `Job failed: ${[failed.reason, failed.message].filter(Boolean).join(': ') || 'Failed'}` };
    if (isTrue(live, 'Complete')) return { state: 'succeeded', reason: 'Job complete' };
    return { state: 'running', reason: jobProgress(live) };
  }
  if (kind === 'Pod') {
    const phase = (live.status as { phase?: string } | undefined)?.phase ?? 'Pending';
    if (phase === 'Succeeded') return { state: 'succeeded', reason: 'Pod succeeded' };
    if (phase === 'Failed') return { state: 'failed', reason: `Pod failed${podReason(live)}` };
    return { state: 'running', reason: `Pod ${phase}` };
  }
  return { state: 'succeeded', reason: `${kind} created` };
}

function jobProgress(job: KubeObject): string {
  const s = (job.status ?? {}) as { active?: number; succeeded?: number; failed?: number };
  return `Job running: ${s.active ?? 0} active, ${s.succeeded ?? 0} succeeded, ${s.failed ?? 0} failed`;
}

function podReason(pod: KubeObject): string {
  const s = (pod.status ?? {}) as { reason?: string; message?: string };
  const text = [s.reason, s.message].filter(Boolean).join(': ');
  return text ? `: ${text}` : '';
}

/**
 * Is a regular resource ready (for `wait`)? Deployment/StatefulSet/DaemonSet rolled out, Pod
 * Ready, PVC Bound, LoadBalancer Service with an ingress, Job Complete; other kinds once they exist.
 */
export function resourceReady(live: KubeObject | undefined): Verdict<'ready' | 'waiting'> {
  if (!live) return { state: 'waiting', reason: 'not found' };
  const spec = (live.spec ?? {}) as Record<string, any>;
  const status = (live.status ?? {}) as Record<string, any>;
  const generation = live.metadata.generation as number | undefined;
  const observed = status.observedGeneration as number | undefined;
  if (['Deployment', 'StatefulSet', 'DaemonSet'].includes(live.kind) && generation !== undefined && (observed ?? 0) < generation) {
    return { state: 'waiting', reason: `${live.kind} spec not observed yet` };
  }
  switch (live.kind) {
    case 'Deployment': {
      const want = spec.replicas ?? 1;
      const ok = (status.updatedReplicas ?? 0) >= want && (status.availableReplicas ?? 0) >= want && (status.replicas ?? 0) <= want;
      return ok ? ready() : { state: 'waiting', reason: `${status.availableReplicas ?? 0}/${want} replicas available` };
    }
    case 'StatefulSet': {
      const want = spec.replicas ?? 1;
      const ok = (status.readyReplicas ?? 0) >= want && (status.updatedReplicas ?? want) >= want;
      return ok ? ready() : { state: 'waiting', reason: `${status.readyReplicas ?? 0}/${want} replicas ready` };
    }
    case 'DaemonSet': {
      const want = status.desiredNumberScheduled ?? 0;
      const ok = (status.numberReady ?? 0) >= want && (status.updatedNumberScheduled ?? want) >= want;
      return ok ? ready() : { state: 'waiting', reason: `${status.numberReady ?? 0}/${want} pods ready` };
    }
    case 'Pod':
      return isTrue(live, 'Ready') || status.phase === 'Succeeded' ? ready() : { state: 'waiting', reason: `Pod ${status.phase ?? 'Pending'}` };
    case 'PersistentVolumeClaim':
      return status.phase === 'Bound' ? ready() : { state: 'waiting', reason: `PVC ${status.phase ?? 'Pending'}` };
    case 'Service':
      return spec.type !== 'LoadBalancer' || (status.loadBalancer?.ingress ?? []).length > 0
        ? ready()
        : { state: 'waiting', reason: 'no load balancer ingress yet' };
    case 'Job':
      return isTrue(live, 'Complete') ? ready() : { state: 'waiting', reason: isTrue(live, 'Failed') ? 'Job failed' : jobProgress(live) };
    default:
      return ready();
  }
}

const ready = (): Verdict<'ready'> => ({ state: 'ready', reason: 'ready' });
