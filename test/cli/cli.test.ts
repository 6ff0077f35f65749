/** The `helm-sfn` command as a user runs it: a real process, its output and its exit code. */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
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
