/** The benchmark's results as a markdown report. */
import type { BenchResults, LifecycleResult } from './bench';
import type { CliBenchResults } from './run';

/** Step Functions' limit of history events per execution. */
export const HISTORY_LIMIT = 25_000;

const TOOL_LABEL: Record<LifecycleResult['tool'], string> = {
  helm: 'helm 4 CLI',
  sequential: 'helm-sfn sequential',
  'weight-groups': 'helm-sfn weight-groups',
};

const table = (head: string[], rows: (string | number)[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const fixed = (n: number, digits = 2) => n.toFixed(digits);

export function duration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The CLI as users run it (bench/cli.ts), the long-hook model and the goals of the run. */
export function cliMarkdown(r: CliBenchResults): string {
  const e = r.environment;
  const sfnRows = r.scenarios.filter((s) => s.executions);
  return `# helm-sfn benchmark

${e.date}, ${e.cpuModel || 'unknown CPU'}, ${e.cpus} CPUs, Node ${e.node}, load average at start ${e.loadAverage.join(' / ')}.
Whole processes as users run them — \`node bin/helm-sfn.js …\` and the real \`helm\` 4 —
one after the other on a fresh simulated cluster each (lib/sim, time scale 1), one run each; only
ratios within this run mean anything.

## 1. The CLI against helm

${table(
  ['chart', 'tool', 'hook mode', 'seconds', 'ratio to helm', 'transitions', 'history events (largest execution)', 'largest payload (bytes)'],
  r.scenarios.map((s) => [s.chart, s.tool, s.hookMode ?? '—', fixed(s.medianSeconds), fixed(s.ratioToHelm), s.transitions ?? '—', s.historyEvents ?? '—', s.maxPayloadBytes ?? '—']),
)}

${r.scenarios
  .filter((s) => s.error)
  .map((s) => `**${s.chart}, helm-sfn ${s.hookMode} failed** (its numbers stop there): ${s.error}\n`)
  .join('\n')}
Per execution (helm-sfn): process seconds, of which the execution itself (ExecutionStarted to its
end; the rest is the CLI's start-up before the first state and its exit), distinct functions invoked,
and the process's peak resident set size.

${table(
  ['chart', 'hook mode', 'step', 'process s', 'execution s', 'transitions', 'history events', 'functions', 'peak RSS MB'],
  sfnRows.flatMap((s) => s.executions!.map((x) => [s.chart, s.hookMode ?? '', x.step, fixed(x.seconds), fixed(x.executionSeconds), x.transitions, x.historyEvents, x.functions, x.peakRssMegabytes])),
)}

## 2. An ${r.longHook.hours}-hour hook (poll model, bench/poll-model.ts)

${r.longHook.polls} polls, ${r.longHook.historyEvents} history events in its hook phase (${r.longHook.historyEventsWithoutWatch} with \`pollSeconds.watch: 0\`),
seen at most ${duration(r.longHook.maxDetectionDelaySeconds)} after it ends; the poll functions watch it ${r.longHook.watchSeconds} s in all.

## 3. Goals

${table(
  ['goal', 'limit', 'measured', 'met'],
  r.goals.map((g) => [g.goal, g.limit, g.value === undefined ? '—' : Number.isInteger(g.value) ? g.value : fixed(g.value), g.met ? 'yes' : '**no**']),
)}

Cold starts per execution: the most distinct Lambda functions one measured execution invoked
(\`LambdaFunctionScheduled\` resources of its history, i.e. of the synthesized state machine).
\`--help\`: the fastest of 3 runs.
`;
}

export function toMarkdown(results: BenchResults): string {
  const { config, environment, lifecycles, pollModel } = results;
  const { check } = pollModel;
  const verbs = [...new Set(lifecycles.flatMap((l) => Object.keys(l.requests)))].sort();
  const total = (requests: Record<string, number>) => Object.values(requests).reduce((a, b) => a + b, 0);
  const helmSfn = lifecycles.filter((l) => l.workflow);

  return `# In-process lifecycles

${environment.date}, Node ${environment.node}, ${environment.cpus} CPUs. Every lifecycle runs on a
fresh simulated cluster (lib/sim) at time scale ${config.timeScale}: \`install --wait\` then
\`uninstall --wait\` by the real helm 4 CLI, and the same install (\`wait: true\`) and uninstall by
helm-sfn's local runner (the synthesized state machine, lib/engine tasks in-process). Each
lifecycle ran ${config.repeats} times after one unmeasured warm-up per tool; only ratios measured in
this one run mean anything.

${config.timeScale === 1 ? 'helm runs as its own process; helm-sfn\'s tasks share one Node event loop with the sim.\n' : waitScaleNote(config.timeScale, pollModel.pollSeconds)}
## 1. Lifecycle wall time (install + uninstall)

${table(
  ['chart', 'tool', 'median s', 'min–max s', 'ratio to helm', 'of which in Wait states s', 'in tasks s'],
  lifecycles.map((l) => [
    l.chart,
    TOOL_LABEL[l.tool],
    fixed(l.seconds.median),
    `${fixed(l.seconds.min)}–${fixed(l.seconds.max)}`,
    fixed(l.ratioToHelm),
    l.workflow ? fixed(l.workflow.waitSeconds) : '—',
    l.workflow ? fixed(l.workflow.taskSeconds) : '—',
  ]),
)}

The ratio depends on the time scale: helm-sfn's Wait time grows as 1/scale towards real
durations, the fixed costs do not. Each poll watches its objects for up to ${pollModel.pollSeconds.watch} s (real
time, not scaled) and returns as soon as they finish, so short hooks cost no Wait at all.

## 2. State-machine cost (helm-sfn, install + uninstall, medians)

${table(
  ['chart', 'hook mode', 'state transitions', 'task calls', 'largest payload (bytes)'],
  helmSfn.map((l) => [l.chart, l.tool, l.workflow!.transitions, l.workflow!.taskCalls, l.workflow!.maxPayloadBytes]),
)}

### Poll backoff for one long hook (defaults: min ${pollModel.pollSeconds.min} s, max ${pollModel.pollSeconds.max} s, watch ${pollModel.pollSeconds.watch} s)

The first poll comes at once; each poll watches ${pollModel.pollSeconds.watch} s; the wait before the next is a quarter
of the time elapsed, within min and max (lib/core/polling.ts); each poll costs a Wait, a Task and a
Choice. History events count 5 per Lambda Task state and 2 per other state. The
whole-install columns add the other states of the check run below (its chart has only that hook).
An 8-hour hook needs \`helm-sfn.io/hook-timeout\` above the 300 s default.

${table(
  ['hook lasting', 'polls', 'last wait s', 'seen late by ≤ s', 'hook-phase transitions', 'hook-phase history events', 'whole-install history events', `share of ${HISTORY_LIMIT.toLocaleString('en-US')}`],
  pollModel.cases.map((c) => [
    duration(c.hookSeconds),
    c.polls,
    c.lastWaitSeconds,
    c.maxDetectionDelaySeconds,
    c.transitions,
    c.historyEvents,
    c.installHistoryEvents,
    `${fixed((100 * c.installHistoryEvents) / HISTORY_LIMIT, 1)} %`,
  ]),
)}

Check against a real local run (one pre-install hook of ${duration(check.hookSeconds)}, same time scale):
the model predicts ${check.predictedPolls} polls, the run made ${check.observedPolls}; its pre-install phase
entered ${check.observedPhaseTransitions} states, the model for ${check.observedPolls} polls gives ${check.modelPhaseTransitions}
(same state sequence: ${check.sameStates ? 'yes' : '**no**'}; same wait seconds ±1: ${check.sameWaits ? 'yes' : '**no**'}); the whole install entered ${check.observedInstallTransitions} states.

## 3. API requests to the sim per lifecycle (medians, clients only)

${table(
  ['chart', 'tool', 'total', ...verbs],
  lifecycles.map((l) => [l.chart, TOOL_LABEL[l.tool], total(l.requests), ...verbs.map((v) => l.requests[v] ?? 0)]),
)}

helm and helm-sfn both watch (one long request per watch); helm-sfn looks with GETs before and
after each watch window; the sim's own controllers are not counted.
`;
}

/** Why the in-process part scales helm-sfn's waits like the sim's durations (time scale ≠ 1). */
function waitScaleNote(timeScale: number, poll: { min: number; max: number }): string {
  return `**Why waitScale = time scale.** The sim runs every simulated duration (hook \`sleep\`, container
start, deletion) ${timeScale}× as long in real time; helm-sfn's Wait states (poll backoff,
a quarter of the elapsed time, ${poll.min} s to ${poll.max} s) are scaled by the same factor, so a
poll lands at the same simulated moment of a hook as it would on a real cluster. Unscaled
waits would make helm-sfn look ${fixed(1 / timeScale, 0)}× slower than it is; zero waits would
hide the polling cost entirely. Fixed real-time costs are not scaled — process start-up, API
latency, helm's ~100 ms wait after each hook deletion, helm-sfn's task calls and chart rendering —
so at this scale they weigh ${fixed(1 / timeScale, 0)}× more against hook durations than on a real
cluster. helm runs as its own process; helm-sfn's tasks share one Node event loop with the sim.
`;
}
