/** The `helm-sfn` command as a user runs it: a real process, its output and its exit code. */
import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { parse } from 'yaml';
import { helm3Binaries } from '../../lib/helm/binaries';
import { buildProgram } from '../../lib/cli/program';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { configMap, docs, hook, writeChart } from '../support/charts';

const ROOT = path.resolve(__dirname, '..', '..');
const WORDPRESS = path.join(ROOT, 'examples', 'charts', 'wordpress');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'helm-sfn.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('plan', () => {
  test('prints the wordpress plan as JSON, events and groups in execution order', async () => {
    const run = await cli(['plan', WORDPRESS, '--release', 'my-website', '--namespace', 'web', '--action', 'install', '--output', 'json']);
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout);
    expect(plan).toMatchObject({ action: 'install', release: 'my-website', namespace: 'web', hookMode: 'weight-groups' });
    expect(Object.keys(plan.hooks)).toEqual(['pre-install', 'post-install']);
    expect(plan.hooks['pre-install'].map((g: { weight: number }) => g.weight)).toEqual([-10, -5]);
    expect(plan.hooks['pre-install'][1].hooks[0]).toMatchObject({ kind: 'Job', name: 'my-website-backup', namespace: 'web' });
    expect(plan.resources.map((r: { kind: string }) => r.kind)).toEqual(expect.arrayContaining(['Deployment', 'StatefulSet', 'Service']));
  });

  test('a chart that does not render exits 1 with one line naming the problem', async () => {
    const broken = writeChart({ templates: { 'bad.yaml': 'kind: {{ .Values.nope.deeper }}\n' } });
    const run = await cli(['plan', broken, '--release', 'r', '--namespace', 'n']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^Error: ChartRenderFailed: .*nil pointer/);
  });

  test('a bad flag value exits non-zero naming the flag and the rule', async () => {
    const run = await cli(['plan', WORDPRESS, '--release', 'r', '--namespace', 'n', '--hook-mode', 'parallel']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--hook-mode.*must be one of weight-groups, sequential/);
  });
});

describe('install and uninstall against $KUBECONFIG', () => {
  let sim: SimCluster;
  beforeAll(async () => {
    sim = await startSimCluster({ timeScale: 0.02 });
  });
  afterAll(() => sim.stop());

  test('a failing hook: exit 1, the error name, its cause and the hook log', async () => {
    const chart = writeChart({ templates: { 'h.yaml': hook({ name: 'check', events: 'pre-install', script: 'echo database unreachable; exit 2' }) } });
    const run = await cli(['install', 'broken', chart, '-n', 'default', '--timeout', '1m'], { KUBECONFIG: sim.kubeconfigPath });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Pre-install hooks/);
    expect(run.stderr).toMatch(/Error: HookFailed: pre-install hook Job\/check failed/);
    expect(run.stderr).toMatch(/database unreachable/);
  });

  test('--output json prints the execution output', async () => {
    const chart = writeChart({ templates: { 'h.yaml': docs(hook({ name: 'hello', events: 'post-install', script: 'echo hi' }), configMap('site')) } });
    const run = await cli(['install', 'site', chart, '-n', 'default', '-o', 'json'], { KUBECONFIG: sim.kubeconfigPath });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      release: 'site',
      namespace: 'default',
      revision: 1,
      status: 'deployed',
      hooks: [expect.objectContaining({ name: 'hello', kind: 'Job', event: 'post-install', weight: 0, phase: 'Succeeded' })],
      warnings: [],
    });
    const gone = await cli(['uninstall', 'site', '-n', 'default', '-o', 'json'], { KUBECONFIG: sim.kubeconfigPath });
    expect(JSON.parse(gone.stdout)).toMatchObject({ release: 'site', status: 'uninstalled' });
  });

  test('upgrade, history, status, test --logs, rollback, list, as helm shows them', async () => {
    const env = { KUBECONFIG: sim.kubeconfigPath };
    const chart = writeChart({
      values: 'tag: "1"\n',
      templates: { 'h.yaml': docs(hook({ name: 'probe', kind: 'Pod', events: 'test', script: 'echo probing tag {{ .Values.tag }}' }), configMap('cfg')) },
    });
    expect((await cli(['install', 'life', chart, '-n', 'default'], env)).code).toBe(0);
    const upgraded = await cli(['upgrade', 'life', chart, '-n', 'default', '--set', 'tag=2'], env);
    expect(upgraded.code).toBe(0);
    expect(upgraded.stderr).toMatch(/life \(default\) revision 2: deployed/);

    const history = await cli(['history', 'life', '-n', 'default'], env);
    expect(history.stdout).toMatch(/^REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s+DESCRIPTION\n1\s+\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\s+superseded\s+testchart-0\.1\.0\s+Install complete\n2\s.*deployed\s+testchart-0\.1\.0\s+Upgrade complete\n$/);

    const tested = await cli(['test', 'life', '-n', 'default', '--logs'], env);
    expect(tested.code).toBe(0);
    expect(tested.stderr).toMatch(/Pod\/probe: logs of probe\/main\n\s+\| probing tag 2/);
    const status = JSON.parse((await cli(['status', 'life', '-n', 'default', '-o', 'json'], env)).stdout);
    expect(status).toMatchObject({ name: 'life', revision: 2, status: 'deployed', hooks: [expect.objectContaining({ name: 'probe', phase: 'Succeeded' })] });

    expect((await cli(['rollback', 'life', '1', '-n', 'default'], env)).code).toBe(0);
    const list = await cli(['list', '-A', '-o', 'json'], env);
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ name: 'life', namespace: 'default', revision: '3', status: 'deployed' }));
  });

  test('unlock refuses a release that is not locked, naming its status', async () => {
    const run = await cli(['unlock', 'life', '-n', 'default'], { KUBECONFIG: sim.kubeconfigPath });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: InvalidInput: life is not locked: revision 3 is deployed/);
  });
});

