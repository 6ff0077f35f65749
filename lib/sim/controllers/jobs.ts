/**
 * The Job controller: creates Pods from the template (up to parallelism, with the 10 s
 * doubling back-off after failures), counts succeeded and failed Pods (restarts count as
 * failures under OnFailure), and finishes the Job with Kubernetes' conditions:
 * SuccessCriteriaMet + Complete, or FailureTarget + Failed with reason BackoffLimitExceeded
 * or DeadlineExceeded (activeDeadlineSeconds). ttlSecondsAfterFinished deletes finished Jobs.
 */
import { rfc3339 } from '../clock';
import type { KubeObject, StoreEvent } from '../storage';
import { condition, ControllerClient, controllerOf, isType, mergeConditions, ownerReference, WorkQueue, type Controller, type ControllerContext, type Loose } from './runtime';

/** Real milliseconds at least between a Job finishing and its TTL deletion. */
const TTL_MIN_DELAY_MS = 100;

const BACKOFF_BASE = 10_000;
const BACKOFF_MAX = 360_000;

const hasCondition = (job: Loose, type: string): boolean => (job.status?.conditions ?? []).some((c: Loose) => c.type === type && c.status === 'True');
export const isFinished = (job: Loose): boolean => hasCondition(job, 'Complete') || hasCondition(job, 'Failed');

const podFinished = (p: Loose): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const podReady = (p: Loose): boolean => (p.status?.conditions ?? []).some((c: Loose) => c.type === 'Ready' && c.status === 'True');

export class JobController implements Controller {
  private readonly client: ControllerClient;
  private readonly queue: WorkQueue;
  /** Timers per Job uid: back-off, deadline and TTL (cleared on stop). */
  private readonly timers = new Map<string, Map<string, () => void>>();
  /** When each Job started, in real ms, to measure simulated deadlines. */
  private readonly started = new Map<string, number>();
  /** Failures seen per Job and when the count last grew (real ms), for the back-off. */
  private readonly failuresSeen = new Map<string, { count: number; at: number }>();
  /** When each Job finished (real ms), for ttlSecondsAfterFinished. */
  private readonly finishedAt = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {
    this.client = new ControllerClient(ctx, 'kube-controller-manager');
    this.queue = new WorkQueue(ctx);
  }

  private jobType() {
    return this.client.type('batch', 'v1', 'jobs');
  }

  private podType() {
    return this.client.type('', 'v1', 'pods');
  }

  onEvent(e: StoreEvent): void {
    if (isType(e, 'batch', 'jobs')) {
      if (e.type === 'DELETED') this.forget(e.object.metadata.uid!);
      else this.enqueue(e.object.metadata.namespace!, e.object.metadata.name!);
    } else if (isType(e, '', 'pods')) {
      const owner = controllerOf(e.object);
      if (owner?.kind === 'Job') this.enqueue(e.object.metadata.namespace!, owner.name);
    }
  }

  stop(): void {
    for (const uid of [...this.timers.keys()]) this.forget(uid);
  }

  private enqueue(namespace: string, name: string): void {
    this.queue.add(`${namespace}/${name}`, () => this.reconcile(namespace, name));
  }

  private forget(uid: string): void {
    for (const cancel of this.timers.get(uid)?.values() ?? []) cancel();
    this.timers.delete(uid);
    this.started.delete(uid);
    this.failuresSeen.delete(uid);
    this.finishedAt.delete(uid);
  }

  /** One pending timer per purpose and Job. */
  private timer(job: Loose, purpose: string, simulatedMs: number): void {
    const uid = job.metadata.uid as string;
    const byPurpose = this.timers.get(uid) ?? new Map<string, () => void>();
    this.timers.set(uid, byPurpose);
    if (byPurpose.has(purpose)) return;
    byPurpose.set(
      purpose,
      this.ctx.clock.after(simulatedMs, () => {
        byPurpose.delete(purpose);
        this.enqueue(job.metadata.namespace, job.metadata.name);
      }),
    );
  }

