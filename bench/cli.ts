/**
 * The CLI as users run it: whole `helm-sfn` processes (`node bin/helm-sfn.js`, start-up, render
 * and the local state machine included) against whole `helm` processes, on the same simulated
 * cluster at time scale 1. The state machine's cost comes from each execution's history
 * (`--history-file`, as GetExecutionHistory returns it).
 */
import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { promisify } from 'util';
import { binaries } from '../lib/helm/binaries';
import { startSimCluster, type SimCluster } from '../lib/sim';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '..', 'bin', 'helm-sfn.js');
const MAX_RSS = path.resolve(__dirname, 'max-rss.cjs');
const RELEASE = 'bench';
const NAMESPACE = 'default';
const MAX_BUFFER = 64 * 1024 * 1024;

export type HookMode = 'weight-groups' | 'sequential';
export type Step = 'install' | 'upgrade' | 'uninstall';

export interface CliScenario {
  readonly chart: string;
  readonly path: string;
  readonly steps: readonly Step[];
  readonly hookModes: readonly HookMode[];
}

/** One execution's cost, from its history. */
export interface ExecutionCost {
  readonly step: Step;
  /** The whole process. */
  readonly seconds: number;
  /** From ExecutionStarted to the execution's end: the rest is the CLI's start-up, rendering excluded. */
  readonly executionSeconds: number;
  readonly transitions: number;
  readonly historyEvents: number;
  readonly maxPayloadBytes: number;
  /** Distinct Lambda functions the execution invoked: each may cold-start once. */
  readonly functions: number;
  /** The process's peak resident set size. */
  readonly peakRssMegabytes: number;
}

export interface CliScenarioResult {
  readonly chart: string;
  readonly tool: 'helm' | 'helm-sfn';
  readonly hookMode?: HookMode;
  /** One run per step (time scale 1, one run), summed over the steps. */
  readonly medianSeconds: number;
  readonly ratioToHelm: number;
  readonly transitions?: number;
  /** The largest of one execution's. */
  readonly historyEvents?: number;
  readonly maxPayloadBytes?: number;
  readonly executions?: ExecutionCost[];
  /** A step that failed: the scenario's numbers stop there. */
  readonly error?: string;
}

export type Log = (line: string) => void;

export async function measureScenario(scenario: CliScenario, log: Log): Promise<CliScenarioResult[]> {
  const helm = await onFreshSim((sim) => helmSteps(sim, scenario));
  log(`${scenario.chart}: helm ${helm.toFixed(2)} s`);
  const results: CliScenarioResult[] = [{ chart: scenario.chart, tool: 'helm', medianSeconds: helm, ratioToHelm: 1 }];
  for (const hookMode of scenario.hookModes) {
    const { executions, error } = await onFreshSim((sim) => helmSfnSteps(sim, scenario, hookMode));
    const seconds = executions.reduce((sum, e) => sum + e.seconds, 0);
    log(`${scenario.chart}: helm-sfn ${hookMode} ${seconds.toFixed(2)} s (${(seconds / helm).toFixed(2)}× helm)${error ? ` FAILED: ${error}` : ''}`);
    results.push({
      ...(error ? { error } : {}),
      chart: scenario.chart,
      tool: 'helm-sfn',
      hookMode,
      medianSeconds: seconds,
      ratioToHelm: seconds / helm,
      transitions: executions.reduce((sum, e) => sum + e.transitions, 0),
      historyEvents: Math.max(0, ...executions.map((e) => e.historyEvents)),
      maxPayloadBytes: Math.max(0, ...executions.map((e) => e.maxPayloadBytes)),
      executions,
    });
  }
  return results;
}

/** Seconds of `helm-sfn --help`, the fastest of `runs` (start-up cost, no cluster). */
export async function cliHelpSeconds(runs = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timed(() => run(process.execPath, [CLI, '--help'], { maxBuffer: MAX_BUFFER })));
  return Math.min(...times);
}

