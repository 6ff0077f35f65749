/**
 * Deployments (through ReplicaSets), ReplicaSets, StatefulSets and DaemonSets: they create
 * their Pods and report the status fields kstatus and `kubectl rollout status` read
 * (observedGeneration, replicas, updated/ready/available counts, Available and Progressing
 * conditions, current/update revisions). A rollout replaces old Pods at once, not gradually.
 */
import { createHash } from 'crypto';
import { rfc3339 } from '../clock';
import type { ResourceType } from '../registry';
import type { KubeObject, StoreEvent } from '../storage';
import { condition, ControllerClient, controllerOf, mergeConditions, ownerReference, WorkQueue, type Controller, type ControllerContext, type Loose } from './runtime';

const podReady = (p: Loose): boolean => !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c: Loose) => c.type === 'Ready' && c.status === 'True');
const alive = (p: Loose): boolean => !p.metadata.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded';

/** JSON with object keys sorted, so equal templates print equally whatever order a patch left. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Loose)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** A short stable hash of a pod template (the `pod-template-hash` / controller revision). */
export function templateHash(template: unknown): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(canonicalJson(template ?? {})).digest();
  return [...digest.subarray(0, 10)].map((b) => alphabet[b % alphabet.length]).join('');
}

const revisionOf = (rs: Loose): number => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);

/** An intOrString like `25%` or `1`, as a count of `total` (rounded up for surge, down for unavailability). */
function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(String(value ?? '25%'));
  if (!m) return Number(value) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export interface ReplicaSetState {
  replicas: number;
  available: number;
  /** Pods that still exist (status.replicas); Recreate waits for them to be gone. */
  alive?: number;
}

/**
 * One step of a Deployment rollout (pkg/controller/deployment/rolling.go and recreate.go,
 * simplified): how many replicas the new and each old ReplicaSet should have now. Rolling
 * updates add at most maxSurge Pods over the desired count and keep at least
 * desired − maxUnavailable available; unavailable old Pods can always go.
 */
export function rolloutStep(desired: number, strategy: Loose, current: ReplicaSetState, old: ReplicaSetState[]): { newReplicas: number; oldReplicas: number[] } {
  if (old.every((o) => o.replicas === 0)) return { newReplicas: desired, oldReplicas: old.map(() => 0) };
  if (strategy.type === 'Recreate') {
    const oldGone = old.every((o) => (o.alive ?? o.replicas) === 0);
    return { newReplicas: oldGone ? desired : 0, oldReplicas: old.map(() => 0) };
  }
  const surge = scaledValue(strategy.rollingUpdate?.maxSurge, desired, true);
  const unavailable = Math.max(scaledValue(strategy.rollingUpdate?.maxUnavailable, desired, false), surge === 0 ? 1 : 0);
  const total = current.replicas + old.reduce((n, o) => n + o.replicas, 0);
  const newReplicas = Math.min(desired, current.replicas + Math.max(0, desired + surge - total));
  let removable = current.available + old.reduce((n, o) => n + o.available, 0) - (desired - unavailable);
  const oldReplicas = old.map((o) => {
    const unhealthy = o.replicas - Math.min(o.available, o.replicas);
    const take = Math.min(o.replicas - unhealthy, Math.max(0, removable));
    removable -= take;
    return o.replicas - unhealthy - take;
  });
  return { newReplicas, oldReplicas };
}

const WORKLOADS: Record<string, [group: string, plural: string]> = {
  Deployment: ['apps', 'deployments'],
  ReplicaSet: ['apps', 'replicasets'],
  StatefulSet: ['apps', 'statefulsets'],
  DaemonSet: ['apps', 'daemonsets'],
};