  private reconcile(namespace: string, name: string): void {
    const job = this.client.get(this.jobType(), namespace, name) as Loose | undefined;
    if (!job || job.metadata.deletionTimestamp) return;
    const spec = job.spec ?? {};
    const now = this.ctx.clock.now();
    const nowText = rfc3339(now);
    const pods = this.client.owned(this.podType(), namespace, job.metadata.uid) as Loose[];

    if (isFinished(job)) return this.afterFinish(job);
    if (spec.suspend) return;

    const uid = job.metadata.uid as string;
    if (!this.started.has(uid)) this.started.set(uid, now);
    const active = pods.filter((p) => !podFinished(p) && !p.metadata.deletionTimestamp);
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const failedPods = pods.filter((p) => p.status?.phase === 'Failed').length;
    const restarts = pods.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m: number, c: Loose) => m + (c.restartCount ?? 0), 0), 0);
    const failures = failedPods + (spec.template?.spec?.restartPolicy === 'OnFailure' ? restarts : 0);
    const seen = this.failuresSeen.get(uid);
    if (failures > (seen?.count ?? 0)) this.failuresSeen.set(uid, { count: failures, at: now });
    // `active` is added once this reconcile has created what it needs
    const status: Loose = {
      startTime: job.status?.startTime ?? nowText,
      ...(succeeded ? { succeeded } : {}),
      ...(failedPods ? { failed: failedPods } : {}),
      terminating: 0,
      uncountedTerminatedPods: {},
      ready: active.filter(podReady).length,
    };

    const deadline = spec.activeDeadlineSeconds as number | undefined;
    const elapsedSimulated = (now - this.started.get(uid)!) / this.ctx.clock.timeScale;
    if (succeeded >= (spec.completions ?? 1)) {
      return this.finish(job, { ...status, ready: 0, completionTime: nowText }, 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', active);
    }
    if (failures > (spec.backoffLimit ?? 6)) {
      return this.finish(job, { ...status, ready: 0 }, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', active);
    }
    if (deadline !== undefined && elapsedSimulated >= deadline * 1000) {
      return this.finish(job, { ...status, ready: 0 }, 'Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline', active);
    }
    if (deadline !== undefined) this.timer(job, 'deadline', deadline * 1000 - elapsedSimulated);

    const wanted = Math.min(spec.parallelism ?? 1, (spec.completions ?? 1) - succeeded) - active.length;
    if (wanted > 0) {
      const backoff = failures > 0 ? Math.min(BACKOFF_BASE * 2 ** (failures - 1), BACKOFF_MAX) : 0;
      const lastFailure = this.failuresSeen.get(uid)?.at;
      const waitMs = lastFailure ? lastFailure + backoff * this.ctx.clock.timeScale - now : 0;
      if (waitMs > 0) this.timer(job, 'backoff', waitMs / this.ctx.clock.timeScale);
      else for (let i = 0; i < wanted; i++) this.createPod(job);
    }
    const fresh = this.client.owned(this.podType(), namespace, uid).filter((p) => !podFinished(p) && !p.metadata.deletionTimestamp).length;
    this.client.setStatus(this.jobType(), job as KubeObject, { ...status, ...(fresh ? { active: fresh } : {}) });
  }

  private createPod(job: Loose): void {
    const template = job.spec.template ?? {};
    const pod = this.client.create(this.podType(), {
      metadata: {
        generateName: `${job.metadata.name}-`,
        namespace: job.metadata.namespace,
        labels: { ...(template.metadata?.labels ?? {}) },
        ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        ownerReferences: [ownerReference(this.jobType(), job as KubeObject)],
      },
      spec: structuredClone(template.spec ?? {}),
    });
    this.client.event(job as KubeObject, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, 'job-controller');
  }

  private finish(job: Loose, status: Loose, type: 'Complete' | 'Failed', reason: string, message: string, active: Loose[]): void {
    for (const p of active) this.client.delete(this.podType(), p as KubeObject);
    this.finishedAt.set(job.metadata.uid, this.ctx.clock.now());
    if (type === 'Complete') this.client.event(job as KubeObject, 'Normal', 'Completed', 'Job completed', 'job-controller');
    else this.client.event(job as KubeObject, 'Warning', reason, message, 'job-controller');
    const now = rfc3339(this.ctx.clock.now());
    const interim = type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget';
    this.client.setStatus(this.jobType(), job as KubeObject, {
      ...status,
      conditions: mergeConditions(job.status?.conditions, [
        condition(interim, 'True', reason, message, now, { lastProbeTime: now }),
        condition(type, 'True', reason, message, now, { lastProbeTime: now }),
      ]),
    });
  }

  /** ttlSecondsAfterFinished: delete the Job (and, in the background, its Pods). */
  private afterFinish(job: Loose): void {
    const ttl = job.spec?.ttlSecondsAfterFinished as number | undefined;
    if (ttl === undefined) return;
    const finishedAt = this.finishedAt.get(job.metadata.uid) ?? this.ctx.clock.now();
    if (!this.finishedAt.has(job.metadata.uid)) this.finishedAt.set(job.metadata.uid, finishedAt);
    // the real TTL controller acts through an informer and a work queue, never in the instant a Job
    // finishes; a client watching the Job (helm) must be able to see it complete (helm/helm#32586)
    const due = finishedAt + Math.max(ttl * 1000 * this.ctx.clock.timeScale, TTL_MIN_DELAY_MS);
    if (due <= this.ctx.clock.now()) this.client.delete(this.jobType(), job as KubeObject, { propagationPolicy: 'Background' });
    else this.timer(job, 'ttl', (due - this.ctx.clock.now()) / this.ctx.clock.timeScale);
  }
}
