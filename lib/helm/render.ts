/**
 * Rendering with the real helm binary (`helm template`), and reading a chart into the `chart`
 * JSON Helm stores in a release record.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { parseAllDocuments } from 'yaml';
import { ErrorName, HelmSfnError } from '../core/errors';
import { GO_ZERO_TIME, type ChartFile, type ChartLock, type ChartMetadata, type HelmChart } from '../core/release';
import { binaries } from './binaries';

export interface RenderOptions {
  release: string;
  namespace: string;
  /** A chart directory or a packaged chart (.tgz) on the local disk. */
  chart: string;
  /** Values files, merged in order (`-f`). */
  valuesFiles?: string[];
  /** `--set key=value` items, applied last. */
  set?: string[];
  includeCrds?: boolean;
  kubeVersion?: string;
  noHooks?: boolean;
  isUpgrade?: boolean;
  /** Default 60 s. */
  timeoutMs?: number;
  /** The helm executable; default: the one unpacked by {@link binaries}. */
  helmBinary?: string;
}

export interface ChartSummary {
  name: string;
  version: string;
  appVersion?: string;
}

export interface RenderResult {
  /** `helm template` stdout, unchanged. */
  manifest: string;
  chart: ChartSummary;
  /** What helm printed on stderr while succeeding (deprecation notices and the like). */
  warnings: string[];
}

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Step Functions causes are capped at 32 KiB; a helm error is never worth more. */
const MAX_MESSAGE_CHARS = 4000;

/**
 * `helm template RELEASE CHART --namespace NS [-f f]… [--set k=v]… [--include-crds]
 * [--kube-version V] [--is-upgrade] [--no-hooks]`, without a shell, with a throw-away HOME and
 * Helm directories so the user's repositories, plugins and registry logins never take part.
 */
export async function renderChart(opts: RenderOptions): Promise<RenderResult> {
  const home = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'helm-sfn-render-'));
  try {
    // `--flag=value` and `--` keep values and paths that start with '-' from being read as flags.
    const args = [
      'template',
      `--namespace=${opts.namespace}`,
      ...valueArgs(opts),
      ...(opts.includeCrds ? ['--include-crds'] : []),
      ...(opts.kubeVersion ? [`--kube-version=${opts.kubeVersion}`] : []),
      ...(opts.isUpgrade ? ['--is-upgrade'] : []),
      ...(opts.noHooks ? ['--no-hooks'] : []),
      '--',
      opts.release,
      opts.chart,
    ];
    const [helm, summary] = await Promise.allSettled([
      runHelm(opts.helmBinary ?? binaries().helm, args, helmEnv(home), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      readChartSummary(opts.chart),
    ]);
    // helm's own complaint about a chart is the better message, so it wins.
    if (helm.status === 'rejected') throw helm.reason;
    if (summary.status === 'rejected') throw summary.reason;
    return { manifest: helm.value.stdout, chart: summary.value, warnings: lines(helm.value.stderr) };
  } finally {
    await fs.promises.rm(home, { recursive: true, force: true });
  }
}

/**
 * The values a user supplied (`-f` files then `--set`), merged as Helm stores them in a
 * release's `config`: `helm install --dry-run=client -o json` computes it without a cluster.
 */
export async function userSuppliedValues(opts: Pick<RenderOptions, 'release' | 'namespace' | 'chart' | 'valuesFiles' | 'set' | 'helmBinary' | 'timeoutMs'>): Promise<Record<string, unknown>> {
  const home = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'helm-sfn-values-'));
  try {
    const args = ['install', '--dry-run=client', '--output=json', `--namespace=${opts.namespace}`, ...valueArgs(opts), '--', opts.release, opts.chart];
    const { stdout } = await runHelm(opts.helmBinary ?? binaries().helm, args, helmEnv(home), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return (JSON.parse(stdout) as { config?: Record<string, unknown> }).config ?? {};
  } finally {
    await fs.promises.rm(home, { recursive: true, force: true });
  }
}

