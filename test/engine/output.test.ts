/** The execution output stays a small state payload however many hooks a chart has. */
import { MAX_LISTED_HOOKS, type ReleaseOutput } from '../../lib/core/contract';
import { docs, hook, writeChart } from '../support/charts';
import { MAX_STATE_BYTES, useSim } from '../acceptance/support';

const h = useSim();

test('a chart with more hooks than the output lists: the longest-running are listed, the rest counted', async () => {
  const n = await h.namespace();
  const hooks = Array.from({ length: MAX_LISTED_HOOKS + 5 }, (_, i) => hook({ name: `setting-${i}`, kind: 'ConfigMap', events: 'pre-install', weight: String(i % 3) }));
  const chart = writeChart({ name: 'many', templates: { 'hooks.yaml': docs(...hooks) } });

  const result = await h.run({ action: 'install', release: 'many', namespace: n, chart: { source: chart } });

  const output = result.output as unknown as ReleaseOutput;
  expect(output.hooks).toHaveLength(MAX_LISTED_HOOKS);
  expect(output.hooksNotListed).toBe(5);
  expect(Buffer.byteLength(JSON.stringify(output))).toBeLessThanOrEqual(MAX_STATE_BYTES);
});
