/**
 * The user's helm configuration local runs read: `helm repo add`'s repositories file, and the
 * CLI's `<repository>/<chart>` arguments resolved through it as helm resolves them.
 */
import { spawn } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { chartCredentials, chartInput, resolveChartArgument } from '../../lib/cli/chart-source-flags';
import { binaries, helm3Binaries } from '../../lib/helm/binaries';
import { userRegistryConfig, userRepositories, userRepositoriesFile } from '../../lib/helm/user-config';
import { selfSignedCertificate, startChartRepository } from '../support/chart-servers';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'helm-config-'));
  file = path.join(dir, 'repositories.yaml');
  // as `helm repo add` writes it (helm v4.1.4), two repositories
  writeFileSync(
    file,
    `apiVersion: ""
generated: "0001-01-01T00:00:00Z"
repositories:
- caFile: /etc/ssl/private-ca.pem
  certFile: ""
  insecure_skip_tls_verify: false
  keyFile: ""
  name: private
  pass_credentials_all: false
  password: s3cret-password
  url: https://charts.example.com/stable
  username: alice
- name: bitnami
  url: http://charts.example.org
`,
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("the file's place: $HELM_REPOSITORY_CONFIG, else helm's config home; registry logins beside it", () => {
  expect(userRepositoriesFile({ HELM_REPOSITORY_CONFIG: file })).toBe(file);
  expect(userRepositoriesFile({ HELM_CONFIG_HOME: '/cfg' })).toBe('/cfg/repositories.yaml');
  expect(userRepositoriesFile({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/helm/repositories.yaml');
  mkdirSync(path.join(dir, 'registry'));
  writeFileSync(path.join(dir, 'registry', 'config.json'), '{}');
  expect(userRegistryConfig({ HELM_CONFIG_HOME: dir })).toBe(path.join(dir, 'registry', 'config.json'));
  expect(userRegistryConfig({ HELM_CONFIG_HOME: '/nonexistent' })).toBeUndefined();
});

test('repositories are read with their URL, TLS settings and credentials; no file means none; a broken one is named', () => {
  expect(userRepositories(file)).toEqual([
    { name: 'private', url: 'https://charts.example.com/stable', username: 'alice', password: 's3cret-password', caFile: '/etc/ssl/private-ca.pem' },
    { name: 'bitnami', url: 'http://charts.example.org' },
  ]);
  expect(userRepositories(path.join(dir, 'none.yaml'))).toEqual([]);
  writeFileSync(file, 'repositories: [{name: x}]');
  expect(() => userRepositories(file)).toThrow(`${file}: repositories[0] needs a name and a url`);
  writeFileSync(file, 'repositories: {');
  expect(() => userRepositories(file)).toThrow(new RegExp(`^${file}: not YAML`));
});

test.each([
  ['helm 4', () => binaries().helm],
  ['helm 3', () => helm3Binaries().helm],
])('%s: the file `helm repo add` writes is read as helm reads it (credentials, CA file, insecure flag)', async (_, helm) => {
  const tls = selfSignedCertificate();
  const repository = await startChartRepository([], { username: 'alice', password: 's3cret-password' }, tls);
  try {
    // the repository answers from this process: helm runs asynchronously
    const add = (name: string, ...flags: string[]) =>
      new Promise<string>((resolve) => {
        const child = spawn(helm(), ['repo', 'add', name, repository.url, '--username=alice', '--password-stdin', `--repository-config=${file}`, ...flags], { env: { ...process.env, HOME: dir } });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', () => resolve(stderr));
        child.stdin.end('s3cret-password');
      });
    rmSync(file);
    expect(await add('private', `--ca-file=${tls.cert}`)).toBe('');
    expect(await add('lax', '--insecure-skip-tls-verify')).toBe('');
    expect(userRepositories(file)).toEqual([
      { name: 'private', url: repository.url, username: 'alice', password: 's3cret-password', caFile: tls.cert },
      { name: 'lax', url: repository.url, username: 'alice', password: 's3cret-password', insecureSkipTlsVerify: true },
    ]);
  } finally {
    await repository.stop();
  }
});

describe('a <repository>/<chart> argument', () => {
  test('is that repository\'s chart: its URL, CA and (locally) credentials, as --repo and the flags would give them', () => {
    const { chart, flags } = resolveChartArgument('private/wordpress', { version: '^6' }, false, file);
    expect(chartInput(chart, flags)).toEqual({ repo: 'https://charts.example.com/stable', name: 'wordpress', version: '^6', caBundle: '/etc/ssl/private-ca.pem' });
    expect(chartCredentials(flags, false)).toEqual({ username: 'alice', password: 's3cret-password' });
    // an http:// repository is reached over plain HTTP, as helm does
    const plain = resolveChartArgument('bitnami/nginx', {}, false, file);
    expect(chartInput(plain.chart, plain.flags)).toEqual({ repo: 'http://charts.example.org', name: 'nginx', plainHttp: true });
    expect(chartCredentials(plain.flags, false)).toBeUndefined();
  });

  test('the flags win over the file: --username/--password, --ca-file', () => {
    const { flags } = resolveChartArgument('private/wordpress', { username: 'bob', password: 'other', caFile: '/mine.pem' }, false, file);
    expect(chartCredentials(flags, false)).toEqual({ username: 'bob', password: 'other' });
    expect(flags.caFile).toBe('/mine.pem');
  });

  test('a deployed orchestrator needs --credentials-secret for a repository with credentials; the password never travels', () => {
    expect(() => resolveChartArgument('private/wordpress', {}, true, file)).toThrow(
      `repository "private" (${file}) has credentials: a deployed orchestrator reads them from Secrets Manager; give --credentials-secret <arn>`,
    );
    const { chart, flags } = resolveChartArgument('private/wordpress', { credentialsSecret: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:charts' }, true, file);
    expect(JSON.stringify(chartInput(chart, flags))).not.toContain('s3cret-password');
    expect(chartCredentials(flags, true)).toBeUndefined();
  });

  test('paths on disk, URLs, --repo and names of no repository keep their meaning; a missing one is named with the fix', () => {
    const local = path.join(dir, 'charts', 'web');
    mkdirSync(local, { recursive: true });
    for (const chart of [local, 'oci://registry.example.com/charts/web', 'https://example.com/web-1.0.0.tgz', 's3://bucket/web.tgz', './charts/web', 'web']) {
      expect(resolveChartArgument(chart, {}, false, file)).toEqual({ chart, flags: {} });
    }
    expect(resolveChartArgument('private/wordpress', { repo: 'https://other.example.com' }, false, file).chart).toBe('private/wordpress');
    expect(() => resolveChartArgument('stable/wordpress', {}, false, file)).toThrow(
      `stable/wordpress: no chart directory or archive there, and no repository "stable" in ${file} (helm repo add stable <url>)`,
    );
  });

  test('client certificates are refused by name, not ignored', () => {
    writeFileSync(file, 'repositories:\n- name: mtls\n  url: https://charts.example.com\n  certFile: /c.pem\n  keyFile: /k.pem\n');
    expect(() => resolveChartArgument('mtls/web', {}, false, file)).toThrow(`repository "mtls" (${file}): client certificates (certFile, keyFile) are not supported`);
  });
});