async function onFreshSim<T>(use: (sim: SimCluster) => Promise<T>): Promise<T> {
  const sim = await startSimCluster({ timeScale: 1 });
  try {
    return await use(sim);
  } finally {
    await sim.stop();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

async function helmSteps(sim: SimCluster, scenario: CliScenario): Promise<number> {
  const home = mkdtempSync(path.join(tmpdir(), 'helm-home-'));
  const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: sim.kubeconfigPath };
  const args: Record<Step, string[]> = {
    install: ['install', RELEASE, scenario.path, '-n', NAMESPACE, '--wait'],
    upgrade: ['upgrade', RELEASE, scenario.path, '-n', NAMESPACE, '--wait'],
    uninstall: ['uninstall', RELEASE, '-n', NAMESPACE, '--wait'],
  };
  try {
    let seconds = 0;
    for (const step of scenario.steps) seconds += await timed(() => run(binaries().helm, args[step], { env, maxBuffer: MAX_BUFFER }));
    return seconds;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

async function helmSfnSteps(sim: SimCluster, scenario: CliScenario, hookMode: HookMode): Promise<{ executions: ExecutionCost[]; error?: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'helm-sfn-bench-history-'));
  const common = ['-n', NAMESPACE, '--kubeconfig', sim.kubeconfigPath, '--hook-mode', hookMode];
  const args: Record<Step, string[]> = {
    install: ['install', RELEASE, scenario.path, ...common, '--wait'],
    upgrade: ['upgrade', RELEASE, scenario.path, ...common, '--wait'],
    uninstall: ['uninstall', RELEASE, ...common],
  };
  try {
    const costs: ExecutionCost[] = [];
    for (const step of scenario.steps) {
      const historyFile = path.join(dir, `${step}.json`);
      const rssFile = path.join(dir, `${step}.rss`);
      const env = { ...process.env, KUBECONFIG: sim.kubeconfigPath, HELM_SFN_BENCH_RSS_FILE: rssFile };
      try {
        const seconds = await timed(() => run(process.execPath, ['--require', MAX_RSS, CLI, ...args[step], '--history-file', historyFile], { env, maxBuffer: MAX_BUFFER }));
        const peakRssMegabytes = Math.round(Number(readFileSync(rssFile, 'utf8')) / 1024);
        costs.push({ step, seconds, peakRssMegabytes, ...historyCost(historyFile) });
      } catch (e) {
        // a failed run measures nothing useful, but the other scenarios still do
        const output = (e as { stdout?: string; stderr?: string }).stderr || (e as { stdout?: string }).stdout || String(e);
        return { executions: costs, error: `${step}: ${output.trim().split('\n').slice(-5).join(' | ').slice(0, 600)}` };
      }
    }
    return { executions: costs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface HistoryEvent {
  readonly type: string;
  readonly [details: string]: unknown;
}

/** Transitions, events, the largest payload and the functions invoked, from a GetExecutionHistory document. */
export function historyCost(file: string): Omit<ExecutionCost, 'step' | 'seconds' | 'peakRssMegabytes'> {
  const { events } = JSON.parse(readFileSync(file, 'utf8')) as { events: HistoryEvent[] };
  let maxPayloadBytes = 0;
  const functions = new Set<string>();
  for (const e of events) {
    for (const [key, details] of Object.entries(e)) {
      if (!key.endsWith('EventDetails') || typeof details !== 'object' || details === null) continue;
      const d = details as { input?: string; output?: string; resource?: string };
      for (const payload of [d.input, d.output]) if (typeof payload === 'string') maxPayloadBytes = Math.max(maxPayloadBytes, Buffer.byteLength(payload));
      if (e.type === 'LambdaFunctionScheduled' && d.resource) functions.add(d.resource);
    }
  }
  const at = (e: HistoryEvent | undefined) => Date.parse(String(e?.timestamp));
  return {
    executionSeconds: (at(events[events.length - 1]) - at(events[0])) / 1000,
    transitions: events.filter((e) => e.type.endsWith('StateEntered')).length,
    historyEvents: events.length,
    maxPayloadBytes,
    functions: functions.size,
  };
}
