/**
 * One measured lifecycle — install (waiting for resources) then uninstall (waiting for their
 * deletion) — on a fresh simulated cluster, by the real helm or by helm-sfn's local runner.
 */
import { execFile } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { promisify } from 'util';
import { binaries } from '../lib/helm/binaries';
import { runReleaseLocally } from '../lib/local/run-locally';
import type { LocalRunResult } from '../lib/local/runner';
import { startSimCluster, type SimCluster } from '../lib/sim';

export const TOOLS = ['helm', 'sequential', 'weight-groups'] as const;
/** `helm` is the real helm CLI; the others are helm-sfn in that hook mode. */
export type Tool = (typeof TOOLS)[number];

export const RELEASE = 'bench';
export const NAMESPACE = 'default';

/** What the state machine did, summed over install and uninstall. */
export interface WorkflowCost {
  readonly transitions: number;
  readonly taskCalls: number;
  /** The largest state input, output or task result of either execution. */
  readonly maxPayloadBytes: number;
  /** Real seconds spent in Wait states (the poll backoff, scaled by waitScale). */
  readonly waitSeconds: number;
  /** Real seconds spent in task calls (lib/engine functions, in-process). */
  readonly taskSeconds: number;
}

export interface LifecycleSample {
  readonly seconds: number;
  /** API requests clients sent to the sim, by verb (the sim's own controllers excluded). */
  readonly requests: Record<string, number>;
  readonly workflow?: WorkflowCost;
}

export interface LifecycleOptions {
  /** The sim's time scale; helm-sfn's poll waits use the same scale. */
  readonly timeScale: number;
}

export async function measureLifecycle(tool: Tool, chart: string, opts: LifecycleOptions): Promise<LifecycleSample> {
  const sim = await startSimCluster({ timeScale: opts.timeScale });
  try {
    const started = performance.now();
    const workflow = tool === 'helm' ? await helmLifecycle(sim, chart) : await helmSfnLifecycle(sim, chart, tool, opts.timeScale);
    const seconds = (performance.now() - started) / 1000;
    return { seconds, requests: clientRequests(sim), workflow };
  } finally {
    await sim.stop();
  }
}

async function helmLifecycle(sim: SimCluster, chart: string): Promise<undefined> {
  const home = mkdtempSync(path.join(tmpdir(), 'helm-home-'));
  const helm = (...args: string[]) => promisify(execFile)(binaries().helm, args, { env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: sim.kubeconfigPath } });
  try {
    await helm('install', RELEASE, chart, '-n', NAMESPACE, '--wait');
    await helm('uninstall', RELEASE, '-n', NAMESPACE, '--wait');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  return undefined;
}

async function helmSfnLifecycle(sim: SimCluster, chart: string, hookMode: Exclude<Tool, 'helm'>, waitScale: number): Promise<WorkflowCost> {
  const options = { hookMode, wait: true };
  const install = await runLocally({ action: 'install', release: RELEASE, namespace: NAMESPACE, chart: { source: chart }, options }, sim, waitScale);
  const uninstall = await runLocally({ action: 'uninstall', release: RELEASE, namespace: NAMESPACE, options }, sim, waitScale);
  const runs = [install, uninstall];
  const sum = (of: (run: LocalRunResult) => number) => runs.reduce((total, run) => total + of(run), 0);
  return {
    transitions: sum((run) => run.transitions),
    taskCalls: sum((run) => run.taskCalls.length),
    maxPayloadBytes: Math.max(...runs.map((run) => run.maxPayloadBytes.bytes)),
    waitSeconds: sum(waitingSeconds),
    taskSeconds: sum((run) => run.taskCalls.reduce((ms, call) => ms + call.ms, 0)) / 1000,
  };
}

/** From the events' timestamps; states run one at a time (no Map or Parallel in the graph). */
function waitingSeconds(run: LocalRunResult): number {
  let ms = 0;
  let enteredAt = 0;
  for (const e of run.events) {
    if (e.type === 'StateEntered' && e.state.type === 'Wait') enteredAt = e.timestamp;
    if (e.type === 'StateExited' && e.state.type === 'Wait') ms += e.timestamp - enteredAt;
  }
  return ms / 1000;
}

/** Runs one execution and insists it succeeded: a failed run would measure nothing useful. */
export async function runLocally(input: Record<string, unknown>, sim: SimCluster, waitScale: number): Promise<LocalRunResult> {
  const result = await runReleaseLocally(input, { kubeconfigPath: sim.kubeconfigPath, waitScale });
  if (result.status !== 'SUCCEEDED') {
    throw new Error(`bench: helm-sfn ${String(input.action)} ended ${result.status}: ${result.error?.error ?? ''} ${result.error?.cause ?? ''}`);
  }
  return result;
}

/** Requests with a User-Agent came from a client (helm, client-node); controllers' writes have none. */
function clientRequests(sim: SimCluster): Record<string, number> {
  const byVerb: Record<string, number> = {};
  for (const op of sim.operations) if (op.userAgent) byVerb[op.verb] = (byVerb[op.verb] ?? 0) + 1;
  return byVerb;
}
