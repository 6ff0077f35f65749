/**
 * The benchmark: helm-sfn against the real helm on the same simulated cluster, in one run, so
 * only ratios matter (README.md#benchmarks). Measures lifecycle wall time, the state machine's cost,
 * and API requests; models the poll backoff for long hooks and checks the model against a run.
 */
import * as os from 'os';
import { startSimCluster } from '../lib/sim';
import { writeHookChart } from './charts';
import { measureLifecycle, NAMESPACE, RELEASE, runLocally, TOOLS, type LifecycleSample, type Tool, type WorkflowCost } from './lifecycle';
import { defaultPollSeconds, HISTORY_EVENTS, historyEvents, hookCost, hookPhaseStates, pollWaits, type HookCost, type PollSeconds, type StateType } from './poll-model';

export interface ChartCase {
  readonly name: string;
  readonly path: string;
}

export interface BenchConfig {
  readonly repeats: number;
  /** The sim's time scale, also helm-sfn's waitScale. */
  readonly timeScale: number;
  readonly charts: readonly ChartCase[];
  /** Simulated seconds of the one hook whose real run checks the poll model. */
  readonly verifyHookSeconds: number;
  /** Hook durations the poll model is evaluated for. */
  readonly modelHookSeconds: readonly number[];
}

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface LifecycleResult {
  readonly chart: string;
  readonly tool: Tool;
  readonly seconds: Stats & { readonly samples: number[] };
  /** Median seconds divided by helm's median seconds on the same chart. */
  readonly ratioToHelm: number;
  /** Median per verb. */
  readonly requests: Record<string, number>;
  /** Median per field; helm-sfn only. */
  readonly workflow?: WorkflowCost;
}

export interface PollModelCase extends HookCost {
  /** The whole install of the verification chart with this hook: its other states as measured, this phase as modelled. */
  readonly installTransitions: number;
  readonly installHistoryEvents: number;
}

export interface PollModelCheck {
  readonly hookSeconds: number;
  readonly predictedPolls: number;
  readonly observedPolls: number;
  /** The run's pre-install phase entered exactly the states the model lists for the observed polls. */
  readonly sameStates: boolean;
  /** The run's Wait states waited exactly the model's seconds. */
  readonly sameWaits: boolean;
  readonly observedPhaseTransitions: number;
  readonly modelPhaseTransitions: number;
  readonly observedInstallTransitions: number;
}

export interface BenchResults {
  readonly environment: { readonly date: string; readonly node: string; readonly cpus: number };
  readonly config: Omit<BenchConfig, 'charts'> & { readonly charts: string[] };
  readonly lifecycles: LifecycleResult[];
  readonly pollModel: { readonly pollSeconds: PollSeconds; readonly cases: PollModelCase[]; readonly check: PollModelCheck };
}

export type Log = (line: string) => void;

