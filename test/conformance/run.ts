/**
 * Runs the corpus and formats the results. Each tool's lifecycle runs in its own worker process
 * (./worker.ts) with its own simulated cluster: sharing one event loop, helm-sfn's engine (it
 * gzips records synchronously, for one) would delay the sim's answers to the real helm for
 * seconds. The comparison runs here.
 */
import { fork, type ChildProcess } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { CATEGORIES, compareLifecycles, isEqual, type StepComparison } from './compare';
import type { CorpusChart } from './corpus';
import { fromWire, STEPS, type LifecycleObservation, type LifecycleOptions, type Tool, type WireObservation } from './lifecycle';

export interface ChartResult {
  readonly chart: CorpusChart;
  /** The reference tool and the compared one. */
  readonly tools: readonly [Tool, Tool];
  /** One per step; empty when the harness itself failed (then `error`). */
  readonly steps: readonly StepComparison[];
  readonly helmMs: number;
  readonly sfnMs: number;
  readonly error?: string;
}

export interface CorpusOptions extends LifecycleOptions {
  /** Charts run at once, each by two worker processes (one per tool). */
  readonly concurrency?: number;
  /** The reference and the tool compared with it; default helm and helm-sfn (helm twice checks the harness). */
  readonly tools?: readonly [Tool, Tool];
  /** Write each tool's raw observations (outcomes, API writes, helm's reads) to `<dir>/<chart>.<n>-<tool>.json`. */
  readonly dumpDir?: string;
  readonly onResult?: (result: ChartResult) => void;
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export async function runCorpus(charts: readonly CorpusChart[], opts: CorpusOptions = {}): Promise<ChartResult[]> {
  const { onResult, concurrency = 2, tools = ['helm', 'helm-sfn'], dumpDir, ...lifecycle } = opts;
  const results: ChartResult[] = new Array(charts.length);
  let next = 0;
  const slot = async () => {
    const workers = [startWorker(), startWorker()] as const;
    try {
      while (next < charts.length) {
        const i = next++;
        results[i] = await runChart(charts[i], lifecycle, tools, workers, dumpDir);
        onResult?.(results[i]);
      }
    } finally {
      for (const w of workers) w.kill();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, charts.length)) }, slot));
  return results;
}

async function runChart(
  chart: CorpusChart,
  opts: LifecycleOptions,
  tools: readonly [Tool, Tool],
  workers: readonly [ChildProcess, ChildProcess],
  dumpDir: string | undefined,
): Promise<ChartResult> {
  try {
    const [helm, sfn] = await Promise.all([inWorker(workers[0], chart, tools[0], opts), inWorker(workers[1], chart, tools[1], opts)]);
    if (dumpDir) [helm, sfn].forEach((o, n) => dump(path.join(dumpDir, `${chart.name}.${n + 1}-${o.tool}.json`), o));
    return { chart, tools, steps: compareLifecycles(chart, helm, sfn), helmMs: helm.ms, sfnMs: sfn.ms };
  } catch (e) {
    return { chart, tools, steps: [], helmMs: 0, sfnMs: 0, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

function dump(file: string, o: LifecycleObservation): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const steps = o.steps.map(({ step, ok, message, writes, cli }) => ({ step, ok, message, writes, cli }));
  writeFileSync(file, JSON.stringify({ tool: o.tool, ms: o.ms, steps }, null, 1));
}

/** A Node process running ./worker.ts through tsx (it imports the ESM-only client-node natively). */
function startWorker(): ChildProcess {
  const child = fork(path.join(__dirname, 'worker.ts'), [], { cwd: PROJECT_ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('error', () => undefined); // a send to a dead worker: inWorker reports it
  return child;
}

function inWorker(child: ChildProcess, chart: CorpusChart, tool: Tool, opts: LifecycleOptions): Promise<LifecycleObservation> {
  return new Promise((resolve, reject) => {
    const ended = (code: number | null, signal: string | null) => new Error(`the ${tool} worker process ended (code ${code}, signal ${signal})`);
    if (!child.connected) return reject(ended(child.exitCode, child.signalCode));
    const onExit = (code: number | null, signal: string | null) => reject(ended(code, signal));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.removeListener('exit', onExit);
      const reply = message as { observation?: WireObservation; error?: string };
      if (reply.error !== undefined) reject(new Error(`${tool}: ${reply.error}`));
      else resolve(fromWire(reply.observation!));
    });
    child.send({ chart, tool, opts });
  });
}

export const allEqual = (results: readonly ChartResult[]): boolean => results.every((r) => !r.error && r.steps.every(isEqual));

/** The chart × step table: `=` equal, else the categories that differ. */
export function table(results: readonly ChartResult[]): string {
  const [reference, compared] = results[0]?.tools ?? ['helm', 'helm-sfn'];
  const header = ['chart', ...STEPS, `${reference} s`, `${compared} s`, 'needs'];
  const rows = results.map((r) => [
    r.chart.name,
    ...STEPS.map((step) => {
      if (r.error) return 'ERROR';
      const c = r.steps.find((s) => s.step === step)!;
      return isEqual(c) ? '=' : `≠ ${Object.keys(c.differences).join(', ')}`;
    }),
    (r.helmMs / 1000).toFixed(1),
    (r.sfnMs / 1000).toFixed(1),
    r.chart.needs.join(' ') || '-',
  ]);
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  const equal = results.flatMap((r) => r.steps).filter(isEqual).length;
  const total = results.length * STEPS.length;
  return `${lines.join('\n')}\n\n${equal} of ${total} chart × step equal`;
}

/** One step's differences, `perCategory` of each category, as indented text (empty when equal). */
export function describeStep(c: StepComparison, perCategory = Infinity): string {
  const out: string[] = [];
  for (const category of CATEGORIES) {
    const list = c.differences[category];
    if (!list) continue;
    out.push(`  ${category}:`);
    for (const d of list.slice(0, perCategory)) {
      out.push(`    ${d.at}`);
      if (d.helm !== undefined || d.sfn !== undefined) {
        out.push(`      helm:     ${indent(d.helm ?? '(absent)')}`, `      helm-sfn: ${indent(d.sfn ?? '(absent)')}`);
      }
    }
    if (list.length > perCategory) out.push(`    … ${list.length - perCategory} more`);
  }
  return out.join('\n');
}

const indent = (text: string) => text.replace(/\n/g, '\n                ');

/** Every unequal step with its first differences per category. */
export function details(results: readonly ChartResult[], perCategory = 3): string {
  const out: string[] = [];
  for (const r of results) {
    if (r.error) out.push(`## ${r.chart.name}: harness error\n${r.error}`);
    for (const c of r.steps) if (!isEqual(c)) out.push(`## ${r.chart.name} × ${c.step}\n${describeStep(c, perCategory)}`);
  }
  return out.join('\n\n');
}
