/**
 * The conformance corpus (issue 9): every vendored third-party chart runs install → upgrade →
 * test → rollback → uninstall with the real helm 4.1.4 and with helm-sfn (sequential hooks), each
 * on a fresh simulated cluster; after every step both must have left the same thing.
 * `npm run conformance` prints the same comparison as a table.
 */
import { CORPUS } from './corpus';
import { STEPS } from './lifecycle';
import { describeStep, runCorpus, type ChartResult } from './run';

let results: ChartResult[] = [];

beforeAll(async () => {
  results = await runCorpus(CORPUS, { concurrency: 2 });
}, 15 * 60_000);

describe.each(CORPUS.map((c) => [c.name]))('%s', (name) => {
  const result = () => results.find((r) => r.chart.name === name)!;

  it('runs through the harness', () => {
    expect(result().error).toBeUndefined();
  });

  it.each(STEPS.map((s) => [s]))('%s: helm-sfn leaves what helm leaves', (step) => {
    const comparison = result().steps.find((s) => s.step === step);
    expect(comparison && describeStep(comparison, 10)).toBe('');
  });
});
