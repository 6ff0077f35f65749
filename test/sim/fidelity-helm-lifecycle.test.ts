/**
 * Fidelity: a whole release lifecycle with the real Helm 4.1.4 against the sim — upgrade
 * --wait (kstatus watcher), history, status, get manifest, rollback --wait, test --logs and
 * uninstall --wait — asserting Helm's output and the sim's operation log.
 */
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { CHART, clientOps, opLine, tools, type Tools } from './support';

let sim: SimCluster;
let t: Tools;
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.05 });
  t = tools(sim);
  const install = await t.helm('install', 'app', CHART, '-n', 'default');
  if (install.code !== 0) throw new Error(install.stderr);
});
afterAll(() => sim.stop());

const helmOps = (from: number) => clientOps(sim.operations, from, 'Helm/');
const releaseStatuses = () =>
  sim
    .list('v1', 'Secret', 'default')
    .filter((s: any) => s.metadata.labels?.owner === 'helm' && s.metadata.labels?.name === 'app')
    .map((s: any) => `${s.metadata.labels.version}:${s.metadata.labels.status}`)
    .sort();

describe('helm release lifecycle', () => {
  it('upgrades with --wait: waits until the Deployment is rolled out, then supersedes the old revision', async () => {
    const from = sim.operations.length;
    const res = await t.helm('upgrade', 'app', CHART, '-n', 'default', '--set', 'replicas=3', '--wait', '--timeout', '60s');
    expect(res.stdout).toContain('Release "app" has been upgraded. Happy Helming!');
    expect(res.stdout).toMatch(/STATUS: deployed\nREVISION: 2/);
    const d = sim.get('apps/v1', 'Deployment', 'default', 'app-web') as any;
    expect(d.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3 });
    const ops = helmOps(from);
    const watched = new Set(ops.filter((o) => o.verb === 'watch').map((o) => o.kind));
    expect([...watched].sort()).toEqual(['ConfigMap', 'Deployment', 'Job', 'Secret', 'Service', 'ServiceAccount']);
    const writes = ops.filter((o) => o.kind === 'Secret' && o.name?.startsWith('sh.helm.release')).map(opLine);
    expect(writes.slice(-2)).toEqual(['update Secret sh.helm.release.v1.app.v1 updated', 'update Secret sh.helm.release.v1.app.v2 updated']);
    expect(releaseStatuses()).toEqual(['1:superseded', '2:deployed']);
  });

  it('lists the history, status and manifest of the release', async () => {
    const history = await t.helm('history', 'app', '-n', 'default', '-o', 'json');
    expect(JSON.parse(history.stdout).map((r: any) => [r.revision, r.status, r.description])).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'deployed', 'Upgrade complete'],
    ]);
    const status = await t.helm('status', 'app', '-n', 'default');
    expect(status.stdout).toMatch(/==> v1\/Deployment\nNAME +READY +UP-TO-DATE +AVAILABLE +AGE\napp-web +3\/3 +3 +3 /);
    expect(status.stdout).toMatch(/==> v1\/Service\nNAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE\napp-web +ClusterIP +10\.96\.\d+\.\d+ +<none> +80\/TCP/);
    const manifest = await t.helm('get', 'manifest', 'app', '-n', 'default');
    expect(manifest.stdout).toContain('# Source: hooks-chart/templates/resources.yaml');
    expect(manifest.stdout).toContain('replicas: 3');
    const list = await t.helm('list', '-A', '-o', 'json');
    expect(JSON.parse(list.stdout).map((r: any) => [r.name, r.namespace, r.revision, r.status])).toEqual([['app', 'default', '2', 'deployed']]);
  });

  it('rolls back with --wait to revision 1', async () => {
    const res = await t.helm('rollback', 'app', '1', '-n', 'default', '--wait', '--timeout', '60s');
    expect(res.stdout).toContain('Rollback was a success! Happy Helming!');
    expect(releaseStatuses()).toEqual(['1:superseded', '2:superseded', '3:deployed']);
    const d = sim.get('apps/v1', 'Deployment', 'default', 'app-web') as any;
    expect(d.spec.replicas).toBe(1);
    expect(d.status).toMatchObject({ replicas: 1, readyReplicas: 1 });
  });

  it('runs the test hook Pod and prints its logs before deleting it', async () => {
    const from = sim.operations.length;
    const res = await t.helm('test', 'app', '-n', 'default', '--logs');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/TEST SUITE: +app-test\n.*\nLast Completed: .*\nPhase: +Succeeded/s);
    expect(res.stdout).toContain('POD LOGS: app-test\ntest says hello\n');
    const lines = helmOps(from)
      .filter((o) => o.kind === 'Pod' && ['apply', 'log', 'delete'].includes(o.verb))
      .map(opLine);
    expect(lines).toEqual(['delete Pod app-test NotFound', 'apply Pod app-test created', 'log Pod app-test ok', 'delete Pod app-test deleting']);
  });

  it('uninstalls with --wait: deletes the resources in uninstall order and purges the history', async () => {
    const from = sim.operations.length;
    const res = await t.helm('uninstall', 'app', '-n', 'default', '--wait');
    expect(res.stdout).toContain('release "app" uninstalled');
    const deletes = helmOps(from)
      .filter((o) => o.verb === 'delete' && !o.name?.startsWith('sh.helm.release'))
      .map((o) => `${o.kind} ${o.name}`);
    expect(deletes).toEqual(['Service app-web', 'Deployment app-web', 'ConfigMap app-cfg', 'Secret app-sec', 'ServiceAccount app-sa']);
    expect(releaseStatuses()).toEqual([]);
    expect(sim.list('apps/v1', 'ReplicaSet', 'default')).toEqual([]);
    const left = await t.kubectl('get', 'jobs', '-o', 'name');
    expect(left.stdout).toBe('job.batch/app-post\n'); // hooks outlive the release (docs/semantics.md#hooks-outlive-the-release)
    expect(sim.controllerErrors).toEqual([]);
  });
});
