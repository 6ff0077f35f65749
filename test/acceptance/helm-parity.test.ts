/**
 * The real helm is the judge: in sequential mode, helm-sfn must create and delete hook objects
 * in exactly the order `helm install` / `helm uninstall` do, leave the same objects behind, and
 * write records the helm CLI reads.
 */
import { execFile } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { binaries } from '../../lib/helm/binaries';
import { runReleaseLocally } from '../../lib/local/run-locally';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { configMap, docs, hook, writeChart } from '../support/charts';
import { MAX_STATE_BYTES, writes } from './support';

const chart = writeChart({
  name: 'parity',
  templates: {
    'hooks.yaml': docs(
      hook({ name: 'pre-sa', kind: 'ServiceAccount', events: 'pre-install', weight: '-10', deletePolicy: 'hook-succeeded' }),
      hook({ name: 'pre-cm', kind: 'ConfigMap', events: 'pre-install', weight: '-10' }),
      hook({ name: 'migrate', events: 'pre-install', weight: '-5', deletePolicy: 'before-hook-creation,hook-succeeded', script: 'sleep 0.5; echo migrated' }),
      hook({ name: 'warm', events: 'pre-install', weight: '2', script: 'echo warm' }),
      hook({ name: 'notify', events: 'post-install', deletePolicy: 'hook-succeeded', script: 'echo installed' }),
      hook({ name: 'smoke', kind: 'Pod', events: 'post-install', weight: '1', script: 'echo smoke' }),
      hook({ name: 'last-backup', events: 'pre-delete', deletePolicy: 'hook-succeeded', script: 'echo backup' }),
      hook({ name: 'goodbye', kind: 'ConfigMap', events: 'post-delete' }),
    ),
    'app.yaml': docs(configMap('app'), configMap('keep-me', '  annotations:\n    helm.sh/resource-policy: keep\n'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n'),
  },
});
const KINDS = ['Job', 'Pod', 'ConfigMap', 'ServiceAccount'];
const NS = 'default';

async function helm(sim: SimCluster, ...args: string[]): Promise<string> {
  const home = mkdtempSync(path.join(tmpdir(), 'helm-home-'));
  const { stdout } = await promisify(execFile)(binaries().helm, args, { env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: sim.kubeconfigPath } });
  return stdout;
}

/** The objects a release leaves behind, without what the server assigns. */
function objects(sim: SimCluster): string[] {
  return KINDS.flatMap((kind) =>
    (sim.list(kind === 'Job' ? 'batch/v1' : 'v1', kind, NS) as { metadata: Record<string, any>; spec?: unknown; data?: unknown }[])
      .filter((o) => !['default', 'kube-root-ca.crt'].includes(o.metadata.name) && !o.metadata.ownerReferences)
      .map((o) => JSON.stringify({ kind, name: o.metadata.name, labels: o.metadata.labels, annotations: o.metadata.annotations, data: o.data })),
  ).sort();
}

interface Outcome {
  install: string[];
  uninstall: string[];
  afterInstall: string[];
  afterUninstall: string[];
}

async function observe(installWith: (sim: SimCluster) => Promise<void>, uninstallWith: (sim: SimCluster) => Promise<void>): Promise<Outcome> {
  const sim = await startSimCluster({ timeScale: 0.05 });
  try {
    await installWith(sim);
    const install = writes(sim.operations, KINDS);
    const afterInstall = objects(sim);
    const mark = sim.operations.length;
    await uninstallWith(sim);
    return { install, uninstall: writes(sim.operations.slice(mark), KINDS), afterInstall, afterUninstall: objects(sim) };
  } finally {
    await sim.stop();
  }
}

async function ours(sim: SimCluster, input: Record<string, unknown>): Promise<void> {
  const result = await runReleaseLocally(input, { kubeconfigPath: sim.kubeconfigPath, waitScale: 0.01 });
  expect(result.error).toBeUndefined();
  expect(result.maxPayloadBytes.bytes).toBeLessThanOrEqual(MAX_STATE_BYTES);
}

let real: Outcome;
let mine: Outcome;
let mineSim: SimCluster;

beforeAll(async () => {
  real = await observe(
    async (sim) => void (await helm(sim, 'install', 'rel', chart, '-n', NS)),
    async (sim) => void (await helm(sim, 'uninstall', 'rel', '-n', NS)),
  );
  mine = await observe(
    (sim) => ours(sim, { action: 'install', release: 'rel', namespace: NS, chart: { source: chart }, options: { hookMode: 'sequential' } }),
    (sim) => ours(sim, { action: 'uninstall', release: 'rel', namespace: NS, options: { hookMode: 'sequential' } }),
  );
  mineSim = await startSimCluster({ timeScale: 0.05 });
  await ours(mineSim, { action: 'install', release: 'rel', namespace: NS, chart: { source: chart }, options: { hookMode: 'sequential' } });
}, 120_000);
afterAll(() => mineSim?.stop());

/** Helm applies a run of same-kind resources concurrently (pkg/kube `perform`): their order is not defined. */
const RESOURCES = new Set(['ConfigMap/app', 'ConfigMap/keep-me', 'ServiceAccount/app']);
function sortConcurrentRuns(lines: string[]): string[] {
  const out = [...lines];
  for (let i = 0; i < out.length; ) {
    let j = i;
    const kindOf = (line: string) => line.split(/[ /]/)[1];
    while (j < out.length && RESOURCES.has(out[j].split(' ')[1]) && kindOf(out[j]) === kindOf(out[i])) j++;
    if (j > i + 1) out.splice(i, j - i, ...out.slice(i, j).sort());
    i = Math.max(j, i + 1);
  }
  return out;
}

test('install: hook objects are created and deleted in helm install order', () => {
  expect(real.install.length).toBeGreaterThan(6);
  expect(sortConcurrentRuns(mine.install)).toEqual(sortConcurrentRuns(real.install));
});

test('install leaves the same objects as helm install', () => {
  expect(mine.afterInstall).toEqual(real.afterInstall);
});

test('uninstall: same hook and resource writes as helm uninstall, same objects left', () => {
  expect(mine.uninstall).toEqual(real.uninstall);
  expect(mine.afterUninstall).toEqual(real.afterUninstall);
});

test('the helm CLI reads helm-sfn releases: list, history, get manifest, get hooks', async () => {
  expect(await helm(mineSim, 'list', '-n', NS)).toMatch(/rel\s+default\s+1\s+.*deployed\s+parity-0\.1\.0/);
  expect(await helm(mineSim, 'history', 'rel', '-n', NS)).toMatch(/1\s+.*deployed\s+parity-0\.1\.0\s+.*Install complete/);
  const manifest = await helm(mineSim, 'get', 'manifest', 'rel', '-n', NS);
  expect(manifest).toContain('# Source: parity/templates/app.yaml');
  expect(manifest).toContain('name: keep-me');
  const hooks = await helm(mineSim, 'get', 'hooks', 'rel', '-n', NS);
  for (const name of ['pre-sa', 'migrate', 'smoke', 'goodbye']) expect(hooks).toContain(`name: ${name}`);
});