const valueArgs = (opts: Pick<RenderOptions, 'valuesFiles' | 'set'>): string[] => [
  ...(opts.valuesFiles ?? []).map((f) => `--values=${f}`),
  ...(opts.set ?? []).map((s) => `--set=${s}`),
];

/** A throw-away HOME and Helm directories, so the user's config never takes part. */
const helmEnv = (home: string): NodeJS.ProcessEnv => ({
  HOME: home,
  HELM_CACHE_HOME: path.join(home, 'cache'),
  HELM_CONFIG_HOME: path.join(home, 'config'),
  HELM_DATA_HOME: path.join(home, 'data'),
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  TMPDIR: os.tmpdir(),
});

function runHelm(helm: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(helm, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      const message =
        e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
          ? `helm template output exceeds ${MAX_OUTPUT_BYTES / 1024 / 1024} MiB`
          : e.killed
            ? `helm template timed out after ${timeoutMs / 1000} s`
            : typeof e.code === 'string'
              ? `cannot run helm (${helm}): ${e.code}`
              : helmErrorMessage(stderr) || `helm template exited with code ${e.code}`;
      // No `cause`: its message holds the command line, and --set values may be secrets.
      reject(new HelmSfnError(ErrorName.ChartRenderFailed, message));
    });
  });
}

/**
 * Helm's message: from its last `Error: ` line on, without that prefix (stderr may hold warnings
 * first), and without the "Use --debug flag" advice nobody can follow through helm-sfn.
 */
export function helmErrorMessage(stderr: string): string {
  const text = stderr.replace(/^Use --debug flag.*$/gm, '').trim();
  const starts = [...text.matchAll(/^Error: /gm)];
  const last = starts[starts.length - 1];
  const message = last ? text.slice(last.index + 'Error: '.length).trim() : text;
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message;
}

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** name, version and appVersion from Chart.yaml (of a directory or inside a .tgz). */
export async function readChartSummary(chartPath: string): Promise<ChartSummary> {
  const files = (await fs.promises.stat(chartPath)).isDirectory()
    ? [await readChartFile(chartPath, 'Chart.yaml')]
    : await readArchive(chartPath);
  const chartYaml = files.find((f) => f?.name === 'Chart.yaml');
  if (!chartYaml) throw renderError(chartPath, 'Chart.yaml file is missing');
  const metadata = parseMetadata(chartYaml.data, chartPath);
  return { name: metadata.name!, version: metadata.version!, ...(metadata.appVersion ? { appVersion: metadata.appVersion } : {}) };
}

async function readChartFile(dir: string, name: string): Promise<LoadedFile | undefined> {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) return undefined;
  return { name, data: trimBom(await fs.promises.readFile(file)), modtime: goTime((await fs.promises.stat(file, { bigint: true })).mtimeNs) };
}

// ---------------------------------------------------------------------------------------------
// The chart as Helm stores it in a release (`pkg/chart/v2/loader`: directory.go, archive.go,
// load.go LoadFiles).

interface LoadedFile {
  /** Path inside the chart, '/'-separated. */
  name: string;
  data: Buffer;
  modtime: string;
}

/** Helm's `MaxDecompressedChartSize`. */
const MAX_CHART_BYTES = 100 * 1024 * 1024;

/**
 * The `chart` of a release record, built as Helm's loader builds it: Chart.yaml → metadata (known
 * fields only), Chart.lock → lock, values.yaml → values, values.schema.json → schema,
 * templates/** → templates, everything else → files, honouring .helmignore in a directory.
 * Limitations: subcharts under charts/ are not serialised (Helm does not either, §7.3); numbers
 * beyond 2^53 in values lose precision; YAML is read with the YAML 1.1 rules of Helm's parser
 * (yes/on → true, 0777 octal) but edge cases of go-yaml may differ.
 */
