/**
 * Smoke test: the benchmark runs end to end with tiny sizes and reports every part. No timing
 * is asserted, only that the numbers exist and the poll model matches the run's states.
 */
import { runBench, type BenchResults } from '../../bench/bench';
import { writeHookChart } from '../../bench/charts';
import { toMarkdown } from '../../bench/report';

let results: BenchResults;

beforeAll(async () => {
  const chart = writeHookChart({ hooks: 3, weights: 2, hookSeconds: 0.5, resources: 2 });
  results = await runBench({ repeats: 1, timeScale: 0.02, charts: [{ name: 'tiny', path: chart }], verifyHookSeconds: 1, modelHookSeconds: [60, 3600] });
}, 120_000);

test('every tool ran the lifecycle; ratios are relative to helm', () => {
  expect(results.lifecycles.map((l) => l.tool)).toEqual(['helm', 'sequential', 'weight-groups']);
  for (const l of results.lifecycles) {
    expect(l.seconds.samples).toHaveLength(1);
    expect(l.seconds.median).toBeGreaterThan(0);
    expect(l.requests.apply).toBeGreaterThan(0);
  }
  expect(results.lifecycles[0].ratioToHelm).toBe(1);
  expect(results.lifecycles[0].workflow).toBeUndefined();
});

test('helm-sfn reports its state-machine cost; sequential mode enters more states than weight groups', () => {
  const [, sequential, groups] = results.lifecycles;
  expect(groups.workflow!.transitions).toBeGreaterThan(0);
  // watched polls: hooks this short end inside the first poll's window, so groups may never wait
  expect(groups.workflow!.waitSeconds).toBeGreaterThanOrEqual(0);
  expect(groups.workflow!.taskSeconds).toBeGreaterThan(0);
  expect(sequential.workflow!.transitions).toBeGreaterThan(groups.workflow!.transitions);
  expect(groups.workflow!.maxPayloadBytes).toBeLessThan(8 * 1024);
});

test('the poll model describes the real run exactly', () => {
  const { check, cases } = results.pollModel;
  expect(check.sameStates).toBe(true);
  expect(check.sameWaits).toBe(true);
  expect(check.observedPhaseTransitions).toBe(check.modelPhaseTransitions);
  expect(cases.map((c) => c.hookSeconds)).toEqual([60, 3600]);
  expect(cases[0].installTransitions).toBe(check.observedInstallTransitions - check.observedPhaseTransitions + cases[0].transitions);
});

test('the markdown report has the three parts and the model table', () => {
  const md = toMarkdown(results);
  for (const heading of ['## 1. Lifecycle wall time', '## 2. State-machine cost', '### Poll backoff', '## 3. API requests']) expect(md).toContain(heading);
  expect(md).toMatch(/\| tiny \| helm-sfn weight-groups \| [\d.]+ \| [\d.]+–[\d.]+ \| [\d.]+ \|/);
  expect(md).toMatch(/\| 1 h \| 19 \| 802 \| 802 \|/);
});