export class WorkloadController implements Controller {
  private readonly client: ControllerClient;
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.client = new ControllerClient(ctx, 'kube-controller-manager');
    this.queue = new WorkQueue(ctx);
  }

  private t(kind: keyof typeof WORKLOADS | 'Pod' | 'PersistentVolumeClaim'): ResourceType {
    if (kind === 'Pod') return this.client.type('', 'v1', 'pods');
    if (kind === 'PersistentVolumeClaim') return this.client.type('', 'v1', 'persistentvolumeclaims');
    const [group, plural] = WORKLOADS[kind];
    return this.client.type(group, 'v1', plural);
  }

  onEvent(e: StoreEvent): void {
    const kind = e.object.kind;
    if (WORKLOADS[kind] && e.object.apiVersion === 'apps/v1') {
      if (e.type !== 'DELETED') this.enqueue(kind, e.object.metadata.namespace!, e.object.metadata.name!);
      const owner = controllerOf(e.object);
      if (kind === 'ReplicaSet' && owner?.kind === 'Deployment') this.enqueue('Deployment', e.object.metadata.namespace!, owner.name);
    } else if (kind === 'Pod' && e.object.apiVersion === 'v1') {
      const owner = controllerOf(e.object);
      if (owner && WORKLOADS[owner.kind]) this.enqueue(owner.kind, e.object.metadata.namespace!, owner.name);
    }
  }

  private enqueue(kind: string, namespace: string, name: string): void {
    this.queue.add(`${kind}/${namespace}/${name}`, () => {
      const o = this.client.get(this.t(kind as keyof typeof WORKLOADS), namespace, name) as Loose | undefined;
      if (!o || o.metadata.deletionTimestamp) return;
      if (kind === 'Deployment') this.deployment(o);
      else if (kind === 'ReplicaSet') this.replicaSet(o);
      else if (kind === 'StatefulSet') this.statefulSet(o);
      else this.daemonSet(o);
    });
  }

  private podFromTemplate(owner: Loose, ownerType: ResourceType, extra: { name?: string; generateName?: string; labels?: Record<string, string> }): void {
    const template = owner.spec?.template ?? {};
    const pod = this.client.create(this.t('Pod'), {
      metadata: {
        ...(extra.name ? { name: extra.name } : { generateName: extra.generateName }),
        namespace: owner.metadata.namespace,
        labels: { ...(template.metadata?.labels ?? {}), ...(extra.labels ?? {}) },
        ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        ownerReferences: [ownerReference(ownerType, owner as KubeObject)],
      },
      spec: structuredClone(template.spec ?? {}),
    });
    const message = ownerType.kind === 'StatefulSet' ? `create Pod ${pod.metadata.name} in StatefulSet ${owner.metadata.name} successful` : `Created pod: ${pod.metadata.name}`;
    this.client.event(owner as KubeObject, 'Normal', 'SuccessfulCreate', message, `${ownerType.kind.toLowerCase()}-controller`);
  }

  private deployment(d: Loose): void {
    const rsType = this.t('ReplicaSet');
    const hash = templateHash(d.spec?.template);
    const owned = this.client.owned(rsType, d.metadata.namespace, d.metadata.uid) as Loose[];
    let current = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const replicas = d.spec?.replicas ?? 1;
    const old = owned.filter((rs) => rs !== current).sort((a, b) => revisionOf(a) - revisionOf(b));
    const step = rolloutStep(
      replicas,
      d.spec?.strategy ?? {},
      { replicas: current?.spec?.replicas ?? 0, available: current?.status?.availableReplicas ?? 0 },
      old.map((rs) => ({ replicas: rs.spec?.replicas ?? 0, available: rs.status?.availableReplicas ?? 0, alive: rs.status?.replicas ?? 0 })),
    );
    const before = current?.spec?.replicas ?? 0;
    if (!current) {
      const revision = String(Math.max(0, ...owned.map(revisionOf)) + 1);
      const template = structuredClone(d.spec?.template ?? {});
      template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash } };
      current = this.client.create(rsType, {
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: d.metadata.namespace,
          labels: template.metadata.labels,
          annotations: { 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + 1), 'deployment.kubernetes.io/revision': revision },
          ownerReferences: [ownerReference(this.t('Deployment'), d as KubeObject)],
        },
        spec: { replicas: step.newReplicas, selector: { matchLabels: { ...(d.spec?.selector?.matchLabels ?? {}), 'pod-template-hash': hash } }, template },
      }) as Loose;
    } else {
      // a rollback to an older template reuses its ReplicaSet, which becomes the newest revision
      const newest = Math.max(0, ...owned.map(revisionOf));
      const revision = revisionOf(current) < newest ? String(newest + 1) : undefined;
      if (before !== step.newReplicas || revision)
        current = this.client.update(rsType, current as KubeObject, (rs) => {
          rs.spec.replicas = step.newReplicas;
          if (revision) rs.metadata.annotations = { ...(rs.metadata.annotations ?? {}), 'deployment.kubernetes.io/revision': revision };
        }) as Loose;
    }
    this.scalingEvent(d, current, before, step.newReplicas);
    old.forEach((rs, i) => {
      const was = rs.spec?.replicas ?? 0;
      if (was === step.oldReplicas[i]) return;
      this.client.update(rsType, rs as KubeObject, (x) => (x.spec.replicas = step.oldReplicas[i]));
      this.scalingEvent(d, rs, was, step.oldReplicas[i]);
    });

    const all = this.client.owned(rsType, d.metadata.namespace, d.metadata.uid) as Loose[];
    const sum = (f: (rs: Loose) => number) => all.reduce((n, rs) => n + f(rs), 0);
    const updated = current.status?.replicas ?? 0;
    const available = sum((rs) => rs.status?.availableReplicas ?? 0);
    const ready = sum((rs) => rs.status?.readyReplicas ?? 0);
    const total = sum((rs) => rs.status?.replicas ?? 0);
    const complete = updated === replicas && (current.status?.availableReplicas ?? 0) === replicas && total === replicas;
    const now = rfc3339(this.ctx.clock.now());
    const rsName = current.metadata.name;
    const status: Loose = {
      observedGeneration: d.metadata.generation,
      ...(total ? { replicas: total } : {}),
      ...(updated ? { updatedReplicas: updated } : {}),
      ...(ready ? { readyReplicas: ready } : {}),
      ...(available ? { availableReplicas: available } : {}),
      ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
      conditions: mergeConditions(d.status?.conditions, [
        available >= replicas
          ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now, { lastUpdateTime: now })
          : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now, { lastUpdateTime: now }),
        complete
          ? condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, now, { lastUpdateTime: now })
          : condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, now, { lastUpdateTime: now }),
      ]),
    };
    if (d.metadata.annotations?.['deployment.kubernetes.io/revision'] !== current.metadata.annotations?.['deployment.kubernetes.io/revision']) {
      d = this.client.update(this.t('Deployment'), d as KubeObject, (x) => {
        x.metadata.annotations = { ...(x.metadata.annotations ?? {}), 'deployment.kubernetes.io/revision': current!.metadata.annotations?.['deployment.kubernetes.io/revision'] };
      }) as Loose;
    }
    this.client.setStatus(this.t('Deployment'), d as KubeObject, status);
  }

  private scalingEvent(d: Loose, rs: Loose, from: number, to: number): void {
    if (from === to) return;
    const message = `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`;
    this.client.event(d as KubeObject, 'Normal', 'ScalingReplicaSet', message, 'deployment-controller');
  }

  private replicaSet(rs: Loose): void {
    const podType = this.t('Pod');
    const pods = (this.client.owned(podType, rs.metadata.namespace, rs.metadata.uid) as Loose[]).filter(alive);
    const replicas = rs.spec?.replicas ?? 1;
    for (let i = pods.length; i < replicas; i++) this.podFromTemplate(rs, this.t('ReplicaSet'), { generateName: `${rs.metadata.name}-` });
    for (const extra of pods.slice(replicas).reverse()) this.client.delete(podType, extra as KubeObject);
    const live = pods.slice(0, replicas);
    const ready = live.filter(podReady).length;
    this.client.setStatus(this.t('ReplicaSet'), rs as KubeObject, {
      replicas: Math.min(pods.length, replicas),
      fullyLabeledReplicas: Math.min(pods.length, replicas),
      ...(ready ? { readyReplicas: ready, availableReplicas: ready } : {}),
      observedGeneration: rs.metadata.generation,
    });
  }

  private statefulSet(s: Loose): void {
    const podType = this.t('Pod');
    const revision = `${s.metadata.name}-${templateHash(s.spec?.template)}`;
    const replicas = s.spec?.replicas ?? 1;
    const pods = this.client.owned(podType, s.metadata.namespace, s.metadata.uid) as Loose[];
    const ordered = s.spec?.podManagementPolicy !== 'Parallel';
    for (const p of pods) {
      const ordinal = Number(p.metadata.name.slice(s.metadata.name.length + 1));
      const outdated = p.metadata.labels?.['controller-revision-hash'] !== revision;
      if (!p.metadata.deletionTimestamp && (ordinal >= replicas || outdated || p.status?.phase === 'Failed')) this.client.delete(podType, p as KubeObject);
    }
    for (let i = 0; i < replicas; i++) {
      const name = `${s.metadata.name}-${i}`;
      const existing = pods.find((p) => p.metadata.name === name);
      if (existing) {
        if (ordered && !podReady(existing)) break;
        continue;
      }
      for (const claim of s.spec?.volumeClaimTemplates ?? []) {
        const pvcName = `${claim.metadata?.name}-${name}`;
        if (!this.client.get(this.t('PersistentVolumeClaim'), s.metadata.namespace, pvcName))
          this.client.create(this.t('PersistentVolumeClaim'), { metadata: { name: pvcName, namespace: s.metadata.namespace, labels: s.spec?.selector?.matchLabels }, spec: structuredClone(claim.spec ?? {}) });
      }
      this.podFromTemplate(s, this.t('StatefulSet'), {
        name,
        labels: { 'controller-revision-hash': revision, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(i) },
      });
      if (ordered) break;
    }
    const current = (this.client.owned(podType, s.metadata.namespace, s.metadata.uid) as Loose[]).filter((p) => !p.metadata.deletionTimestamp);
    const ready = current.filter(podReady).length;
    const updated = current.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision).length;
    this.client.setStatus(this.t('StatefulSet'), s as KubeObject, {
      observedGeneration: s.metadata.generation,
      replicas: current.length,
      ...(ready ? { readyReplicas: ready, availableReplicas: ready } : { availableReplicas: 0 }),
      currentReplicas: updated,
      updatedReplicas: updated,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
    });
  }

  private daemonSet(ds: Loose): void {
    const podType = this.t('Pod');
    const revision = templateHash(ds.spec?.template);
    const pods = (this.client.owned(podType, ds.metadata.namespace, ds.metadata.uid) as Loose[]).filter(alive);
    for (const p of pods) if (p.metadata.labels?.['controller-revision-hash'] !== revision) this.client.delete(podType, p as KubeObject);
    const current = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision);
    if (current.length === 0) {
      this.podFromTemplate(ds, this.t('DaemonSet'), { generateName: `${ds.metadata.name}-`, labels: { 'controller-revision-hash': revision, 'pod-template-generation': String(ds.metadata.generation ?? 1) } });
    }
    const ready = current.filter(podReady).length;
    this.client.setStatus(this.t('DaemonSet'), ds as KubeObject, {
      currentNumberScheduled: 1,
      desiredNumberScheduled: 1,
      numberMisscheduled: 0,
      numberReady: ready,
      ...(ready ? { numberAvailable: ready } : { numberUnavailable: 1 }),
      updatedNumberScheduled: 1,
      observedGeneration: ds.metadata.generation,
    });
  }
}
