/**
 * docs/semantics.md#release-records: records are stored exactly as Helm 4 stores them, so the helm CLI reads ours and
 * we read Helm's. Judged by the real helm binary against the simulated cluster.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { releaseFromSecret, releaseSecret, releaseSecretName, type HelmRelease } from '../../lib/core/release-record';
import { binaries } from '../../lib/helm/binaries';
import { startSimCluster, type SimCluster } from '../../lib/sim';

const NGINX = path.join(__dirname, '..', '..', 'examples', 'charts', 'nginx');
const run = promisify(execFile);
let sim: SimCluster;
let home: string;

beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.1 });
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'interop-'));
});
afterAll(async () => {
  await sim.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

async function cli(tool: 'helm' | 'kubectl', ...args: string[]): Promise<string> {
  const { stdout } = await run(binaries()[tool], args, { env: { HOME: home, KUBECONFIG: sim.kubeconfigPath, PATH: process.env.PATH } });
  return stdout;
}

function storedRecord(revision: number): HelmRelease {
  const secret = sim.get('v1', 'Secret', 'web', releaseSecretName('site', revision));
  if (!secret) throw new Error(`no record for revision ${revision}`);
  return releaseFromSecret(secret as Parameters<typeof releaseFromSecret>[0]);
}

/** Writes a record the way the engine does: a new revision is created, an old one replaced. */
async function writeRecord(rel: HelmRelease, verb: 'create' | 'replace'): Promise<void> {
  const file = path.join(home, `${rel.name}.v${rel.version}.json`);
  fs.writeFileSync(file, JSON.stringify(releaseSecret(rel, verb === 'create' ? { createdAt: 1795470000 } : { modifiedAt: 1795470100 })));
  await cli('kubectl', verb, '-f', file);
}

it('reads what helm install stored, chart included, and helm reads what we store', async () => {
  await cli('helm', 'install', 'site', NGINX, '--namespace', 'web', '--create-namespace', '--set', 'replicaCount=2');

  // Helm's record, decoded by us.
  const first = storedRecord(1);
  expect(first).toMatchObject({ name: 'site', namespace: 'web', version: 1, apply_method: 'ssa', config: { replicaCount: 2 } });
  expect(first.info).toMatchObject({ status: 'deployed', description: 'Install complete' });
  expect(first.hooks?.map((h) => [h.name, h.kind, h.events, h.weight, h.delete_policies, h.last_run.phase])).toEqual([
    ['site-nginx', 'Job', ['post-install'], -5, ['hook-succeeded'], 'Succeeded'],
  ]);

  // Our revision 2 (as an upgrade would leave it), read by helm.
  const now = '2026-11-24T10:00:00.123456789Z';
  const second: HelmRelease = {
    ...first,
    version: 2,
    config: { replicaCount: 3 },
    manifest: first.manifest.replace('replicas: 2', 'replicas: 3'),
    info: { first_deployed: first.info.first_deployed, last_deployed: now, status: 'deployed', description: 'Upgrade complete' },
  };
  await writeRecord(second, 'create');
  await writeRecord({ ...first, info: { ...first.info, status: 'superseded' } }, 'replace');

  const history = JSON.parse(await cli('helm', 'history', 'site', '--namespace', 'web', '-o', 'json')) as { revision: number; status: string; description: string }[];
  expect(history.map((h) => [h.revision, h.status, h.description])).toEqual([
    [1, 'superseded', 'Install complete'],
    [2, 'deployed', 'Upgrade complete'],
  ]);
  expect(await cli('helm', 'get', 'manifest', 'site', '--namespace', 'web')).toBe(`${second.manifest}\n`);
  expect(JSON.parse(await cli('helm', 'get', 'values', 'site', '--namespace', 'web', '-o', 'json'))).toEqual({ replicaCount: 3 });
  expect(await cli('helm', 'list', '--namespace', 'web', '-o', 'json')).toContain('"revision":"2"');

  // helm can take over from our record: a rollback to revision 1 makes revision 3.
  await cli('helm', 'rollback', 'site', '1', '--namespace', 'web');
  expect(storedRecord(2).info.status).toBe('superseded');
  expect(storedRecord(3)).toMatchObject({ version: 3, config: { replicaCount: 2 }, info: { status: 'deployed', description: 'Rollback to 1' } });
});