export async function loadChartForRecord(chartPath: string): Promise<HelmChart> {
  const files = (await fs.promises.stat(chartPath)).isDirectory() ? await readDirectory(chartPath) : await readArchive(chartPath);
  const chart: HelmChart = { metadata: null, lock: null, templates: null, values: null, schema: null, schemamodtime: GO_ZERO_TIME, files: null };
  const chartYaml = files.find((f) => f.name === 'Chart.yaml');
  if (!chartYaml) throw renderError(chartPath, 'Chart.yaml file is missing');
  chart.metadata = parseMetadata(chartYaml.data, chartPath);
  chart.modtime = chartYaml.modtime;
  const add = (list: 'templates' | 'files', f: LoadedFile) => (chart[list] ??= []).push(chartFile(f));

  for (const f of files) {
    switch (f.name) {
      case 'Chart.yaml':
        break;
      case 'Chart.lock':
      case 'requirements.lock': // apiVersion v1 charts
        chart.lock = parseYamlMap(f.data, `${chartPath}: ${f.name}`) as unknown as ChartLock;
        if (f.name === 'requirements.lock' && chart.metadata.apiVersion === 'v1') add('files', f);
        break;
      case 'values.yaml':
        chart.values = parseValues(f.data, `${chartPath}: values.yaml`);
        break;
      case 'values.schema.json':
        chart.schema = f.data.toString('base64');
        chart.schemamodtime = f.modtime;
        break;
      case 'requirements.yaml': {
        const deps = parseYamlMap(f.data, `${chartPath}: requirements.yaml`).dependencies;
        if (Array.isArray(deps)) chart.metadata.dependencies = deps as ChartMetadata['dependencies'];
        if (chart.metadata.apiVersion === 'v1') add('files', f);
        break;
      }
      default:
        if (f.name.startsWith('templates/')) add('templates', f);
        else if (!f.name.startsWith('charts/') || f.name.endsWith('.prov')) add('files', f);
    }
  }
  return chart;
}

const chartFile = (f: LoadedFile): ChartFile => ({ name: f.name, data: f.data.toString('base64'), modtime: f.modtime });

const METADATA_STRINGS = ['name', 'home', 'version', 'description', 'icon', 'apiVersion', 'condition', 'tags', 'appVersion', 'kubeVersion', 'type'] as const;

/** Chart.yaml into Helm's Metadata struct: unknown keys dropped, scalars in string fields stringified (sigs.k8s.io/yaml). */
function parseMetadata(data: Buffer, chartPath: string): ChartMetadata {
  const raw = parseYamlMap(data, `${chartPath}: Chart.yaml`);
  const md: ChartMetadata = {};
  const put = (key: keyof ChartMetadata, value: unknown) => {
    if (value !== undefined && value !== null) (md as Record<string, unknown>)[key] = value;
  };
  for (const key of METADATA_STRINGS) put(key, typeof raw[key] === 'number' || typeof raw[key] === 'boolean' ? String(raw[key]) : raw[key]);
  put('sources', raw.sources);
  put('keywords', raw.keywords);
  put('maintainers', raw.maintainers);
  put('deprecated', raw.deprecated);
  put('annotations', raw.annotations);
  put('dependencies', raw.dependencies);
  // Helm 2 charts had no apiVersion; Helm loads them as v1 (load.go).
  md.apiVersion ??= 'v1';
  for (const required of ['name', 'version'] as const) {
    if (typeof md[required] !== 'string' || md[required] === '') throw renderError(chartPath, `Chart.yaml: ${required} is required`);
  }
  return md;
}

/** values.yaml; several documents are merged, later ones winning (Helm 4's LoadValues). */
function parseValues(data: Buffer, where: string): Record<string, unknown> {
  return yamlDocuments(data, where).reduce<Record<string, unknown>>((acc, doc) => mergeMaps(acc, asMap(doc, where)), {});
}

function parseYamlMap(data: Buffer, where: string): Record<string, unknown> {
  return asMap(yamlDocuments(data, where)[0], where);
}

function asMap(doc: unknown, where: string): Record<string, unknown> {
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new HelmSfnError(ErrorName.ChartRenderFailed, `${where}: must be a YAML map`);
  return doc as Record<string, unknown>;
}

