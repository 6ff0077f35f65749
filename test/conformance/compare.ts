/**
 * Compares helm's and helm-sfn's observations of one chart, step by step, category by category.
 * Nothing is ignored beyond what lifecycle.ts documents as volatile.
 */
import { parse } from 'yaml';
import type { CorpusChart } from './corpus';
import { diffJson, diffManifests, diffText, manifestDocs, show, type Difference } from './diff';
import { isRecord, objectKey, type ApiWrite, type CliOutput, type LifecycleObservation, type Step, type StepObservation } from './lifecycle';

export const CATEGORIES = [
  'outcome',
  'hook writes',
  'resource writes',
  'record writes',
  'objects',
  'records',
  'get manifest',
  'get notes',
  'get values -a',
  'get hooks',
  'history',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface StepComparison {
  readonly chart: string;
  readonly step: Step;
  /** Categories with differences (none: the step is equal). */
  readonly differences: Partial<Record<Category, Difference[]>>;
}

export const isEqual = (c: StepComparison): boolean => Object.keys(c.differences).length === 0;

export function compareLifecycles(chart: CorpusChart, helm: LifecycleObservation, sfn: LifecycleObservation): StepComparison[] {
  const hooks = hookIdentities([...helm.steps, ...sfn.steps]);
  return helm.steps.map((h, i) => {
    const s = sfn.steps[i];
    const all: Record<Category, Difference[]> = {
      outcome: diffOutcome(h, s),
      'hook writes': diffSequence(writeLines(h.writes, (w) => hooks.has(hookIdentity(w))), writeLines(s.writes, (w) => hooks.has(hookIdentity(w))), 'hook writes'),
      'resource writes': diffSequence(
        concurrentRunsSorted(h.writes.filter((w) => !hooks.has(hookIdentity(w)) && !isRecord(w, chart))),
        concurrentRunsSorted(s.writes.filter((w) => !hooks.has(hookIdentity(w)) && !isRecord(w, chart))),
        'resource writes',
      ),
      'record writes': diffSequence(writeLines(h.writes, (w) => isRecord(w, chart)), writeLines(s.writes, (w) => isRecord(w, chart)), 'record writes'),
      objects: diffMaps(h.objects, s.objects, 'object'),
      records: diffMaps(h.records, s.records, 'record'),
      'get manifest': diffCli(h.cli.manifest, s.cli.manifest, diffManifests),
      'get notes': diffCli(h.cli.notes, s.cli.notes, (a, b) => diffText(a, b, 'notes')),
      'get values -a': diffCli(h.cli.values, s.cli.values, diffValues),
      'get hooks': diffCli(h.cli.hooks, s.cli.hooks, diffManifests),
      history: diffCli(h.cli.history, s.cli.history, (a, b) => diffJson(JSON.parse(a), JSON.parse(b))),
    };
    const differences: Partial<Record<Category, Difference[]>> = {};
    for (const c of CATEGORIES) if (all[c].length) differences[c] = all[c];
    return { chart: chart.name, step: h.step, differences };
  });
}

/**
 * Whether each succeeded (the messages are shown when that differs). When both failed, the
 * messages are not compared here: helm-sfn has its own error names and causes; where Helm stores
 * the message (a failed release's description), `records` and `history` compare it.
 */
function diffOutcome(h: StepObservation, s: StepObservation): Difference[] {
  const state = (o: StepObservation) => (o.ok ? 'succeeded' : `failed: ${o.message}`);
  // whole messages: they are the first thing to read when one side failed
  return h.ok === s.ok ? [] : [{ at: 'result', helm: state(h), sfn: state(s) }];
}

/** Hooks are told apart by group, kind and name (cluster-scoped ones have no namespace in the log). */
const hookIdentity = (o: { group: string; kind: string; name: string }) => `${o.group}/${o.kind}/${o.name}`;

/** Every object any revision of either side declared as a hook, from `helm get hooks`. */
function hookIdentities(steps: StepObservation[]): Set<string> {
  const ids = new Set<string>();
  for (const step of steps) {
    if (!step.cli.hooks.ok) continue;
    for (const doc of manifestDocs(step.cli.hooks.text)) {
      const v = doc.value as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | undefined;
      if (!v?.kind || !v.metadata?.name) continue;
      const group = v.apiVersion?.includes('/') ? v.apiVersion.split('/')[0] : '';
      ids.add(hookIdentity({ group, kind: v.kind, name: v.metadata.name }));
    }
  }
  return ids;
}

/**
 * One write as a line. A delete says only whether the object outlived the call (`→ deleting`:
 * finalizers or foreground propagation) or why it was refused: whether it found the object or a
 * TTL controller had removed it a moment before is a race real clusters have too (Jobs with
 * `ttlSecondsAfterFinished: 0`), and both tools delete before-hook-creation hooks that may not exist.
 */
function writeLine(w: ApiWrite): string {
  const target = `${w.verb} ${objectKey(w)}${w.subresource ? ` (${w.subresource})` : ''}`;
  if (w.verb === 'delete') return w.outcome === 'deleting' || (w.code >= 400 && w.code !== 404) ? `${target} → ${w.code} ${w.outcome}` : target;
  return `${target}${w.fieldManager ? ` [manager ${clientManager(w.fieldManager)}]` : ''} → ${w.code} ${w.outcome}`;
}

/**
 * A write without `fieldManager` is attributed to the client's User-Agent product: `Helm` for
 * helm, `helm-sfn` for us (release records). That names the writer, by design; it is not a
 * difference in what was written. Explicit managers (`helm` on applies) are compared as they are.
 */
const clientManager = (manager: string) => (manager === 'Helm' || manager === 'helm-sfn' ? '<client user agent>' : manager);

const writeLines = (writes: readonly ApiWrite[], keep: (w: ApiWrite) => boolean) => writes.filter(keep).map(writeLine);

/**
 * Helm writes a run of objects of one kind concurrently (pkg/kube `perform`: one goroutine per
 * object, runs one after another), so only the order of runs is defined: sort inside each run.
 */
function concurrentRunsSorted(writes: readonly ApiWrite[]): string[] {
  const out: string[] = [];
  let run: ApiWrite[] = [];
  const flush = () => {
    out.push(...run.map(writeLine).sort());
    run = [];
  };
  for (const w of writes) {
    if (run.length && (run[0].verb !== w.verb || run[0].kind !== w.kind || run[0].group !== w.group)) flush();
    run.push(w);
  }
  flush();
  return out;
}

/** Lines that occur a different number of times on each side (`N× line`), then the ordered hunks. */
function diffSequence(helm: string[], sfn: string[], what: string): Difference[] {
  if (helm.join('\n') === sfn.join('\n')) return [];
  const tally = (lines: string[]) => lines.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const [a, b] = [tally(helm), tally(sfn)];
  const counted = [...new Set([...a.keys(), ...b.keys()])]
    .filter((line) => a.get(line) !== b.get(line))
    .map((line) => ({ at: `${what}: ${line}`, helm: `${a.get(line) ?? 0}×`, sfn: `${b.get(line) ?? 0}×` }));
  const total = { at: `${what}: total`, helm: String(helm.length), sfn: String(sfn.length) };
  return [total, ...counted.slice(0, 8), ...(counted.length > 8 ? [{ at: `${what}: ${counted.length - 8} more lines counted differently` }] : []), ...diffText(helm.join('\n'), sfn.join('\n'), `${what} order`, 4)];
}

function diffMaps(helm: ReadonlyMap<string, unknown>, sfn: ReadonlyMap<string, unknown>, what: string): Difference[] {
  const keys = [...new Set([...helm.keys(), ...sfn.keys()])].sort();
  return keys.flatMap((key) => {
    const a = helm.get(key);
    const b = sfn.get(key);
    if (a === undefined || b === undefined) return [{ at: `${what} ${key}`, helm: a === undefined ? undefined : 'present', sfn: b === undefined ? undefined : 'present' }];
    return diffJson(a, b).map((d) => ({ ...d, at: `${what} ${key} ${d.at}` }));
  });
}

function diffCli(helm: CliOutput, sfn: CliOutput, diff: (a: string, b: string) => Difference[]): Difference[] {
  if (helm.ok && sfn.ok) return diff(helm.text, sfn.text);
  if (helm.ok !== sfn.ok || helm.text !== sfn.text) return [{ at: 'helm exit', helm: show(helm.ok ? 'ok' : helm.text), sfn: show(sfn.ok ? 'ok' : sfn.text) }];
  return [];
}

/** `helm get values -a` prints `COMPUTED VALUES:` and YAML. */
function diffValues(helm: string, sfn: string): Difference[] {
  if (helm === sfn) return [];
  const body = (t: string) => parse(t.replace(/^COMPUTED VALUES:\n/, '')) as unknown;
  const fields = diffJson(body(helm), body(sfn));
  return fields.length ? fields : diffText(helm, sfn, 'values text');
}
