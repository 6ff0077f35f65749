/**
 * `npm run conformance [-- --chart NAME … --concurrency N --details N --json FILE --dump DIR --helm-twice]`: runs the
 * corpus with the real helm and with helm-sfn (sequential hooks), prints the chart × step table
 * and the first differences of every unequal step; exit code 1 on any difference.
 *
 * It lives in test/ (not bench/) because nothing outside test/ may import test/ (docs/architecture.md#dependency-rules).
 */
import { writeFileSync } from 'fs';
import { Command, InvalidArgumentError } from 'commander';
import { CORPUS } from './corpus';
import { DEFAULT_TIME_SCALE } from './lifecycle';
import { allEqual, details, runCorpus, table } from './run';

function count(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be an integer >= 1, got '${text}'`);
  return n;
}

function positive(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a number > 0, got '${text}'`);
  return n;
}

async function main(): Promise<void> {
  const names = CORPUS.map((c) => c.name);
  const flags = new Command('conformance')
    .option('--chart <name...>', `only these charts (${names.join(', ')})`)
    .option('--concurrency <n>', 'charts run at once', count, 2)
    .option('--time-scale <x>', "the simulated clusters' time scale", positive, DEFAULT_TIME_SCALE)
    .option('--details <n>', 'differences shown per category of each unequal step', count, 3)
    .option('--json <file>', 'also write every difference as JSON')
    .option('--dump <dir>', "also write each tool's raw observations (API writes, helm's reads) there")
    .option('--helm-twice', 'compare helm with helm (checks the harness: every step must be equal)')
    .parse()
    .opts<{ chart?: string[]; concurrency: number; timeScale: number; details: number; json?: string; dump?: string; helmTwice?: boolean }>();

  const unknown = (flags.chart ?? []).filter((n) => !names.includes(n));
  if (unknown.length) throw new InvalidArgumentError(`unknown chart(s) ${unknown.join(', ')}; the corpus has ${names.join(', ')}`);
  const charts = flags.chart ? CORPUS.filter((c) => flags.chart!.includes(c.name)) : CORPUS;

  const started = Date.now();
  const results = await runCorpus(charts, {
    concurrency: flags.concurrency,
    timeScale: flags.timeScale,
    dumpDir: flags.dump,
    tools: flags.helmTwice ? ['helm', 'helm'] : ['helm', 'helm-sfn'],
    onResult: (r) => process.stderr.write(`${r.chart.name}: ${r.error ? 'harness error' : 'done'} (${r.tools[0]} ${(r.helmMs / 1000).toFixed(1)} s, ${r.tools[1]} ${(r.sfnMs / 1000).toFixed(1)} s)\n`),
  });
  const detail = details(results, flags.details);
  process.stdout.write(`${table(results)} (${((Date.now() - started) / 1000).toFixed(0)} s)\n${detail ? `\n${detail}\n` : ''}`);
  if (flags.json) writeFileSync(flags.json, JSON.stringify(results.map(({ chart, ...r }) => ({ chart: chart.name, ...r })), null, 2));
  if (!allEqual(results)) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
