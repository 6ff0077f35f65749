/**
 * Precise, bounded differences between what real helm left and what helm-sfn left: JSON values
 * by path, text by lines (Myers' O(ND) diff), manifests document by document.
 */
import { parseAllDocuments } from 'yaml';

/** One difference: where, and the value on each side (`undefined` = absent there). */
export interface Difference {
  readonly at: string;
  readonly helm?: string;
  readonly sfn?: string;
}

const MAX_VALUE_CHARS = 160;

/** A value as one short line: JSON, cut with its full length noted. */
export function show(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}… (${text.length} chars)` : text;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaf-level differences of two JSON values; arrays compare by index, a missing key is `undefined`. */
export function diffJson(helm: unknown, sfn: unknown, at = ''): Difference[] {
  if (isObject(helm) && isObject(sfn)) {
    const keys = [...new Set([...Object.keys(helm), ...Object.keys(sfn)])].sort();
    return keys.flatMap((k) => diffJson(helm[k], sfn[k], `${at}${/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`}`));
  }
  if (Array.isArray(helm) && Array.isArray(sfn)) {
    const out: Difference[] = [];
    for (let i = 0; i < Math.max(helm.length, sfn.length); i++) out.push(...diffJson(helm[i], sfn[i], `${at}[${i}]`));
    return out;
  }
  if (JSON.stringify(helm) === JSON.stringify(sfn)) return [];
  if (typeof helm === 'string' && typeof sfn === 'string' && (helm.includes('\n') || sfn.includes('\n'))) return diffText(helm, sfn, at, 3);
  return [{ at: at || '(root)', helm: show(helm), sfn: show(sfn) }];
}

type Edit = { op: '=' | '-' | '+'; line: string; a: number; b: number };

/**
 * Myers' shortest edit script over lines; undefined when more than `maxEdits` edits are needed
 * (the caller then reports the first differing line only).
 */
function editScript(a: string[], b: string[], maxEdits: number): Edit[] | undefined {
  const n = a.length;
  const m = b.length;
  const offset = maxEdits + 1;
  const v = new Int32Array(2 * offset + 1);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= maxEdits; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b, offset, d);
    }
  }
  return undefined;
}

function backtrack(trace: Int32Array[], a: string[], b: string[], offset: number, dEnd: number): Edit[] {
  const edits: Edit[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = dEnd; d >= 0; d--) {
    const v = trace[d];
    const k = x - y;
    const prevK = d === 0 ? 0 : k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) edits.push({ op: '=', line: a[--x], a: x, b: --y });
    if (d > 0) {
      if (x === prevX) edits.push({ op: '+', line: b[--y], a: x, b: y });
      else edits.push({ op: '-', line: a[--x], a: x, b: y });
    }
  }
  return edits.reverse();
}

const MAX_LINE_CHARS = 200;
const MAX_HUNK_LINES = 12;
const cut = (line: string) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 1)}…` : line);

/**
 * Line differences as hunks (`@@ helm line N, helm-sfn line M` + `-`/`+` lines, one line of
 * context), at most `maxHunks`. Empty when the texts are equal.
 */
export function diffText(helm: string, sfn: string, at = 'text', maxHunks = 5): Difference[] {
  if (helm === sfn) return [];
  const a = helm.split('\n');
  const b = sfn.split('\n');
  const edits = editScript(a, b, 2000);
  if (!edits) {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return [{ at: `${at} line ${i + 1} (first of many differing lines; ${a.length} vs ${b.length} lines)`, helm: show(a[i]), sfn: show(b[i]) }];
  }
  const hunks: Difference[] = [];
  let i = 0;
  let total = 0;
  while (i < edits.length) {
    if (edits[i].op === '=') {
      i++;
      continue;
    }
    // a hunk: changes separated by at most 2 equal lines; j ends it (exclusive)
    let j = i;
    for (let k = i; k < edits.length; ) {
      if (edits[k].op !== '=') {
        j = ++k;
        continue;
      }
      let run = k;
      while (run < edits.length && edits[run].op === '=') run++;
      if (run === edits.length || run - k > 2) break;
      k = run;
    }
    total++;
    if (hunks.length < maxHunks) {
      const before = i > 0 && edits[i - 1].op === '=' ? [`  ${cut(edits[i - 1].line)}`] : [];
      const body = edits.slice(i, j).map((e) => `${e.op === '=' ? ' ' : e.op} ${cut(e.line)}`);
      const side = (drop: string) => {
        const lines = [...before, ...body.filter((l) => !l.startsWith(drop))];
        return lines.length > MAX_HUNK_LINES ? [...lines.slice(0, MAX_HUNK_LINES), `  … ${lines.length - MAX_HUNK_LINES} more lines`] : lines;
      };
      hunks.push({
        at: `${at} @@ helm line ${edits[i].a + 1}, helm-sfn line ${edits[i].b + 1}`,
        helm: body.some((l) => l.startsWith('-')) ? side('+').join('\n') : undefined,
        sfn: body.some((l) => l.startsWith('+')) ? side('-').join('\n') : undefined,
      });
    }
    i = j;
  }
  if (total > hunks.length) hunks.push({ at: `${at}: ${total - hunks.length} more differing hunks` });
  return hunks;
}

/** One YAML document of a `helm get manifest|hooks` output: its `# Source:` path and parsed body. */
interface ManifestDoc {
  readonly key: string;
  readonly text: string;
  readonly value: unknown;
}

/** Splits helm's `---\n# Source: path\n…` stream into documents keyed by source, kind and name. */
export function manifestDocs(text: string): ManifestDoc[] {
  const chunks = text.split(/^---[ \t]*$/m).filter((c) => c.trim() !== '');
  const seen = new Map<string, number>();
  return chunks.map((chunk) => {
    const source = /^# Source: (.*)$/m.exec(chunk)?.[1] ?? '(no source)';
    let value: unknown;
    try {
      value = parseAllDocuments(chunk)[0]?.toJSON();
    } catch {
      value = undefined;
    }
    const meta = isObject(value) && isObject(value.metadata) ? value.metadata : {};
    const id = isObject(value) ? `${String(value.kind)}/${String(meta.name)}` : '(comments only)';
    const base = `${source} ${id}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { key: n > 1 ? `${base} #${n}` : base, text: chunk.replace(/^\n+|\n+$/g, ''), value };
  });
}

/** Document-level differences: missing or extra documents, then field paths (or lines) of changed ones. */
export function diffManifests(helm: string, sfn: string): Difference[] {
  if (helm === sfn) return [];
  const a = new Map(manifestDocs(helm).map((d) => [d.key, d]));
  const b = new Map(manifestDocs(sfn).map((d) => [d.key, d]));
  const out: Difference[] = [];
  for (const [key, doc] of a) if (!b.has(key)) out.push({ at: `document ${key}`, helm: `present (${doc.text.split('\n').length} lines)` });
  for (const [key, doc] of b) if (!a.has(key)) out.push({ at: `document ${key}`, sfn: `present (${doc.text.split('\n').length} lines)` });
  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y || x.text === y.text) continue;
    const fields = diffJson(x.value, y.value).map((d) => ({ ...d, at: `document ${key} ${d.at}` }));
    out.push(...(fields.length ? fields : diffText(x.text, y.text, `document ${key} (same values, other text)`, 2)));
  }
  if (!out.length) {
    const order = (m: Map<string, ManifestDoc>) => [...m.keys()].join('\n');
    out.push(...diffText(order(a), order(b), 'document order', 3));
  }
  return out;
}