export async function runBench(config: BenchConfig, log: Log = () => {}): Promise<BenchResults> {
  if (config.repeats < 1 || config.charts.length === 0) throw new Error('bench: needs repeats >= 1 and at least one chart');
  const opts = { timeScale: config.timeScale };
  log('warm-up (CDK synth, helm binary): one unmeasured lifecycle per tool');
  for (const tool of TOOLS) await measureLifecycle(tool, config.charts[0].path, opts);

  const samples = new Map<string, LifecycleSample[]>();
  // repeats outermost, tools innermost: drift of a noisy machine spreads over all tools alike
  for (let r = 1; r <= config.repeats; r++) {
    for (const chart of config.charts) {
      for (const tool of TOOLS) {
        const sample = await measureLifecycle(tool, chart.path, opts);
        log(`run ${r}/${config.repeats} ${chart.name} ${tool}: ${sample.seconds.toFixed(2)} s`);
        const key = `${chart.name}\n${tool}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
      }
    }
  }
  const lifecycles = config.charts.flatMap((chart) => {
    const of = (tool: Tool) => samples.get(`${chart.name}\n${tool}`)!;
    const helmMedian = median(of('helm').map((s) => s.seconds));
    return TOOLS.map((tool) => summarize(chart.name, tool, of(tool), helmMedian));
  });

  log(`poll model: checking it against a run with one ${config.verifyHookSeconds} s hook`);
  const pollModel = await evaluatePollModel(config);
  return {
    environment: { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length },
    config: { ...config, charts: config.charts.map((c) => c.name) },
    lifecycles,
    pollModel,
  };
}

function summarize(chart: string, tool: Tool, samples: LifecycleSample[], helmMedian: number): LifecycleResult {
  const seconds = samples.map((s) => s.seconds);
  const verbs = [...new Set(samples.flatMap((s) => Object.keys(s.requests)))].sort();
  const workflows = samples.flatMap((s) => (s.workflow ? [s.workflow] : []));
  const cost = (field: keyof WorkflowCost) => median(workflows.map((w) => w[field]));
  return {
    chart,
    tool,
    seconds: { median: median(seconds), min: Math.min(...seconds), max: Math.max(...seconds), samples: seconds },
    ratioToHelm: median(seconds) / helmMedian,
    requests: Object.fromEntries(verbs.map((verb) => [verb, median(samples.map((s) => s.requests[verb] ?? 0))])),
    workflow: workflows.length
      ? {
          transitions: cost('transitions'),
          taskCalls: cost('taskCalls'),
          maxPayloadBytes: cost('maxPayloadBytes'),
          waitSeconds: cost('waitSeconds'),
          taskSeconds: cost('taskSeconds'),
        }
      : undefined,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface EnteredState {
  readonly name: string;
  readonly type: string;
  readonly input: unknown;
}

/**
 * Runs an install whose chart has one pre-install hook, compares its pre-install phase with the
 * model, and evaluates the model for long hooks on top of the run's other states.
 */
async function evaluatePollModel(config: BenchConfig): Promise<BenchResults['pollModel']> {
  const pollSeconds = defaultPollSeconds();
  const chart = writeHookChart({ hooks: 1, weights: 1, hookSeconds: config.verifyHookSeconds, resources: 0 });
  const sim = await startSimCluster({ timeScale: config.timeScale });
  let entered: EnteredState[];
  try {
    const run = await runLocally({ action: 'install', release: RELEASE, namespace: NAMESPACE, chart: { source: chart } }, sim, config.timeScale);
    entered = run.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state] : []));
  } finally {
    await sim.stop();
  }
  // every state of the phase is titled after its event (lib/workflow/definition.ts hookPhase)
  const inPhase = (s: EnteredState) => s.name.startsWith('Pre-install');
  const phase = entered.filter(inPhase);
  const waits = phase.filter((s) => s.type === 'Wait').map((s) => (s.input as { hook?: { nextPollSeconds?: number } }).hook?.nextPollSeconds);
  const modelStates = hookPhaseStates([waits.length]);
  const check: PollModelCheck = {
    hookSeconds: config.verifyHookSeconds,
    predictedPolls: pollWaits(config.verifyHookSeconds, pollSeconds).length,
    observedPolls: waits.length,
    sameStates: JSON.stringify(phase.map((s) => s.type)) === JSON.stringify(modelStates),
    // the model counts no task time; a run's elapsed time adds a little, which may move a wait by a second
    sameWaits: waits.every((seconds, k) => Math.abs((seconds ?? 0) - (pollWaits(config.verifyHookSeconds, pollSeconds)[k] ?? 0)) <= 1),
    observedPhaseTransitions: phase.length,
    modelPhaseTransitions: modelStates.length,
    observedInstallTransitions: entered.length,
  };

  const others = entered.filter((s) => !inPhase(s)).map((s) => asModelled(s.type));
  // ExecutionStarted and ExecutionSucceeded
  const otherEvents = 2 + historyEvents(others);
  const cases = config.modelHookSeconds.map((seconds): PollModelCase => {
    const cost = hookCost(seconds, pollSeconds);
    return { ...cost, installTransitions: others.length + cost.transitions, installHistoryEvents: otherEvents + cost.historyEvents };
  });
  return { pollSeconds, cases, check };
}

function asModelled(type: string): StateType {
  if (Object.hasOwn(HISTORY_EVENTS, type)) return type as StateType;
  throw new Error(`bench: the poll model has no history-event count for a ${type} state`);
}
