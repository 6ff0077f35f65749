/**
 * The sim's single node and its kubelet: binds new Pods to `sim-node`, starts their containers
 * after a short ContainerCreating delay and plays each container's program (lib/sim/shell.ts)
 * on the sim clock, writing log lines and container states. A program the sim does not model
 * (a server, an image's entrypoint) runs until killed in a Pod with restartPolicy Always (what
 * Deployments, StatefulSets and DaemonSets require) and exits 0 after `defaultRun` otherwise
 * (Jobs, hook and test Pods). Init containers run first, one at
 * a time. restartPolicy decides what an exit means (Never: terminated; OnFailure: restart on
 * non-zero; Always: restart), with the kubelet's 10 s doubling back-off. A deleted Pod is
 * stopped and then removed.
 */
import { createHash } from 'crypto';
import { rfc3339 } from '../clock';
import { interpretContainer, reachesProgram, type ContainerProgram } from '../shell';
import type { KubeObject, StoreEvent } from '../storage';
import { ControllerClient, guarded, isType, WorkQueue, type Controller, type ControllerContext, type Loose } from './runtime';

export const NODE_NAME = 'sim-node';
const HOST_IP = '172.18.0.2';

/** Simulated durations (ms), multiplied by the time scale. */
export const KUBELET_TIMING = {
  containerCreating: 100,
  /** How long a program the sim does not model runs when its Pod is meant to finish (Job pods, init containers). */
  defaultRun: 1000,
  /** How long a stopping container takes before the Pod object goes (capped by its grace period). */
  termination: 200,
  backoffBase: 10_000,
  backoffMax: 300_000,
};

interface ContainerRuntime {
  name: string;
  init: boolean;
  image: string;
  program: ContainerProgram;
  /** readinessProbe.initialDelaySeconds in simulated ms: the probe passes from then on. */
  readyAfter: number;
  probeDelayOver: boolean;
  state: 'waiting' | 'running' | 'terminated';
  waitingReason: string;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  restartCount: number;
  lastTerminated?: { exitCode: number; startedAt: number; finishedAt: number };
  containerID: string;
}

interface PodRuntime {
  uid: string;
  namespace: string;
  name: string;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  initContainers: ContainerRuntime[];
  containers: ContainerRuntime[];
  podIP: string;
  startTime?: number;
  cancels: (() => void)[];
  stopping: boolean;
}

const exitReason = (code: number): string => (code === 0 ? 'Completed' : 'Error');

export class Kubelet implements Controller {
  private readonly client: ControllerClient;
  private readonly queue: WorkQueue;
  private readonly pods = new Map<string, PodRuntime>();
  private nextIp = 10;

  constructor(private readonly ctx: ControllerContext) {
    this.client = new ControllerClient(ctx, 'kubelet');
    this.queue = new WorkQueue(ctx);
  }

  private podType() {
    return this.client.type('', 'v1', 'pods');
  }

  onEvent(e: StoreEvent): void {
    if (!isType(e, '', 'pods')) return;
    const { uid, namespace, name } = e.object.metadata;
    if (e.type === 'DELETED') {
      this.forget(uid!);
      return;
    }
    this.queue.add(uid!, () => this.reconcile(namespace!, name!, uid!));
  }

  stop(): void {
    for (const uid of [...this.pods.keys()]) this.forget(uid);
  }

  private forget(uid: string): void {
    const rt = this.pods.get(uid);
    if (!rt) return;
    for (const c of rt.cancels) c();
    this.pods.delete(uid);
    this.ctx.podLogs.forget(uid);
  }

  private reconcile(namespace: string, name: string, uid: string): void {
    const pod = this.client.get(this.podType(), namespace, name) as Loose | undefined;
    if (!pod || pod.metadata.uid !== uid) return;
    const rt = this.pods.get(uid);
    if (pod.metadata.deletionTimestamp) return this.terminate(pod, rt);
    if (rt || ['Succeeded', 'Failed'].includes(pod.status?.phase)) return;
    this.admit(pod);
  }

  /** Binds the Pod and schedules its containers' start. */
  private admit(pod: Loose): void {
    const spec = pod.spec ?? {};
    const rt: PodRuntime = {
      uid: pod.metadata.uid,
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      restartPolicy: spec.restartPolicy ?? 'Always',
      initContainers: (spec.initContainers ?? []).map((c: Loose) => this.container(c, true)),
      containers: (spec.containers ?? []).map((c: Loose) => this.container(c, false, spec.initContainers?.length ? 'PodInitializing' : 'ContainerCreating')),
      podIP: `10.244.0.${this.nextIp++}`,
      cancels: [],
      stopping: false,
    };
    this.pods.set(rt.uid, rt);
    const bound = spec.nodeName ? (pod as KubeObject) : this.client.update(this.podType(), pod as KubeObject, (p) => (p.spec.nodeName = NODE_NAME));
    this.writeStatus(rt, bound);
    this.client.event(bound, 'Normal', 'Scheduled', `Successfully assigned ${rt.namespace}/${rt.name} to ${NODE_NAME}`, 'default-scheduler');
    rt.cancels.push(this.after(rt, KUBELET_TIMING.containerCreating, () => this.startPod(rt)));
  }

