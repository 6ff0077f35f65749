import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ErrorName, isHelmSfnError } from '../../lib/core/errors';
import { releaseToJson, type HelmRelease } from '../../lib/core/release';
import { binaries } from '../../lib/helm/binaries';
import { goTime, helmErrorMessage, isIgnored, loadChartForRecord, parseHelmignore, readChartSummary, renderChart } from '../../lib/helm/render';

const FIXTURES = path.join(__dirname, 'fixtures');
const EXAMPLES = path.join(__dirname, '..', '..', 'examples', 'charts');
let tmp: string;

/** Real helm with its own HOME, as a user would run it. */
function helm(...args: string[]): string {
  return execFileSync(binaries().helm, args, { env: { HOME: path.join(tmp, 'home'), PATH: process.env.PATH }, cwd: tmp, encoding: 'utf8' });
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'render-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function renderError(opts: Parameters<typeof renderChart>[0]): Promise<string> {
  try {
    await renderChart(opts);
  } catch (e) {
    if (isHelmSfnError(e, ErrorName.ChartRenderFailed)) return e.message;
    throw e;
  }
  throw new Error('expected ChartRenderFailed');
}

describe('renderChart', () => {
  const probe = path.join(FIXTURES, 'probe');

  it('passes release, namespace, values files, --set, CRDs, kube version, upgrade and no-hooks to helm template', async () => {
    const valuesFile = path.join(tmp, 'greeting.yaml');
    fs.writeFileSync(valuesFile, 'greeting: from-file\n');
    const plain = await renderChart({ release: 'r1', namespace: 'ns1', chart: probe });
    expect(plain.manifest).toContain('name: r1-probe');
    expect(plain.manifest).toContain('namespace: "ns1"');
    expect(plain.manifest).toContain('greeting: "hello"');
    expect(plain.manifest).toContain('isUpgrade: "false"');
    expect(plain.manifest).toContain('name: r1-hook');
    expect(plain.manifest).not.toContain('CustomResourceDefinition');
    expect(plain.chart).toEqual({ name: 'probe', version: '0.2.0' });
    expect(plain.warnings).toEqual([]);

    const all = await renderChart({
      release: 'r2',
      namespace: 'ns2',
      chart: probe,
      valuesFiles: [valuesFile],
      set: ['greeting=from-set'],
      includeCrds: true,
      kubeVersion: '1.30.2',
      isUpgrade: true,
      noHooks: true,
    });
    expect(all.manifest.startsWith('---\n# Source: probe/crds/widget.yaml\n')).toBe(true);
    expect(all.manifest).toContain('greeting: "from-set"');
    expect(all.manifest).toContain('kubeVersion: "v1.30.2"');
    expect(all.manifest).toContain('isUpgrade: "true"');
    expect(all.manifest).not.toContain('r2-hook');
    // exactly what the helm CLI prints
    expect(all.manifest).toBe(
      helm('template', 'r2', probe, '-n', 'ns2', '-f', valuesFile, '--set', 'greeting=from-set', '--include-crds', '--kube-version', '1.30.2', '--is-upgrade', '--no-hooks'),
    );
  });

  it('reports a broken chart as ChartRenderFailed with helm’s own message', async () => {
    expect(await renderError({ release: 'r', namespace: 'n', chart: path.join(FIXTURES, 'broken') })).toBe(
      'parse error at (broken/templates/bad.yaml:6): function "nosuchfunc" not defined',
    );
  });

  it('reports a missing chart, a missing values file and a bad --set with helm’s message', async () => {
    expect(await renderError({ release: 'r', namespace: 'n', chart: path.join(tmp, 'nope') })).toBe(`path "${path.join(tmp, 'nope')}" not found`);
    expect(await renderError({ release: 'r', namespace: 'n', chart: probe, valuesFiles: [path.join(tmp, 'none.yaml')] })).toContain('none.yaml: no such file or directory');
    expect(await renderError({ release: 'r', namespace: 'n', chart: probe, set: ['a[x]=1'] })).toMatch(/^failed parsing --set data/);
  });

  it('stops helm after the timeout', async () => {
    expect(await renderError({ release: 'r', namespace: 'n', chart: probe, timeoutMs: 1 })).toBe('helm template timed out after 0.001 s');
  });

  it('reports a helm binary that cannot run', async () => {
    expect(await renderError({ release: 'r', namespace: 'n', chart: probe, helmBinary: path.join(tmp, 'no-helm') })).toBe(`cannot run helm (${path.join(tmp, 'no-helm')}): ENOENT`);
  });

  it('does not let the caller’s Helm configuration leak in', async () => {
    // A user repositories file pointing nowhere would break `helm template` with a repo dependency;
    // here it simply must not be read: HOME and the HELM_* directories are fresh.
    const before = { ...process.env };
    process.env.HELM_NAMESPACE = 'leaked';
    process.env.HELM_KUBEVERSION = '1.20.0';
    try {
      const r = await renderChart({ release: 'r', namespace: 'mine', chart: probe });
      expect(r.manifest).toContain('namespace: "mine"');
      expect(r.manifest).not.toContain('v1.20.0');
    } finally {
      process.env = before;
    }
  });
});

