/**
 * The CLI bench's reading of an execution history (GetExecutionHistory's shape, as
 * `--history-file` writes it) and its report; the whole-process runs themselves are `npm run bench`.
 */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { historyCost } from '../../bench/cli';
import { cliMarkdown } from '../../bench/report';
import type { CliBenchResults } from '../../bench/run';
import { executionHistory } from '../../lib/local/history';
import { localFunctionArn } from '../../lib/local/run-locally';
import { configMap, docs, hook, writeChart } from '../support/charts';
import { useSim } from '../acceptance/support';

const h = useSim();

test('transitions, events, the largest payload and the functions invoked, from a real local execution', async () => {
  const n = await h.namespace();
  const chart = writeChart({ templates: { 'all.yaml': docs(configMap('app'), hook({ name: 'migrate', events: 'pre-install' })) } });
  const run = await h.run({ action: 'install', release: 'app', namespace: n, chart: { source: chart } });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'history-')), 'install.json');
  writeFileSync(file, JSON.stringify(executionHistory(run, localFunctionArn)));

  const cost = historyCost(file);

  expect(cost.transitions).toBe(run.transitions);
  expect(cost.maxPayloadBytes).toBe(run.maxPayloadBytes.bytes);
  expect(cost.functions).toBe(new Set(run.taskCalls.map((c) => c.functionKey)).size);
  expect(cost.historyEvents).toBeGreaterThan(cost.transitions);
  expect(cost.executionSeconds).toBeGreaterThan(0);
});

test('the report shows every scenario, the long hook and each goal with whether it was met', () => {
  const results: CliBenchResults = {
    environment: { date: '2026-11-27T00:00:00Z', node: 'v20', cpus: 2, cpuModel: 'cpu', loadAverage: [1, 1, 1] },
    scenarios: [
      { chart: 'c', tool: 'helm', medianSeconds: 2, ratioToHelm: 1 },
      { chart: 'c', tool: 'helm-sfn', hookMode: 'weight-groups', medianSeconds: 1, ratioToHelm: 0.5, transitions: 10, historyEvents: 30, maxPayloadBytes: 900, executions: [] },
    ],
    longHook: { hours: 8, historyEvents: 282, maxDetectionDelaySeconds: 3600, polls: 29, watchSeconds: 420, historyEventsWithoutWatch: 408 },
    coldStartsPerExecution: 2,
    cliHelpSeconds: 0.2,
    goals: [{ goal: 'cold starts per execution', limit: 2, value: 2, met: true }, { goal: 'helm-sfn --help (seconds)', limit: 0.3, value: 0.5, met: false }],
  };
  const md = cliMarkdown(results);
  expect(md).toContain('| c | helm-sfn | weight-groups | 1.00 | 0.50 | 10 | 30 | 900 |');
  expect(md).toContain('29 polls, 282 history events');
  expect(md).toContain('| cold starts per execution | 2 | 2 | yes |');
  expect(md).toContain('| helm-sfn --help (seconds) | 0.3 | 0.50 | **no** |');
});