  private container(c: Loose, init: boolean, waitingReason = 'ContainerCreating'): ContainerRuntime {
    return {
      name: c.name,
      init,
      image: c.image,
      program: interpretContainer(c.command, c.args),
      readyAfter: (c.readinessProbe?.initialDelaySeconds ?? 0) * 1000,
      probeDelayOver: !c.readinessProbe?.initialDelaySeconds,
      state: 'waiting',
      waitingReason,
      restartCount: 0,
      containerID: `containerd://${this.hex(64)}`,
    };
  }

  /** A kubelet timer: simulated delay, and failures handled like a reconcile's. */
  private after(rt: PodRuntime, simulatedMs: number, work: () => void): () => void {
    return this.ctx.clock.after(simulatedMs, () => guarded(this.ctx, `pod ${rt.namespace}/${rt.name}`, work));
  }

  private hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.ctx.clock.random() * 16).toString(16);
    return s;
  }

  private startPod(rt: PodRuntime): void {
    rt.startTime = this.ctx.clock.now();
    this.startNext(rt);
  }

  /** The next init container that has not completed, or else all regular containers. */
  private startNext(rt: PodRuntime): void {
    const init = rt.initContainers.find((c) => c.state !== 'terminated');
    if (init) this.run(rt, init);
    else for (const c of rt.containers) this.run(rt, c);
    this.writeStatus(rt);
  }

  /** Plays the container's program step by step; the exit is handled in {@link exited}. */
  private run(rt: PodRuntime, c: ContainerRuntime): void {
    c.state = 'running';
    c.startedAt = this.ctx.clock.now();
    this.ctx.podLogs.start(rt.uid, c.name);
    if (c.readyAfter > 0) {
      c.probeDelayOver = false;
      rt.cancels.push(
        this.after(rt, c.readyAfter, () => {
          c.probeDelayOver = true;
          this.writeStatus(rt);
        }),
      );
    }
    this.podEvent(rt, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
    this.podEvent(rt, 'Normal', 'Created', `Created container: ${c.name}`);
    this.podEvent(rt, 'Normal', 'Started', `Started container ${c.name}`);
    const steps = c.program.steps;
    const exitCode = c.program.exitCode;
    const next = (i: number): void => {
      if (rt.stopping) return;
      for (; i < steps.length; i++) {
        const step = steps[i];
        if (step.kind === 'log') {
          this.ctx.podLogs.append(rt.uid, c.name, { time: this.ctx.clock.now(), text: step.text });
          continue;
        }
        if (step.kind === 'program' && this.runsUntilKilled(rt, c)) return;
        rt.cancels.push(this.after(rt, step.kind === 'sleep' ? step.ms : KUBELET_TIMING.defaultRun, () => next(i + 1)));
        return;
      }
      this.exited(rt, c, exitCode);
    };
    next(0);
  }

  /** An unmodeled program is a server in a Pod that is restarted whenever it ends; init containers always finish. */
  private runsUntilKilled(rt: PodRuntime, c: ContainerRuntime): boolean {
    return rt.restartPolicy === 'Always' && !c.init;
  }

  private exited(rt: PodRuntime, c: ContainerRuntime, exitCode: number): void {
    if (rt.stopping || !this.pods.has(rt.uid)) return;
    this.ctx.podLogs.end(rt.uid, c.name);
    c.finishedAt = this.ctx.clock.now();
    // init containers always run to completion; only a failure may restart them
    const restart = c.init ? exitCode !== 0 && rt.restartPolicy !== 'Never' : rt.restartPolicy === 'Always' || (rt.restartPolicy === 'OnFailure' && exitCode !== 0);
    if (!restart) {
      c.state = 'terminated';
      c.exitCode = exitCode;
      if (c.init && exitCode === 0) this.startNext(rt);
      else this.writeStatus(rt);
      return;
    }
    c.lastTerminated = { exitCode, startedAt: c.startedAt!, finishedAt: c.finishedAt };
    c.state = 'waiting';
    c.waitingReason = 'CrashLoopBackOff';
    const backoff = Math.min(KUBELET_TIMING.backoffBase * 2 ** c.restartCount, KUBELET_TIMING.backoffMax);
    c.restartCount++;
    this.writeStatus(rt);
    this.podEvent(rt, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${rt.name}_${rt.namespace}(${rt.uid})`);
    rt.cancels.push(
      this.after(rt, backoff, () => {
        if (rt.stopping) return;
        this.run(rt, c);
        this.writeStatus(rt);
      }),
    );
  }

  /** Stops a deleted Pod's containers, then removes the object. */
  private terminate(pod: Loose, rt: PodRuntime | undefined): void {
    if (rt?.stopping) return;
    const remove = () => {
      const current = this.client.get(this.podType(), pod.metadata.namespace, pod.metadata.name);
      if (current && current.metadata.uid === pod.metadata.uid) this.client.delete(this.podType(), current, { gracePeriodSeconds: 0 });
    };
    if (!rt) return remove();
    rt.stopping = true;
    for (const c of rt.cancels) c();
    rt.cancels = [];
    for (const c of rt.containers) if (c.state === 'running') this.ctx.podLogs.end(rt.uid, c.name);
    const grace = (pod.metadata.deletionGracePeriodSeconds ?? 30) * 1000;
    this.after(rt, Math.min(grace, KUBELET_TIMING.termination), remove);
  }

  private podEvent(rt: PodRuntime, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const pod = this.client.get(this.podType(), rt.namespace, rt.name);
    if (pod && pod.metadata.uid === rt.uid) this.client.event(pod, type, reason, message, 'kubelet');
  }

  private phase(rt: PodRuntime): string {
    if (rt.initContainers.some((c) => c.state === 'terminated' && c.exitCode !== 0)) return 'Failed';
    if (!rt.startTime || rt.initContainers.some((c) => c.state !== 'terminated')) return 'Pending';
    const done = rt.containers.every((c) => c.state === 'terminated');
    if (!done) return 'Running';
    return rt.containers.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed';
  }

  private containerStatus(rt: PodRuntime, c: ContainerRuntime): Loose {
    const at = (ms?: number) => (ms === undefined ? undefined : rfc3339(ms));
    const state =
      c.state === 'running'
        ? { running: { startedAt: at(c.startedAt) } }
        : c.state === 'terminated'
          ? { terminated: { exitCode: c.exitCode, reason: exitReason(c.exitCode!), startedAt: at(c.startedAt), finishedAt: at(c.finishedAt), containerID: c.containerID } }
          : { waiting: { reason: c.waitingReason, ...(c.waitingReason === 'CrashLoopBackOff' ? { message: `back-off restarting failed container ${c.name}` } : {}) } };
    const last = c.lastTerminated;
    return {
      name: c.name,
      state,
      lastState: last ? { terminated: { exitCode: last.exitCode, reason: exitReason(last.exitCode), startedAt: at(last.startedAt), finishedAt: at(last.finishedAt), containerID: c.containerID } } : {},
      ready: this.ready(rt, c),
      restartCount: c.restartCount,
      image: c.image,
      imageID: `docker.io/library/${c.image}@sha256:${createHash('sha256').update(c.image ?? '').digest('hex')}`,
      ...(c.state === 'waiting' && c.waitingReason === 'ContainerCreating' ? {} : { containerID: c.containerID }),
      started: c.state === 'running',
    };
  }

  /**
   * Ready while running (once a readinessProbe's initial delay is over), except that a container
   * whose script will exit non-zero (and serves nothing before) never is; a completed init
   * container is ready.
   */
  private ready(rt: PodRuntime, c: ContainerRuntime): boolean {
    if (c.init) return c.state === 'terminated' && c.exitCode === 0;
    return c.state === 'running' && c.probeDelayOver && (c.program.exitCode === 0 || (this.runsUntilKilled(rt, c) && reachesProgram(c.program)));
  }

  private writeStatus(rt: PodRuntime, stored?: KubeObject): void {
    const pod = (stored ?? this.client.get(this.podType(), rt.namespace, rt.name)) as Loose | undefined;
    if (!pod || pod.metadata.uid !== rt.uid) return;
    const now = rfc3339(this.ctx.clock.now());
    const phase = this.phase(rt);
    const initialized = rt.initContainers.every((c) => c.state === 'terminated' && c.exitCode === 0);
    const allReady = rt.startTime !== undefined && initialized && rt.containers.every((c) => this.ready(rt, c));
    const finished = phase === 'Succeeded' || phase === 'Failed';
    const readyReason = finished ? { reason: 'PodCompleted' } : allReady ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${rt.containers.filter((c) => !this.ready(rt, c)).map((c) => c.name).join(' ')}]` };
    const cond = (type: string, ok: boolean, extra: Loose = {}) => {
      const old = (pod.status?.conditions ?? []).find((x: Loose) => x.type === type);
      const status = ok ? 'True' : 'False';
      return { type, status, lastProbeTime: null, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now, ...extra };
    };
    const started = rt.startTime !== undefined;
    const status: Loose = {
      phase,
      conditions: [
        cond('PodReadyToStartContainers', started && !finished),
        cond('Initialized', initialized, initialized ? {} : { reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${rt.initContainers.filter((c) => c.state !== 'terminated').map((c) => c.name).join(' ')}]` }),
        cond('Ready', allReady, allReady ? {} : readyReason),
        cond('ContainersReady', allReady, allReady ? {} : readyReason),
        cond('PodScheduled', true),
      ],
      hostIP: HOST_IP,
      hostIPs: [{ ip: HOST_IP }],
      ...(started ? { podIP: rt.podIP, podIPs: [{ ip: rt.podIP }], startTime: rfc3339(rt.startTime!) } : {}),
      ...(rt.initContainers.length ? { initContainerStatuses: rt.initContainers.map((c) => this.containerStatus(rt, c)) } : {}),
      containerStatuses: rt.containers.map((c) => this.containerStatus(rt, c)),
      qosClass: pod.status?.qosClass ?? 'BestEffort',
    };
    this.client.setStatus(this.podType(), pod as KubeObject, status);
  }
}
