/**
 * `helm-sfn install/upgrade` with helm's chart-source flags, as a user runs them (a real process,
 * its output and exit code), against a real docker-registry and the simulated cluster.
 */
import { spawn } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { binaries } from '../../lib/helm/binaries';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { packageChart, pushChart, startChartRepository, startRegistry, type ChartRepository, type Registry } from '../support/chart-servers';
import { writeChart } from '../support/charts';

const ROOT = path.resolve(__dirname, '..', '..');
const USER = 'ci';
const PASSWORD = 'cli-password-4242';
let sim: SimCluster;
let registry: Registry;
let repository: ChartRepository;
const digests: Record<string, string> = {};
const archives: Record<string, string> = {};

beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.02 });
  registry = await startRegistry({ [USER]: PASSWORD });
  for (const version of ['0.9.0', '1.0.0']) {
    archives[version] = await packageChart(writeChart({ name: 'svc', version, templates: { 'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: svc\ndata:\n  v: "${version}"\n` } }));
    digests[version] = await pushChart(archives[version], registry.host, 'charts', USER, PASSWORD);
  }
  repository = await startChartRepository(Object.values(archives), { username: USER, password: PASSWORD });
}, 600_000);
afterAll(async () => {
  await repository?.stop();
  await registry?.stop();
  await sim?.stop();
});

function cli(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}, namespace = 'default'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'helm-sfn.js'), ...args, '-n', namespace, '--kubeconfig', sim.kubeconfigPath], { cwd: ROOT, env: { ...process.env, HELM_REGISTRY_CONFIG: '/nonexistent', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

test('install --version with --password-stdin, status and history show the digest, a bad digest exits 1 with ChartNotFound, upgrade --reuse-values keeps the pin', async () => {
  const oci = `oci://${registry.host}/charts/svc`;
  const install = await cli(['install', 'svc', oci, '--version', '<1.0', '--plain-http', '--username', USER, '--password-stdin', '-o', 'json'], `${PASSWORD}\n`);
  expect(install.stderr).toBe('');
  expect(install.code).toBe(0);

  const status = await cli(['status', 'svc']);
  expect(status.stdout).toContain('CHART: svc-0.9.0\n');
  expect(status.stdout).toContain(`CHART SOURCE: ${oci}\nCHART DIGEST: ${digests['0.9.0']}\n`);

  const bad = await cli(['upgrade', 'svc', `${oci}@sha256:${'f'.repeat(64)}`, '--plain-http', '--username', USER, '--password', PASSWORD]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(new RegExp(`Error: ChartNotFound: ${oci.replace(/[.]/g, '\\.')}@sha256:f{64}: .*not found`));
  expect(bad.stderr).not.toContain(PASSWORD);

  const kept = await cli(['upgrade', 'svc', '--reuse-values', '-o', 'json']);
  expect(kept.code).toBe(0);
  const history = JSON.parse((await cli(['history', 'svc', '-o', 'json'])).stdout);
  expect(history.map((r: Record<string, unknown>) => [r.revision, r.status, r.chart, r.chart_digest])).toEqual([
    [1, 'superseded', 'svc-0.9.0', digests['0.9.0']],
    [2, 'deployed', 'svc-0.9.0', digests['0.9.0']],
  ]);

  const remote = await cli(['upgrade', 'svc', oci, '--username', USER, '--password', PASSWORD, '--state-machine', 'arn:aws:states:eu-west-1:111122223333:stateMachine:HelmRelease']);
  expect(remote.code).toBe(1);
  expect(remote.stderr).toMatch(/^Error: InvalidInput: --username\/--password: a deployed orchestrator reads registry credentials from Secrets Manager/);
}, 300_000);

test('repository/chart after a real `helm repo add` with credentials: install and upgrade as helm resolves them, the password from the repositories file', async () => {
  const config = path.join(mkdtempSync(path.join(tmpdir(), 'helm-repos-')), 'repositories.yaml');
  const env = { HELM_REPOSITORY_CONFIG: config };
  await new Promise<void>((resolve, reject) => {
    const add = spawn(binaries().helm, ['repo', 'add', 'team', repository.url, '--username', USER, '--password-stdin', `--repository-config=${config}`], { env: { ...process.env, HOME: path.dirname(config) } });
    add.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`helm repo add exited ${code}`))));
    add.stdin.end(PASSWORD);
  });
  const install = await cli(['install', 'team-svc', 'team/svc', '--version', '0.9.0', '--create-namespace'], '', env, 'team');
  expect(install.stderr).toMatch(/Release deployed/);
  expect(install.code).toBe(0);
  const upgrade = await cli(['upgrade', 'team-svc', 'team/svc'], '', env, 'team');
  expect(upgrade.code).toBe(0);
  const status = await cli(['status', 'team-svc'], '', {}, 'team');
  expect(status.stdout).toContain('CHART: svc-1.0.0\n');
  expect(status.stdout).toContain(`CHART SOURCE: chart "svc" from ${repository.url}\n`);

  const unknown = await cli(['install', 'other', 'stable/svc'], '', env);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toBe(`Error: InvalidInput: stable/svc: no chart directory or archive there, and no repository "stable" in ${config} (helm repo add stable <url>)\n`);
}, 120_000);
