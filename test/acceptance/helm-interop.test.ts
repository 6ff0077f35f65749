/**
 * helm-sfn and the helm CLI share releases both ways, and in sequential mode helm-sfn's hook
 * writes for upgrade, rollback and test equal helm's, on examples/charts/wordpress.
 */
import { execFile } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { binaries } from '../../lib/helm/binaries';
import { runReleaseLocally } from '../../lib/local/run-locally';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { MAX_STATE_BYTES, writes } from './support';

const CHART = path.resolve(__dirname, '..', '..', 'examples', 'charts', 'wordpress');
const NS = 'default';
const KINDS = ['Job', 'Pod', 'ConfigMap', 'ServiceAccount', 'Service', 'Deployment', 'StatefulSet', 'PersistentVolumeClaim'];
const API: Record<string, string> = { Job: 'batch/v1', Deployment: 'apps/v1', StatefulSet: 'apps/v1' };

async function helm(sim: SimCluster, ...args: string[]): Promise<string> {
  const home = mkdtempSync(path.join(tmpdir(), 'helm-home-'));
  const { stdout } = await promisify(execFile)(binaries().helm, [...args, '-n', NS], { env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: sim.kubeconfigPath } });
  return stdout;
}

async function sfn(sim: SimCluster, input: Record<string, unknown>): Promise<void> {
  const result = await runReleaseLocally({ release: 'site', namespace: NS, ...input }, { kubeconfigPath: sim.kubeconfigPath, waitScale: 0.01 });
  expect(result.error).toBeUndefined();
  expect(result.maxPayloadBytes.bytes).toBeLessThanOrEqual(MAX_STATE_BYTES);
}

/** `helm history` rows as "revision status description". */
async function historyOf(sim: SimCluster): Promise<string[]> {
  const rows = JSON.parse(await helm(sim, 'history', 'site', '-o', 'json')) as { revision: number; status: string; description: string }[];
  return rows.map((r) => `${r.revision} ${r.status} ${r.description}`);
}

/** What a release leaves in the namespace, without what the server assigns. */
function objects(sim: SimCluster): string[] {
  return KINDS.flatMap((kind) =>
    (sim.list(API[kind] ?? 'v1', kind, NS) as { metadata: Record<string, any>; spec?: unknown; data?: unknown }[])
      .filter((o) => !['default', 'kube-root-ca.crt', 'kubernetes'].includes(o.metadata.name) && !o.metadata.ownerReferences)
      .map((o) => canonical({ kind, name: o.metadata.name, labels: o.metadata.labels, annotations: o.metadata.annotations, data: o.data, spec: o.spec })),
  ).sort();
}

/** JSON with sorted keys, without the volume a PVC happened to bind (a random name). */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'volumeName').sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(value));
}

describe('both ways on one history', () => {
  test('a release installed by helm is upgraded, tested and rolled back by helm-sfn', async () => {
    const sim = await startSimCluster({ timeScale: 0.05 });
    try {
      await helm(sim, 'install', 'site', CHART);
      await sfn(sim, { action: 'upgrade', chart: { source: CHART }, values: { image: { tag: '6.7-apache' } } });
      await sfn(sim, { action: 'test' });
      await sfn(sim, { action: 'rollback', revision: 1 });
      expect(await historyOf(sim)).toEqual(['1 superseded Install complete', '2 superseded Upgrade complete', '3 deployed Rollback to 1']);
      expect(await helm(sim, 'get', 'values', 'site', '-o', 'json')).toBe('null\n'); // revision 1 had no user values
    } finally {
      await sim.stop();
    }
  });

  test('a release installed by helm-sfn is upgraded and rolled back by helm', async () => {
    const sim = await startSimCluster({ timeScale: 0.05 });
    try {
      await sfn(sim, { action: 'install', chart: { source: CHART } });
      await helm(sim, 'upgrade', 'site', CHART, '--set', 'image.tag=6.7-apache');
      await helm(sim, 'rollback', 'site', '1');
      expect(await historyOf(sim)).toEqual(['1 superseded Install complete', '2 superseded Upgrade complete', '3 deployed Rollback to 1']);
      await sfn(sim, { action: 'upgrade', chart: { source: CHART } });
      expect((await historyOf(sim)).at(-1)).toBe('4 deployed Upgrade complete');
    } finally {
      await sim.stop();
    }
  });
});

describe('sequential mode writes what helm writes', () => {
  interface Observed {
    steps: string[][];
    final: string[];
  }

  async function observe(steps: ((sim: SimCluster) => Promise<unknown>)[]): Promise<Observed> {
    const sim = await startSimCluster({ timeScale: 0.05 });
    try {
      const out: string[][] = [];
      for (const step of steps) {
        const mark = sim.operations.length;
        await step(sim);
        out.push(hookWrites(writes(sim.operations.slice(mark), KINDS)));
      }
      return { steps: out, final: objects(sim) };
    } finally {
      await sim.stop();
    }
  }

  /** Hook objects only: helm applies an upgrade's resources one by one, helm-sfn a kind's run at once. */
  const hookWrites = (lines: string[]) => lines.filter((l) => /Job\/|Pod\/|backup-script|ServiceAccount\/site-backup/.test(l));

  const sequential = { hookMode: 'sequential' };
  let real: Observed;
  let ours: Observed;
  beforeAll(async () => {
    real = await observe([
      (sim) => helm(sim, 'install', 'site', CHART),
      (sim) => helm(sim, 'upgrade', 'site', CHART, '--set', 'image.tag=6.7-apache'),
      (sim) => helm(sim, 'test', 'site'),
      (sim) => helm(sim, 'rollback', 'site', '1'),
    ]);
    ours = await observe([
      (sim) => sfn(sim, { action: 'install', chart: { source: CHART }, options: sequential }),
      (sim) => sfn(sim, { action: 'upgrade', chart: { source: CHART }, set: ['image.tag=6.7-apache'], options: sequential }),
      (sim) => sfn(sim, { action: 'test', options: sequential }),
      (sim) => sfn(sim, { action: 'rollback', revision: 1, options: sequential }),
    ]);
  }, 120_000);

  test.each([
    ['install', 0],
    ['upgrade', 1],
    ['test', 2],
    ['rollback', 3],
  ])('%s: hook objects created and deleted in the same order', (_name, step) => {
    expect(ours.steps[step as number]).toEqual(real.steps[step as number]);
  });

  test('the comparison has something to compare', () => {
    expect(real.steps.map((s) => s.length > 0)).toEqual([true, true, true, true]);
  });

  test('the same objects are left at the end', () => {
    expect(ours.final).toEqual(real.final);
  });
});