function yamlDocuments(data: Buffer, where: string): unknown[] {
  // go-yaml v2 rules: YAML 1.1 booleans and octals, but timestamps and 1:20 (base 60) stay strings.
  const docs = parseAllDocuments(data.toString('utf8'), {
    version: '1.1',
    customTags: (tags) =>
      tags.filter((t) => typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:timestamp' && (t as { format?: string }).format !== 'TIME')),
    uniqueKeys: false,
  });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (doc.errors.length) throw new HelmSfnError(ErrorName.ChartRenderFailed, `${where}: ${doc.errors[0].message}`);
  }
  return list.map((doc) => doc.toJS({ maxAliasCount: 1000 }));
}

function mergeMaps(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isMap(v) && isMap(prev) ? mergeMaps(prev, v) : v;
  }
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const renderError = (chartPath: string, message: string) => new HelmSfnError(ErrorName.ChartRenderFailed, `${chartPath}: ${message}`);

// --- directory (directory.go: .helmignore, default rule `templates/.?*`, lexical walk, BOM trimmed)

async function readDirectory(root: string): Promise<LoadedFile[]> {
  const ignoreFile = path.join(root, '.helmignore');
  const rules = [...(fs.existsSync(ignoreFile) ? parseHelmignore(await fs.promises.readFile(ignoreFile, 'utf8'), ignoreFile) : []), ...parseHelmignore('templates/.?*', 'defaults')];
  const files: LoadedFile[] = [];
  let total = 0;
  const walk = async (rel: string, ancestors: readonly string[] = []): Promise<void> => {
    // Symbolic links are followed (Helm's sympath.Walk); a link to an ancestor would never end.
    const real = await fs.promises.realpath(path.join(root, rel));
    if (ancestors.includes(real)) throw renderError(root, `symbolic link loop at ${rel}`);
    const names = (await fs.promises.readdir(path.join(root, rel))).sort(compareBytes);
    for (const name of names) {
      const relPath = rel ? `${rel}/${name}` : name;
      const full = path.join(root, relPath);
      const st = await fs.promises.stat(full, { bigint: true }); // follows symlinks, like Helm's sympath.Walk
      if (st.isDirectory()) {
        if (!isIgnored(rules, relPath, true)) await walk(relPath, [...ancestors, real]);
        continue;
      }
      if (isIgnored(rules, relPath, false)) continue;
      if (!st.isFile()) throw renderError(root, `cannot load irregular file ${relPath} as it has file mode type bits set`);
      total += Number(st.size);
      if (total > MAX_CHART_BYTES) throw renderError(root, `chart is larger than ${MAX_CHART_BYTES} bytes`);
      files.push({ name: relPath, data: trimBom(await fs.promises.readFile(full)), modtime: goTime(st.mtimeNs) });
    }
  };
  await walk('');
  return files;
}

interface IgnoreRule {
  negate: boolean;
  mustDir: boolean;
  match: (relPath: string) => boolean;
}

/** `pkg/ignore/rules.go` parseRule: glob per line, `!` negates, trailing `/` = directories only, no `**`. */
export function parseHelmignore(text: string, where: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const line of text.split(/\r?\n/)) {
    let rule = line.trim();
    if (rule === '' || rule.startsWith('#')) continue;
    if (rule.includes('**')) throw renderError(where, `double-star (**) syntax is not supported: ${rule}`);
    const negate = rule.startsWith('!');
    if (negate) rule = rule.slice(1);
    const mustDir = rule.endsWith('/');
    if (mustDir) rule = rule.slice(0, -1);
    const wholePath = rule.includes('/');
    const re = globToRegExp(rule.startsWith('/') ? rule.slice(1) : rule);
    rules.push({ negate, mustDir, match: (p) => re.test(wholePath ? p : path.posix.basename(p)) });
  }
  return rules;
}

/** `Rules.Ignore`, quirks included: a negated rule that does NOT match ignores the path. */
export function isIgnored(rules: readonly IgnoreRule[], relPath: string, isDir: boolean): boolean {
  for (const r of rules) {
    if (r.negate) {
      if ((r.mustDir && !isDir) || !r.match(relPath)) return true;
      continue;
    }
    if (r.mustDir && !isDir) continue;
    if (r.match(relPath)) return true;
  }
  return false;
}

