/**
 * `npm run bench [-- --repeats N --time-scale X]`: writes bench/results/latest.json and
 * latest.md and prints the markdown.
 */
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import { runBench, type BenchConfig } from './bench';
import { hookChartName, WORDPRESS_CHART, writeHookChart, type HookChartSpec } from './charts';
import { toMarkdown } from './report';
import { positiveInteger } from '../lib/cli/options';

const RESULTS = path.join(__dirname, 'results');
const HOOKS: HookChartSpec = { hooks: 12, weights: 3, hookSeconds: 1, resources: 50 };

function positive(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a number > 0, got '${text}'`);
  return n;
}

async function main(): Promise<void> {
  const flags = new Command('bench')
    .option('--repeats <n>', 'measured lifecycles per chart and tool', positiveInteger, 3)
    .option('--time-scale <x>', "the sim's time scale and helm-sfn's waitScale", positive, 0.5)
    .parse()
    .opts<{ repeats: number; timeScale: number }>();

  const config: BenchConfig = {
    repeats: flags.repeats,
    timeScale: flags.timeScale,
    charts: [
      { name: 'examples/charts/wordpress', path: WORDPRESS_CHART },
      { name: hookChartName(HOOKS), path: writeHookChart(HOOKS) },
    ],
    // mid-way between the polls at 14 s and 30 s, so scheduling jitter cannot move it across one
    verifyHookSeconds: 20,
    modelHookSeconds: [60, 3600, 8 * 3600],
  };
  const results = await runBench(config, (line) => process.stderr.write(`${line}\n`));
  const markdown = toMarkdown(results);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'latest.md'), markdown);
  process.stdout.write(markdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
