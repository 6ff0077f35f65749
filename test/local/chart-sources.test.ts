/**
 * Charts from a real OCI registry (Debian's docker-registry with htpasswd, charts pushed by the
 * real `helm push`) and a real Helm repository (`helm repo index`, served over HTTP), installed,
 * upgraded and rolled back by local runs: versions resolved as helm resolves them, digests
 * pinned and recorded, and every bad reference refused before the lock with nothing written.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { CHART_DIGEST_ANNOTATION, pinnedChartOf } from '../../lib/core/chart-source';
import type { HelmRelease } from '../../lib/core/release-record';
import { ReleaseStore } from '../../lib/engine/release-store';
import { binaries, helm3Binaries } from '../../lib/helm/binaries';
import { ClientNodeKubeClient, loadKubeConfig } from '../../lib/kube/client-node';
import { localDeps } from '../../lib/local/run-locally';
import { useSim } from '../acceptance/support';
import { packageChart, pushChart, pushNotAChart, selfSignedCertificate, startChartRepository, startFlakyFront, startRegistry, type ChartRepository, type Registry } from '../support/chart-servers';
import { writeChart } from '../support/charts';

const USER = 'alice';
const PASSWORD = 'correct-horse-battery';
const h = useSim();
let registry: Registry;
let repo: ChartRepository;
const digests: Record<string, string> = {};
const archives: Record<string, string> = {};

const chartDir = (version: string) =>
  writeChart({ name: 'web', version, templates: { 'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  chart: "${version}"\n  color: {{ .Values.color | default "none" | quote }}\n` } });

beforeAll(async () => {
  registry = await startRegistry({ [USER]: PASSWORD });
  for (const version of ['1.2.3', '1.3.0', '2.0.0']) {
    archives[version] = await packageChart(chartDir(version));
    digests[version] = await pushChart(archives[version], registry.host, 'charts', USER, PASSWORD);
  }
  // an image (not a chart) under a version-like tag
  await pushNotAChart(registry.host, 'charts/web', '3.0.0', USER, PASSWORD);
  repo = await startChartRepository([archives['1.2.3'], archives['1.3.0']], { username: USER, password: PASSWORD });
}, 600_000);
afterAll(async () => {
  await registry?.stop();
  await repo?.stop();
});

const oci = () => `oci://${registry.host}/charts/web`;
const credentials = { username: USER, password: PASSWORD };

async function history(release: string, namespace: string): Promise<HelmRelease[]> {
  return new ReleaseStore(localDeps({ kubeconfigPath: h.sim.kubeconfigPath })).history(release, namespace);
}

const summary = (r: HelmRelease) => ({ version: r.version, status: r.info.status, chart: r.chart.metadata?.version, digest: r.chart.metadata?.annotations?.[CHART_DIGEST_ANNOTATION] });

test('OCI: install by version range, upgrade by digest, upgrade keeping the pinned chart, rollback; the record shows version and digest', async () => {
  const ns = await h.namespace();
  const base = { release: 'web', namespace: ns };
  const install = await h.run({ ...base, action: 'install', chart: { source: oci(), version: '^1.2', plainHttp: true } }, { chartCredentials: credentials });
  expect(install.error).toBeUndefined();
  expect(install.status).toBe('SUCCEEDED');
  const upgrade = await h.run({ ...base, action: 'upgrade', chart: { source: oci(), digest: digests['1.2.3'], plainHttp: true }, values: { color: 'blue' } }, { chartCredentials: credentials });
  expect(upgrade.status).toBe('SUCCEEDED');
  // no chart: the pinned 1.2.3 again (from the cache: the registry is not asked, so no credentials are needed)
  const kept = await h.run({ ...base, action: 'upgrade', values: { color: 'green' }, options: { reuseValues: true } });
  expect(kept.error).toBeUndefined();
  expect(kept.status).toBe('SUCCEEDED');
  const rollback = await h.run({ ...base, action: 'rollback', revision: 1 });
  expect(rollback.status).toBe('SUCCEEDED');

  const records = await history('web', ns);
  expect(records.map(summary)).toEqual([
    { version: 1, status: 'superseded', chart: '1.3.0', digest: digests['1.3.0'] },
    { version: 2, status: 'superseded', chart: '1.2.3', digest: digests['1.2.3'] },
    { version: 3, status: 'superseded', chart: '1.2.3', digest: digests['1.2.3'] },
    { version: 4, status: 'deployed', chart: '1.3.0', digest: digests['1.3.0'] },
  ]);
  // the range became a pin: an upgrade that keeps revision 1's chart gets 1.3.0 even after 1.4.0 is pushed
  expect(pinnedChartOf(records[0])).toEqual({ source: oci(), digest: digests['1.3.0'], plainHttp: true });
  expect(records[2].config).toEqual({ color: 'green' });
  const cm = await new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: h.sim.kubeconfigPath })).get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'web' });
  expect(cm?.data).toEqual({ chart: '1.3.0', color: 'none' });
});

test('helm registry login works for local runs: the user registry config is read', async () => {
  const ns = await h.namespace();
  const home = mkdtempSync(path.join(tmpdir(), 'login-'));
  const config = path.join(home, 'registry.json');
  // a separate process (the registry), so a synchronous child is safe here
  const login = spawnSync(binaries().helm, ['registry', 'login', registry.host, '--plain-http', `--username=${USER}`, '--password-stdin', `--registry-config=${config}`], { input: PASSWORD, env: { ...process.env, HOME: home }, encoding: 'utf8' });
  expect(login.stderr + login.stdout).toMatch(/Login Succeeded/);
  const saved = process.env.HELM_REGISTRY_CONFIG;
  process.env.HELM_REGISTRY_CONFIG = config;
  try {
    const result = await h.run({ action: 'install', release: 'web', namespace: ns, chart: { source: oci(), version: '2.0.0', plainHttp: true } });
    expect(result.status).toBe('SUCCEEDED');
  } finally {
    if (saved === undefined) delete process.env.HELM_REGISTRY_CONFIG;
    else process.env.HELM_REGISTRY_CONFIG = saved;
  }
  expect((await history('web', ns)).map(summary)).toEqual([{ version: 1, status: 'deployed', chart: '2.0.0', digest: digests['2.0.0'] }]);
});

test('bad references fail before the lock with a named error naming the reference (never the password), and write nothing', async () => {
  const ns = await h.namespace();
  const base = { release: 'web', namespace: ns };
  expect((await h.run({ ...base, action: 'install', chart: { source: oci(), version: '1.2.3', plainHttp: true } }, { chartCredentials: credentials })).status).toBe('SUCCEEDED');
  const before = (await history('web', ns)).map(summary);
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['unknown version', { source: oci(), version: '^9', plainHttp: true }, 'ChartNotFound', /oci:\/\/127\.0\.0\.1:\d+\/charts\/web version "\^9": could not locate a version matching/],
    ['unknown digest', { source: oci(), digest: `sha256:${'0'.repeat(64)}`, plainHttp: true }, 'ChartNotFound', /charts\/web@sha256:0{64}: .*not found/],
    ['a tag that is not a chart', { source: oci(), version: '3.0.0', plainHttp: true }, 'ChartFetchFailed', /version "3\.0\.0": .*\(the reference is not a Helm chart\)$/],
    ['registry down', { source: `oci://127.0.0.1:1/charts/web`, version: '1.2.3', plainHttp: true }, 'ChartFetchFailed', /oci:\/\/127\.0\.0\.1:1\/charts\/web version "1\.2\.3": .*connection refused/],
    ['repository digest mismatch', { repo: repo.url, name: 'web', version: '1.3.0', digest: `sha256:${'1'.repeat(64)}`, plainHttp: true }, 'ChartFetchFailed', /chart "web" version "1\.3\.0" from http:\/\/127\.0\.0\.1:\d+: digest mismatch/],
    ['unknown repository chart', { repo: repo.url, name: 'nope', plainHttp: true }, 'ChartNotFound', /chart "nope" from http:\/\/127\.0\.0\.1:\d+: .*not found/],
  ];
  for (const [what, chart, error, message] of cases) {
    const result = await h.run({ ...base, action: 'upgrade', chart }, { chartCredentials: credentials });
    expect({ what, status: result.status, error: result.error?.error }).toEqual({ what, status: 'FAILED', error });
    expect(result.error?.cause).toMatch(message);
  }
  const denied = await h.run({ ...base, action: 'upgrade', chart: { source: oci(), version: '1.3.0', plainHttp: true } }, { chartCredentials: { username: USER, password: 'wrong-password-123' } });
  expect(denied.error?.error).toBe('ChartFetchFailed');
  expect(denied.error?.cause).toMatch(/401|unauthorized/i);
  expect(denied.error?.cause).not.toContain('wrong-password-123');
  expect((await history('web', ns)).map(summary)).toEqual(before);
});

test('Helm repository: install by version range and by pinned digest, upgrade, rollback', async () => {
  const ns = await h.namespace();
  const base = { release: 'site', namespace: ns };
  const sha = (version: string) => `sha256:${createHash('sha256').update(readFileSync(archives[version])).digest('hex')}`;
  expect((await h.run({ ...base, action: 'install', chart: { repo: repo.url, name: 'web', version: '~1.2', plainHttp: true } }, { chartCredentials: credentials })).status).toBe('SUCCEEDED');
  expect((await h.run({ ...base, action: 'upgrade', chart: { repo: repo.url, name: 'web', digest: sha('1.3.0'), plainHttp: true } }, { chartCredentials: credentials })).status).toBe('SUCCEEDED');
  expect((await h.run({ ...base, action: 'rollback' })).status).toBe('SUCCEEDED');
  expect((await history('site', ns)).map(summary)).toEqual([
    { version: 1, status: 'superseded', chart: '1.2.3', digest: sha('1.2.3') },
    { version: 2, status: 'superseded', chart: '1.3.0', digest: sha('1.3.0') },
    { version: 3, status: 'deployed', chart: '1.2.3', digest: sha('1.2.3') },
  ]);
  const unauthorized = await h.run({ ...base, action: 'upgrade', chart: { repo: repo.url, name: 'web', plainHttp: true } });
  expect(unauthorized.error?.error).toBe('ChartFetchFailed');
  expect(unauthorized.error?.cause).toMatch(/401|Unauthorized/i);
});

test.each([
  ['helm 4', () => binaries().helm, true],
  ['helm 3', () => helm3Binaries().helm, false],
] as const)('%s: a repository password never reaches a command line (every local user reads those); helm takes it on stdin', async (_, helm, serverSideFlag) => {
  const tls = selfSignedCertificate();
  const site = await startChartRepository([archives['1.3.0']], credentials, tls);
  // the real helm, behind a script that records every command line it is given
  const dir = mkdtempSync(path.join(tmpdir(), 'helm-argv-'));
  const log = path.join(dir, 'argv.log');
  const probe = path.join(dir, 'helm');
  writeFileSync(probe, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${helm()}' "$@"\n`, { mode: 0o755 });
  try {
    const ns = await h.namespace();
    const result = await h.run({ action: 'install', release: 'site', namespace: ns, chart: { repo: site.url, name: 'web', caBundle: tls.cert } }, { chartCredentials: credentials, helm: { path: probe, serverSideFlag } });
    expect(result.error).toBeUndefined();
    expect((await history('site', ns)).map(summary)).toEqual([expect.objectContaining({ status: 'deployed', chart: '1.3.0' })]);
    const argv = readFileSync(log, 'utf8');
    expect(argv).toMatch(/^repo add helm-sfn-source https:.* --username=alice --password-stdin/m);
    expect(argv).toMatch(/^pull helm-sfn-source\/web /m);
    expect(argv).not.toContain(PASSWORD);
    // a wrong password: the repository's answer, named, without the password
    const denied = await h.run({ action: 'upgrade', release: 'site', namespace: ns, chart: { repo: site.url, name: 'web', caBundle: tls.cert } }, { chartCredentials: { username: USER, password: 'wrong-password-123' }, helm: { path: probe, serverSideFlag } });
    expect(denied.error).toMatchObject({ error: 'ChartFetchFailed', cause: expect.stringMatching(/chart "web" from https:.*401/) });
    expect(denied.error?.cause).not.toContain('wrong-password-123');
    expect(readFileSync(log, 'utf8')).not.toContain('wrong-password-123');
  } finally {
    await site.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a repository briefly away (503, 503) is pulled on the third try; a refusal (401) is not tried again', async () => {
  const ns = await h.namespace();
  repo.unavailableFor(2);
  const result = await h.run({ action: 'install', release: 'blip', namespace: ns, chart: { repo: repo.url, name: 'web', version: '1.2.3', plainHttp: true } }, { chartCredentials: credentials });
  expect(result.error).toBeUndefined();
  expect((await history('blip', ns)).map(summary)).toEqual([expect.objectContaining({ status: 'deployed', chart: '1.2.3' })]);

  const before = repo.requests;
  const refused = await h.run({ action: 'upgrade', release: 'blip', namespace: ns, chart: { repo: repo.url, name: 'web', plainHttp: true } }, { chartCredentials: { username: USER, password: 'not-the-password' } });
  expect(refused.error).toMatchObject({ error: 'ChartFetchFailed', cause: expect.stringMatching(/401/) });
  expect(repo.requests - before).toBe(1);
});

test("an OCI registry away for longer than helm's own retries (8 answers of 503) is pulled again, and installs", async () => {
  const front = await startFlakyFront(registry);
  try {
    const ns = await h.namespace();
    front.unavailableFor(8);
    // helm's registry client retries a 503 a few times itself (alone it fails here): the rest is helm-sfn's 1 s and 3 s
    const result = await h.run({ action: 'install', release: 'blip', namespace: ns, chart: { source: `oci://${front.host}/charts/web`, version: '1.2.3', plainHttp: true } }, { chartCredentials: credentials });
    expect(result.error).toBeUndefined();
    expect(front.refused).toBe(8);
    expect((await history('blip', ns)).map(summary)).toEqual([{ version: 1, status: 'deployed', chart: '1.2.3', digest: digests['1.2.3'] }]);
  } finally {
    await front.stop();
  }
});

test('TLS with a private CA: caBundle (--ca-file) for a registry, a repository and an https:// archive; insecureSkipTlsVerify; an unknown CA is refused', async () => {
  const tls = selfSignedCertificate();
  const secure = await startRegistry({ [USER]: PASSWORD }, tls);
  const site = await startChartRepository([archives['1.2.3']], undefined, tls);
  try {
    const digest = await pushChart(archives['1.3.0'], secure.host, 'charts', USER, PASSWORD, tls);
    const ns = await h.namespace();
    const base = { release: 'tls', namespace: ns };
    const sha = `sha256:${createHash('sha256').update(readFileSync(archives['1.2.3'])).digest('hex')}`;
    const steps: [string, Record<string, unknown>][] = [
      ['install', { repo: site.url, name: 'web', caBundle: tls.cert }],
      ['upgrade', { source: `oci://${secure.host}/charts/web`, version: '1.3.0', caBundle: tls.cert }],
      ['upgrade', { source: `${site.url}/web-1.2.3.tgz`, digest: sha, caBundle: tls.cert }],
      ['upgrade', { source: `oci://${secure.host}/charts/web`, digest, insecureSkipTlsVerify: true }],
    ];
    for (const [action, chart] of steps) {
      const result = await h.run({ ...base, action, chart }, { chartCredentials: credentials });
      expect({ chart, error: result.error }).toEqual({ chart, error: undefined });
    }
    expect((await history('tls', ns)).map(summary)).toEqual([
      { version: 1, status: 'superseded', chart: '1.2.3', digest: sha },
      { version: 2, status: 'superseded', chart: '1.3.0', digest },
      { version: 3, status: 'superseded', chart: '1.2.3', digest: sha },
      { version: 4, status: 'deployed', chart: '1.3.0', digest },
    ]);
    const unknownCa = await h.run({ ...base, action: 'upgrade', chart: { source: `oci://${secure.host}/charts/web`, version: '1.3.0' } }, { chartCredentials: credentials });
    expect(unknownCa.error).toEqual({ error: 'ChartFetchFailed', cause: expect.stringMatching(/version "1\.3\.0": .*certificate/) });
    expect(await history('tls', ns)).toHaveLength(4);
  } finally {
    await secure.stop();
    await site.stop();
  }
});
