import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ErrorName, isHelmSfnError } from '../../lib/core/errors';
import { binaries } from '../../lib/helm/binaries';
import { helmErrorMessage } from '../../lib/helm/process';
import { renderChart } from '../../lib/helm/template';

const FIXTURES = path.join(__dirname, 'fixtures');
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