/** Go's `filepath.Match` syntax: `*`, `?` (not across '/'), `[...]` / `[^...]` classes, `\` escapes. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) re += escapeRe(glob[++i]);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new HelmSfnError(ErrorName.ChartRenderFailed, `.helmignore: syntax error in pattern ${glob}`);
      const body = glob.slice(i + 1, end);
      re += body.startsWith('^') ? `[^/${body.slice(1)}]` : `[${body}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

// --- archive (archive.go LoadArchiveFiles: first path element dropped, no .helmignore)

async function readArchive(file: string): Promise<LoadedFile[]> {
  const gz = await fs.promises.readFile(file);
  if (gz[0] !== 0x1f || gz[1] !== 0x8b) throw renderError(file, 'not a chart directory or a gzipped chart archive (.tgz)');
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: MAX_CHART_BYTES });
  } catch (e) {
    throw renderError(file, `cannot decompress the chart archive (${(e as Error).message})`);
  }
  const files: LoadedFile[] = [];
  for (const entry of tarEntries(tar, file)) {
    if (entry.type !== '0') continue; // directories, links, pax and GNU extension headers
    const parts = entry.name.split('/');
    if (parts.length === 1 && parts[0] === 'Chart.yaml') throw renderError(file, 'chart yaml not in base directory');
    const name = path.posix.normalize(parts.slice(1).join('/'));
    if (path.posix.isAbsolute(name) || name === '.' || name.startsWith('..')) throw renderError(file, `chart illegally references a path outside its directory: ${entry.name}`);
    files.push({ name, data: trimBom(entry.data), modtime: goTime(BigInt(entry.mtime) * 1_000_000_000n) });
  }
  return files;
}

interface TarEntry {
  name: string;
  /** '0' regular file (after normalising '\0'), '5' directory, … */
  type: string;
  mtime: number;
  data: Buffer;
}

/** ustar with the pax (`x`) and GNU long-name (`L`) extensions that Go's archive/tar writes. */
function* tarEntries(tar: Buffer, file: string): Generator<TarEntry> {
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) return;
    if (!validChecksum(header)) throw renderError(file, 'corrupt chart archive (bad tar header checksum)');
    const size = octal(header, 124, 12);
    const data = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    const type = header[156] === 0 ? '0' : String.fromCharCode(header[156]);
    if (type === 'L') {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      pax = parsePax(data);
      continue;
    }
    if (type === 'g') continue;
    const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? cString(header, 345, 155) : '';
    const shortName = cString(header, 0, 100);
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${shortName}` : shortName);
    const mtime = pax.mtime ? Math.floor(Number(pax.mtime)) : octal(header, 136, 12);
    longName = undefined;
    pax = {};
    yield { name, type, mtime, data };
  }
}

function validChecksum(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum === octal(header, 148, 8);
}

const octal = (buf: Buffer, offset: number, length: number): number => parseInt(cString(buf, offset, length).trim() || '0', 8);

function cString(buf: Buffer, offset: number, length: number): string {
  const slice = buf.subarray(offset, offset + length);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul < 0 ? slice.length : nul).toString('utf8');
}

/** pax records: "<len> <key>=<value>\n". */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < data.length) {
    const space = data.indexOf(0x20, off);
    const len = parseInt(data.subarray(off, space).toString('latin1'), 10);
    if (space < 0 || !(len > 0)) break;
    const record = data.subarray(space + 1, off + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    off += len;
  }
  return out;
}

// --- small helpers

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const trimBom = (b: Buffer): Buffer => (b.subarray(0, 3).equals(UTF8_BOM) ? b.subarray(3) : b);

const compareBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Go's RFC3339Nano in UTC: fraction without trailing zeros, none when zero. */
export function goTime(epochNanos: bigint): string {
  const seconds = epochNanos / 1_000_000_000n;
  const nanos = Number(epochNanos % 1_000_000_000n);
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const fraction = nanos ? `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}` : '';
  return `${base}${fraction}Z`;
}
