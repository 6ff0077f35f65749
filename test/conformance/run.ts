/** Runs the corpus (charts in parallel, both tools of a chart at once) and formats the results. */
import { synthesizeWorkflow } from '../../lib/local/release';
import { CATEGORIES, compareLifecycles, isEqual, type StepComparison } from './compare';
import type { CorpusChart } from './corpus';
import { runLifecycle, STEPS, type LifecycleOptions } from './lifecycle';

export interface ChartResult {
  readonly chart: CorpusChart;
  /** One per step; empty when the harness itself failed (then `error`). */
  readonly steps: readonly StepComparison[];
  readonly helmMs: number;
  readonly sfnMs: number;
  readonly error?: string;
}

export interface CorpusOptions extends LifecycleOptions {
  /** Charts run at once (each runs helm and helm-sfn on two simulated clusters). */
  readonly concurrency?: number;
  readonly onResult?: (result: ChartResult) => void;
}

export async function runCorpus(charts: readonly CorpusChart[], opts: CorpusOptions = {}): Promise<ChartResult[]> {
  // synthesizing the workflow blocks the event loop for seconds: do it before any sim answers
  synthesizeWorkflow();
  const results: ChartResult[] = new Array(charts.length);
  let next = 0;
  const worker = async () => {
    while (next < charts.length) {
      const i = next++;
      results[i] = await runChart(charts[i], opts);
      opts.onResult?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 2, charts.length)) }, worker));
  return results;
}

async function runChart(chart: CorpusChart, opts: LifecycleOptions): Promise<ChartResult> {
  try {
    const [helm, sfn] = await Promise.all([runLifecycle(chart, 'helm', opts), runLifecycle(chart, 'helm-sfn', opts)]);
    return { chart, steps: compareLifecycles(chart, helm, sfn), helmMs: helm.ms, sfnMs: sfn.ms };
  } catch (e) {
    return { chart, steps: [], helmMs: 0, sfnMs: 0, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

export const allEqual = (results: readonly ChartResult[]): boolean => results.every((r) => !r.error && r.steps.every(isEqual));

/** The chart × step table: `=` equal, else the categories that differ. */
export function table(results: readonly ChartResult[]): string {
  const header = ['chart', ...STEPS, 'helm s', 'helm-sfn s', 'needs'];
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