describe("helm's habits", () => {
  const help = (command: string) => buildProgram().commands.find((c) => c.name() === command)!.helpInformation();
  const flags = (command: string) => [...help(command).matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]);

  test('flags only where they mean something; honest defaults; unknown flags first; --version is the root only', async () => {
    // helm 4: test has no --no-hooks (tests are hooks); only install and upgrade upload charts or render
    expect(flags('test')).not.toEqual(expect.arrayContaining(['--no-hooks']));
    for (const command of ['test', 'uninstall', 'rollback']) expect(flags(command)).not.toEqual(expect.arrayContaining(['--chart-bucket', '--helm-binary', '--dry-run', '--create-namespace', '--set']));
    for (const command of ['install', 'upgrade']) expect(flags(command)).toEqual(expect.arrayContaining(['--kube-context', '--kubeconfig', '--create-namespace', '--dry-run', '--helm-binary', '--no-hooks', '--chart-bucket']));
    for (const command of ['uninstall', 'rollback']) expect(flags(command)).toContain('--no-hooks');
    for (const command of ['status', 'history', 'list', 'unlock']) expect(help(command)).toMatch(/-o, --output <format>.*\n.*"table", "json", "yaml"/);
    expect(help('install')).toMatch(/--timeout <duration>[^]*\(default: 5m0s\)/);
    expect(help('install')).toMatch(/-n, --namespace <ns>\s+namespace\s+scope\s+for\s+this\s+request\s+\(default:\s+the\s+kube\s+context's\s+namespace/);

    const cliVersion = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
    expect((await cli(['--version'])).stdout).toBe(`${cliVersion}\n`);
    expect((await cli(['version'])).stdout).toBe(`${cliVersion}\n`);
    // commander must not take a subcommand's --version: install/upgrade's is the chart version, as helm's
    const chartVersion = await cli(['install', 'x', 'y', '--version', '1.2.3']);
    expect(chartVersion.stdout).not.toContain(cliVersion);
    expect(chartVersion.stderr).toMatch(/Error: InvalidInput: chart\.version: only allowed for oci:\/\/ and repository charts/);
    expect(chartVersion.stderr).not.toMatch(/locked/);

    const bogus = await cli(['install', 'x', 'y', '--bogus']);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(/^error: unknown option '--bogus'/);
    expect((await cli(['plan', 'x', '--bogus'])).stderr).toMatch(/^error: unknown option '--bogus'/);
    expect((await cli(['install', 'x', 'y', '--timeout', '30'])).stderr).toMatch(/--timeout.*invalid duration "30"/);

    for (const [env, message] of [
      [{ KUBECONFIG: '/no/such/kubeconfig' }, 'Error: InvalidInput: kubeconfig /no/such/kubeconfig: cannot read it: no such file\n'],
      [{ KUBECONFIG: writeFile('bad-kubeconfig', 'clusters: [\n') }, /^Error: InvalidInput: kubeconfig \S+: cannot read it: .+\n$/],
    ] as const) {
      const run = await cli(['status', 'x'], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
    }
  }, 180_000);
});

function writeFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cli-')), name);
  writeFileSync(file, text);
  return file;
}

describe('any helm, on a kube context', () => {
  let sim: SimCluster;
  beforeAll(async () => {
    sim = await startSimCluster({ timeScale: 0.02 });
  });
  afterAll(() => sim.stop());

  test('HELM_BIN=helm 3.17, -n from the context, --create-namespace, --dry-run stores nothing, then install, upgrade, history -o yaml, uninstall', async () => {
    // a second context whose namespace does not exist yet: every command takes it from there
    const kubeconfig = parse(readFileSync(sim.kubeconfigPath, 'utf8'));
    const context = kubeconfig.contexts[0];
    kubeconfig.contexts.push({ name: 'team', context: { ...context.context, namespace: 'team-a' } });
    const env = { KUBECONFIG: writeFile('kubeconfig', JSON.stringify(kubeconfig)), HELM_BIN: helm3Binaries().helm };
    const chart = writeChart({
      values: 'tag: "1"\n',
      templates: { 'h.yaml': docs(hook({ name: 'hello', events: 'post-install,post-upgrade', script: 'echo tag {{ .Values.tag }}' }), configMap('cfg')) },
    });

    const refused = await cli(['install', 'team', chart, '--kube-context', 'team', '--dry-run'], env);
    expect(refused.stderr).toBe('Error: InvalidInput: namespace team-a does not exist (--create-namespace creates it)\n');
    const dryRun = await cli(['install', 'team', chart, '--kube-context', 'team', '--create-namespace', '--dry-run'], env);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toMatch(/^NAME: team\n.*\nNAMESPACE: team-a\nSTATUS: pending-install\nREVISION: 1\nDESCRIPTION: Dry run complete\nHOOKS:\n---\n# Source: testchart\/templates\/h\.yaml\n[^]*MANIFEST:\n---\n# Source: testchart\/templates\/h\.yaml\n[^]*kind: ConfigMap/);
    expect(dryRun.stderr).toMatch(/namespace team-a would be created/);
    expect((await cli(['list', '-A', '-o', 'json'], env)).stdout).not.toMatch(/"team"/);

    const installed = await cli(['install', 'team', chart, '--kube-context', 'team', '--create-namespace', '-o', 'yaml'], env);
    expect(installed.stderr).toBe('');
    expect(parse(installed.stdout)).toMatchObject({ release: 'team', namespace: 'team-a', revision: 1, status: 'deployed', hooks: [{ name: 'hello', phase: 'Succeeded' }] });
    expect(JSON.parse((await cli(['list', '-A', '-o', 'json'], env)).stdout)).toContainEqual(expect.objectContaining({ name: 'team', namespace: 'team-a', revision: '1' }));
    // the server dry run now reaches the namespace: every object is checked, nothing stored
    const upgradeDryRun = await cli(['upgrade', 'team', chart, '--kube-context', 'team', '--set', 'tag=2', '--dry-run', '-o', 'json'], env);
    expect(JSON.parse(upgradeDryRun.stdout)).toMatchObject({ name: 'team', namespace: 'team-a', version: 2, info: { status: 'pending-upgrade' } });
    expect(upgradeDryRun.stderr).toMatch(/the API server accepted 2 object\(s\); nothing was stored/);
    const upgraded = await cli(['upgrade', 'team', chart, '--kube-context', 'team', '--set', 'tag=2'], env);
    expect(upgraded.stderr).toMatch(/team \(team-a\) revision 2: deployed/);

    const history = parse((await cli(['history', 'team', '--kube-context', 'team', '-o', 'yaml'], env)).stdout);
    expect(history.map((r: { revision: number; status: string }) => [r.revision, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    // helm 3 has no --server-side: the records say client-side apply, as helm 3 itself applies
    const { stdout } = await promisify(execFile)(helm3Binaries().helm, ['get', 'metadata', 'team', '-n', 'team-a', '-o', 'json'], { env: { ...process.env, KUBECONFIG: env.KUBECONFIG } });
    expect(JSON.parse(stdout)).toMatchObject({ name: 'team', namespace: 'team-a', revision: 2, status: 'deployed' });
    expect((await cli(['uninstall', 'team', '--kube-context', 'team'], env)).code).toBe(0);
  }, 300_000); // ten processes, each synthesizing the workflow
});
