/**
 * `npm run bench [-- --in-process-repeats N --time-scale X --skip-in-process]`: the CLI as users
 * run it (bench/cli.ts, time scale 1, one run) and the in-process lifecycles (bench/bench.ts);
 * writes bench/results/latest.json and latest.md and prints the markdown.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import { runBench, type BenchConfig, type BenchResults } from './bench';
import { hookChartName, WORDPRESS_CHART, writeHookChart, writeScaleChart, writeShortHookChart, type HookChartSpec, type ScaleChartSpec } from './charts';
import { cliHelpSeconds, measureScenario, type CliScenario, type CliScenarioResult } from './cli';
import { defaultPollSeconds, hookCost } from './poll-model';
import { cliMarkdown, toMarkdown } from './report';
import { positiveInteger } from '../lib/cli/options';

const RESULTS = path.join(__dirname, 'results');
const HOOKS: HookChartSpec = { hooks: 12, weights: 3, hookSeconds: 1, resources: 50 };
/** The parallel chart: 3 weights × 4 Jobs of 4 s, 30 ConfigMaps. */
const PARALLEL: HookChartSpec = { hooks: 12, weights: 3, hookSeconds: 4, resources: 30 };
/** ≥ 5 MiB rendered: 2,000 ConfigMaps of 2.6 KB and 200 hooks. */
const SCALE: ScaleChartSpec = { resources: 2000, bytesEach: 2600, configMapHooks: 180, jobHooks: 20, weights: 10 };
const LONG_HOOK_HOURS = 8;

export interface CliBenchResults {
  readonly environment: { readonly date: string; readonly node: string; readonly cpus: number; readonly cpuModel: string; readonly loadAverage: number[] };
  readonly scenarios: CliScenarioResult[];
  readonly longHook: { readonly hours: number; readonly historyEvents: number; readonly maxDetectionDelaySeconds: number; readonly polls: number; readonly watchSeconds: number; readonly historyEventsWithoutWatch: number };
  /** The most distinct Lambda functions one measured execution invoked (each may cold-start). */
  readonly coldStartsPerExecution: number;
  readonly cliHelpSeconds: number;
  readonly goals: Goal[];
  readonly inProcess?: BenchResults;
}

export interface Goal {
  readonly goal: string;
  readonly limit: number;
  readonly value: number | undefined;
  readonly met: boolean;
}

function positive(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a number > 0, got '${text}'`);
  return n;
}

async function main(): Promise<void> {
  const flags = new Command('bench')
    .option('--in-process-repeats <n>', 'measured in-process lifecycles per chart and tool', positiveInteger, 1)
    .option('--time-scale <x>', "the in-process part's sim time scale and waitScale", positive, 1)
    .option('--skip-in-process', 'measure only the CLI')
    .parse()
    .opts<{ inProcessRepeats: number; timeScale: number; skipInProcess?: boolean }>();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const environment = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) };

  const scenarios: CliScenario[] = [
    { chart: '3 instant hook Jobs + 2-replica Deployment (--wait)', path: writeShortHookChart(), steps: ['install', 'uninstall'], hookModes: ['weight-groups'] },
    { chart: '3 weights × 4 Jobs of 4 s + 30 ConfigMaps', path: writeHookChart(PARALLEL), steps: ['install', 'uninstall'], hookModes: ['weight-groups', 'sequential'] },
    { chart: '2,000 ConfigMaps (5.2 MB) + 200 hooks', path: writeScaleChart(SCALE), steps: ['install', 'upgrade', 'uninstall'], hookModes: ['weight-groups'] },
    { chart: 'examples/charts/wordpress', path: WORDPRESS_CHART, steps: ['install', 'upgrade', 'uninstall'], hookModes: ['weight-groups'] },
  ];
  log('CLI: helm-sfn --help');
  const help = await cliHelpSeconds();
  const results: CliScenarioResult[] = [];
  for (const scenario of scenarios) results.push(...(await measureScenario(scenario, log)));

  const poll = defaultPollSeconds();
  const long = hookCost(LONG_HOOK_HOURS * 3600, poll);
  const longHook = {
    hours: LONG_HOOK_HOURS,
    historyEvents: long.historyEvents,
    maxDetectionDelaySeconds: long.maxDetectionDelaySeconds,
    polls: long.polls,
    watchSeconds: long.watchSeconds,
    historyEventsWithoutWatch: hookCost(LONG_HOOK_HOURS * 3600, { ...poll, watch: 0 }).historyEvents,
  };
  const executions = results.flatMap((r) => r.executions ?? []);
  const coldStarts = Math.max(...executions.map((e) => e.functions));
  // a scenario that failed a step meets no goal
  const row = (chart: string, mode: string) => results.find((r) => r.chart === scenarios[Number(chart)].chart && r.hookMode === mode && !r.error);
  const goal = (text: string, limit: number, value: number | undefined): Goal => ({ goal: text, limit, value, met: value !== undefined && value <= limit });
  const goals = [
    goal('short-hook chart, weight-groups: ratio to helm', 1.1, row('0', 'weight-groups')?.ratioToHelm),
    goal('3 × 4 parallel chart, weight-groups: ratio to helm', 0.4, row('1', 'weight-groups')?.ratioToHelm),
    goal('3 × 4 parallel chart, sequential: ratio to helm', 1.1, row('1', 'sequential')?.ratioToHelm),
    goal('scale chart: ratio to helm', 1.0, row('2', 'weight-groups')?.ratioToHelm),
    goal('scale chart: largest state payload (bytes)', 8192, row('2', 'weight-groups')?.maxPayloadBytes),
    goal('scale chart: history events of one execution', 2500, row('2', 'weight-groups')?.historyEvents),
    goal('8-hour hook: history events of its hook phase', 300, longHook.historyEvents),
    goal('wordpress lifecycle: peak RSS of a helm-sfn command (MB)', 150, peakRss(row('3', 'weight-groups'))),
    goal('cold starts per execution', 2, coldStarts),
    goal('helm-sfn --help (seconds)', 0.3, help),
  ];

  const inProcess = flags.skipInProcess ? undefined : await runBench(inProcessConfig(flags.inProcessRepeats, flags.timeScale), log);
  const cli: CliBenchResults = { environment, scenarios: results, longHook, coldStartsPerExecution: coldStarts, cliHelpSeconds: help, goals, ...(inProcess ? { inProcess } : {}) };
  const markdown = cliMarkdown(cli) + (inProcess ? `\n${toMarkdown(inProcess)}` : '');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'latest.json'), `${JSON.stringify(cli, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'latest.md'), markdown);
  process.stdout.write(markdown);
}

function peakRss(result: CliScenarioResult | undefined): number | undefined {
  return result?.executions?.length ? Math.max(...result.executions.map((e) => e.peakRssMegabytes)) : undefined;
}

function inProcessConfig(repeats: number, timeScale: number): BenchConfig {
  return {
    repeats,
    timeScale,
    charts: [
      { name: 'examples/charts/wordpress', path: WORDPRESS_CHART },
      { name: hookChartName(HOOKS), path: writeHookChart(HOOKS) },
    ],
    // a hook outliving the first watch window (15 s), so the check covers a Wait and a second poll
    verifyHookSeconds: 20,
    modelHookSeconds: [60, 3600, 8 * 3600],
  };
}

// every chart, helm HOME and history file the bench writes goes in one directory, removed at the end
const scratch = mkdtempSync(path.join(os.tmpdir(), 'helm-sfn-bench-run-'));
process.env.TMPDIR = scratch;
main()
  .catch((e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(scratch, { recursive: true, force: true }));