describe('helmErrorMessage', () => {
  it.each([
    ['Error: path "x" not found\n', 'path "x" not found'],
    ['walk.go:75: found symbolic link in path: /a\nError: template: x: boom\n\nUse --debug flag to render out invalid YAML\n', 'template: x: boom'],
    ['Error: first\nError: second\n  detail\n', 'second\n  detail'],
    ['  something without the prefix  \n', 'something without the prefix'],
  ])('%j', (stderr, expected) => {
    expect(helmErrorMessage(stderr)).toBe(expected);
  });

  it('caps very long messages', () => {
    expect(helmErrorMessage(`Error: ${'x'.repeat(10_000)}`)).toHaveLength(4000);
  });
});

describe('loadChartForRecord builds the chart exactly as Helm stores it', () => {
  let quirks: string;

  /** A chart with everything Helm's loader treats specially. */
  beforeAll(() => {
    quirks = path.join(tmp, 'quirks');
    const files: Record<string, string | Buffer> = {
      'Chart.yaml': 'apiVersion: v2\nname: quirks\nversion: 1.2.3\nappVersion: 6.6\nunknownKey: dropped\nannotations: {b: "2", a: "1"}\nmaintainers: [{name: me, email: me@example.com}]\n',
      'Chart.lock': 'dependencies: []\ndigest: sha256:abc\ngenerated: "2024-01-01T00:00:00.5+02:00"\n',
      'values.yaml': 'yes_: yes\non_: on\ny: 1\noctal: 0777\nhex: 0x1F\nunder: 1_000\nday: 2024-01-01\nsexa: 1:20\nbig: 12345678901234567890\nexp: 1e3\nkeys: {"10": a, "9": b}\nbase: &b {x: 1, l: [1]}\nmerged: {<<: *b, y: 2}\nhtml: "<a & b>"\n---\nsecond: doc\nbase: {z: 3}\n',
      'values.schema.json': '{"type": "object"}\n',
      '.helmignore': '# comment\n*.bak\nsecret/\n/top-only.txt\n',
      'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-q\n',
      'templates/_helpers.tpl': '{{- define "q" }}q{{ end }}\n',
      'templates/NOTES.txt': 'notes\n',
      'templates/.hidden.yaml': 'ignored by the default rule\n',
      'docs/readme.txt': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('BOM trimmed\n')]),
      'docs/top-only.txt': 'kept: only the top-level one is ignored\n',
      'top-only.txt': 'ignored\n',
      'old.bak': 'ignored\n',
      'secret/key': 'ignored with its directory\n',
      'charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
      'charts/sub/templates/s.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\n',
      'charts/sub-0.1.0.tgz.prov': 'provenance\n',
    };
    for (const [name, data] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(quirks, name)), { recursive: true });
      fs.writeFileSync(path.join(quirks, name), data);
    }
    helm('package', quirks, '--destination', tmp);
    helm('package', path.join(EXAMPLES, 'wordpress'), '--destination', tmp);
  });

  /** `helm install --dry-run=client -o json` prints the release Helm would store, chart included. */
  function helmsRecord(chart: string): HelmRelease {
    return JSON.parse(helm('install', 'r1', chart, '--dry-run=client', '-o', 'json')) as HelmRelease;
  }

  it.each([
    ['examples/charts/wordpress', () => path.join(EXAMPLES, 'wordpress')],
    ['examples/charts/nginx', () => path.join(EXAMPLES, 'nginx')],
    ['a chart with every loader special case', () => quirks],
    ['that chart packaged (.tgz)', () => path.join(tmp, 'quirks-1.2.3.tgz')],
    ['wordpress packaged (.tgz)', () => path.join(tmp, 'wordpress-1.0.0.tgz')],
  ])('%s', async (_name, chartPath) => {
    const expected = helmsRecord(chartPath());
    const ours = await loadChartForRecord(chartPath());
    // Compared as the JSON Helm would write, so key order and Go escaping count too.
    expect(releaseToJson({ ...expected, chart: ours })).toBe(releaseToJson(expected));
  });

  it('reads the chart summary from a directory and from a .tgz', async () => {
    expect(await readChartSummary(path.join(EXAMPLES, 'wordpress'))).toEqual({ name: 'wordpress', version: '1.0.0', appVersion: '6.6' });
    expect(await readChartSummary(path.join(tmp, 'quirks-1.2.3.tgz'))).toEqual({ name: 'quirks', version: '1.2.3', appVersion: '6.6' });
  });

  it.each([
    ['no Chart.yaml', { 'values.yaml': 'a: 1\n' }, 'Chart.yaml file is missing'],
    ['no version', { 'Chart.yaml': 'apiVersion: v2\nname: x\n' }, 'Chart.yaml: version is required'],
    ['bad YAML', { 'Chart.yaml': 'apiVersion: v2\nname: x\nversion: 1.0.0\n', 'values.yaml': 'a: [\n' }, 'values.yaml: '],
    ['a list as values', { 'Chart.yaml': 'apiVersion: v2\nname: x\nversion: 1.0.0\n', 'values.yaml': '- 1\n' }, 'values.yaml: must be a YAML map'],
    ['a ** rule', { 'Chart.yaml': 'apiVersion: v2\nname: x\nversion: 1.0.0\n', '.helmignore': 'a/**/b\n' }, 'double-star (**) syntax is not supported'],
  ])('refuses a chart with %s', async (name, files, message) => {
    const dir = path.join(tmp, `bad-${name.replace(/\W+/g, '-')}`);
    for (const [file, data] of Object.entries(files)) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, file), data);
    }
    await expect(loadChartForRecord(dir)).rejects.toMatchObject({ name: ErrorName.ChartRenderFailed, message: expect.stringContaining(message) });
  });

  it('follows symbolic links like Helm, but stops at a loop', async () => {
    const dir = path.join(tmp, 'loop');
    fs.mkdirSync(path.join(dir, 'templates'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: loop\nversion: 0.1.0\n');
    fs.symlinkSync(path.join(FIXTURES, 'probe', 'templates', 'probe.yaml'), path.join(dir, 'templates', 'linked.yaml'));
    expect((await loadChartForRecord(dir)).templates?.map((t) => t.name)).toEqual(['templates/linked.yaml']);
    fs.symlinkSync('..', path.join(dir, 'templates', 'up'));
    await expect(loadChartForRecord(dir)).rejects.toThrow(`${dir}: symbolic link loop at templates/up`);
  });

  it('refuses files that are not chart archives', async () => {
    const notGzip = path.join(tmp, 'not-a-chart.tgz');
    fs.writeFileSync(notGzip, 'hello');
    await expect(loadChartForRecord(notGzip)).rejects.toThrow('not a chart directory or a gzipped chart archive (.tgz)');
    const corrupt = path.join(tmp, 'corrupt.tgz');
    fs.writeFileSync(corrupt, Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
    await expect(loadChartForRecord(corrupt)).rejects.toThrow('cannot decompress the chart archive');
  });
});

describe('.helmignore rules (pkg/ignore/rules.go)', () => {
  it.each([
    ['*.bak', 'a/b/c.bak', false, true],
    ['*.bak', 'c.bak.txt', false, false],
    ['docs/*.md', 'docs/a.md', false, true],
    ['docs/*.md', 'x/docs/a.md', false, false],
    ['/top.txt', 'top.txt', false, true],
    ['/top.txt', 'a/top.txt', false, false],
    ['build/', 'build', true, true],
    ['build/', 'build', false, false],
    ['file?.txt', 'file1.txt', false, true],
    ['[ab].txt', 'b.txt', false, true],
    ['[^ab].txt', 'b.txt', false, false],
    // Helm's quirk: a negated rule that does not match ignores the path.
    ['!keep.txt', 'other.txt', false, true],
    ['!keep.txt', 'keep.txt', false, false],
  ])('%s on %s (dir: %s) → ignored: %s', (rule, file, isDir, expected) => {
    expect(isIgnored(parseHelmignore(rule, 'test'), file, isDir)).toBe(expected);
  });
});

it.each([
  [0n, '1970-01-01T00:00:00Z'],
  [1795470152_232689480n, '2026-11-23T21:42:32.23268948Z'],
  [1795470152_000000001n, '2026-11-23T21:42:32.000000001Z'],
])('goTime(%s) formats like Go RFC3339Nano', (ns, expected) => {
  expect(goTime(ns)).toBe(expected);
});
