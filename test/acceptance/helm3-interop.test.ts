/**
 * Releases Helm 3 installed are taken over as Helm 4 takes them over (client-side apply from a
 * record without `apply_method`, three-way merges), and Helm 3 carries on after us. The oracle
 * is the same sequence with the real helm 4.1.4 in helm-sfn's place, on a fresh cluster.
 */
import { execFile } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { binaries, helm3Binaries } from '../../lib/helm/binaries';
import { runReleaseLocally } from '../../lib/local/run-locally';
import { startSimCluster, type SimCluster } from '../../lib/sim';

const CHART = path.resolve(__dirname, '..', '..', 'examples', 'charts', 'nginx');
const NS = 'default';

type Tool = 'helm3' | 'helm4' | 'helm-sfn';
interface Step {
  readonly action: 'install' | 'upgrade' | 'rollback' | 'uninstall';
  readonly set?: string[];
  readonly revision?: number;
  readonly extra?: string[];
}

async function helmCli(binary: string, sim: SimCluster, args: string[]): Promise<string> {
  const home = mkdtempSync(path.join(tmpdir(), 'helm-home-'));
  const { stdout } = await promisify(execFile)(binary, [...args, '-n', NS], { env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: sim.kubeconfigPath } });
  return stdout;
}

/** One step by one tool; each must succeed. */
async function run(tool: Tool, sim: SimCluster, step: Step): Promise<void> {
  if (tool === 'helm-sfn') {
    const input = {
      action: step.action,
      release: 'web',
      namespace: NS,
      ...(step.action === 'install' || step.action === 'upgrade' ? { chart: { source: CHART } } : {}),
      ...(step.set ? { set: step.set } : {}),
      ...(step.revision ? { revision: step.revision } : {}),
      options: { hookMode: 'sequential' },
    };
    const result = await runReleaseLocally(input, { kubeconfigPath: sim.kubeconfigPath, waitScale: 0.01 });
    expect(result.error).toBeUndefined();
    return;
  }
  const binary = tool === 'helm3' ? helm3Binaries().helm : binaries().helm;
  const args =
    step.action === 'rollback'
      ? ['rollback', 'web', String(step.revision)]
      : step.action === 'uninstall'
        ? ['uninstall', 'web']
        : [step.action, 'web', CHART, ...(step.set ?? []).flatMap((s) => ['--set', s])];
  await helmCli(binary, sim, [...args, ...(step.extra ?? [])]);
}

/** The live Deployment without what the server assigns or counts. */
function deployment(sim: SimCluster): unknown {
  const live = sim.get('apps/v1', 'Deployment', NS, 'web-nginx') as { metadata: Record<string, unknown>; spec: unknown } | undefined;
  if (!live) return undefined;
  const { labels, annotations } = live.metadata;
  return { labels, annotations, spec: live.spec };
}

const SEQUENCE: Step[] = [
  { action: 'install' },
  // a new image, an env var removed and one added, another replica count
  { action: 'upgrade', set: ['image.tag=1.28', 'env.LOG_LEVEL=null', 'env.ADDED=yes', 'replicaCount=2'] },
  { action: 'upgrade', set: ['replicaCount=3'] },
  { action: 'rollback', revision: 1 },
];

/** Runs the sequence with the given tool per step, returning the Deployment after each step and the history. */
async function lifecycle(tools: Tool[]): Promise<{ deployments: unknown[]; history: string[]; helm3History: string[] }> {
  const sim = await startSimCluster({ timeScale: 0.05 });
  try {
    const deployments: unknown[] = [];
    for (const [i, step] of SEQUENCE.entries()) {
      await run(tools[i], sim, step);
      deployments.push(deployment(sim));
    }
    const rows = (binary: string) => helmCli(binary, sim, ['history', 'web', '-o', 'json']).then((out) => (JSON.parse(out) as { revision: number; status: string }[]).map((r) => `${r.revision} ${r.status}`));
    const [history, helm3History] = await Promise.all([rows(binaries().helm), rows(helm3Binaries().helm)]);
    await run(tools[SEQUENCE.length], sim, { action: 'uninstall' });
    deployments.push(deployment(sim));
    return { deployments, history, helm3History };
  } finally {
    await sim.stop();
  }
}

test.each<[string, Tool[], Tool[]]>([
  ['helm 3 installs; helm-sfn upgrades and rolls back between helm 3 steps', ['helm3', 'helm-sfn', 'helm3', 'helm-sfn', 'helm3'], ['helm3', 'helm4', 'helm3', 'helm4', 'helm3']],
  ['helm-sfn installs; helm 3 upgrades and rolls back between helm-sfn steps', ['helm-sfn', 'helm3', 'helm-sfn', 'helm3', 'helm-sfn'], ['helm4', 'helm3', 'helm4', 'helm3', 'helm4']],
])('%s: every step as with helm 4 in its place', async (_, withSfn, withHelm4) => {
  const [ours, oracle] = await Promise.all([lifecycle(withSfn), lifecycle(withHelm4)]);
  expect(ours.deployments).toEqual(oracle.deployments);
  expect(ours.deployments[1]).toMatchObject({ spec: { replicas: 2, template: { spec: { containers: [{ image: 'nginx:1.28', env: [{ name: 'ADDED', value: 'yes' }, { name: 'NGINX_ENTRYPOINT_QUIET_LOGS', value: '1' }] }] } } } });
  expect(ours.deployments.at(-1)).toBeUndefined();
  expect(ours.history).toEqual(['1 superseded', '2 superseded', '3 superseded', '4 deployed']);
  expect(ours.helm3History).toEqual(ours.history);
  expect(oracle.history).toEqual(ours.history);
});

describe('objects in the way of an install', () => {
  let sim: SimCluster;
  beforeAll(async () => {
    sim = await startSimCluster({ timeScale: 0.05 });
  });
  afterAll(() => sim.stop());

  test('are refused with Helm 4’s message and nothing is written, and adopted with takeOwnership (+ forceConflicts for fields kubectl set, as Helm 4 needs)', async () => {
    await helmCli(binaries().kubectl, sim, ['create', 'service', 'clusterip', 'web-nginx', '--tcp=80:80']);
    const helm4 = await helmCli(binaries().helm, sim, ['install', 'web', CHART]).then(
      () => 'installed',
      (e: { stderr: string }) => e.stderr.trim().replace(/^Error: INSTALLATION FAILED: /, ''),
    );
    const before = sim.operations.length;
    const refused = await runReleaseLocally({ action: 'install', release: 'web', namespace: NS, chart: { source: CHART } }, { kubeconfigPath: sim.kubeconfigPath, waitScale: 0.01 });
    expect(refused.error).toEqual({ error: 'ApplyFailed', cause: helm4 });
    expect(sim.operations.slice(before).filter((o) => o.verb !== 'get' && o.verb !== 'list' && o.verb !== 'watch')).toEqual([]);

    const adopted = await runReleaseLocally(
      { action: 'install', release: 'web', namespace: NS, chart: { source: CHART }, options: { takeOwnership: true, forceConflicts: true } },
      { kubeconfigPath: sim.kubeconfigPath, waitScale: 0.01 },
    );
    expect(adopted.error).toBeUndefined();
    expect((sim.get('v1', 'Service', NS, 'web-nginx') as { metadata: { annotations: Record<string, string> } }).metadata.annotations).toMatchObject({ 'meta.helm.sh/release-name': 'web' });
  });
});
