/**
 * Registry and repository charts through the Lambda handlers, exactly as deployed (makeHandler
 * per task, one AwsDeps: one container). The registry is a real docker-registry standing in for
 * ECR: its htpasswd user is `AWS` with the password that aws-sdk-client-mock's
 * GetAuthorizationToken hands out, as ECR's tokens are. The repository is a real `helm repo
 * index` directory behind basic auth, whose credentials come from a (mocked) Secrets Manager.
 */
import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { CHART_DIGEST_ANNOTATION } from '../../lib/core/chart-source';
import type { HelmRelease } from '../../lib/core/release-record';
import { silentLogger } from '../../lib/engine/deps';
import { ReleaseStore } from '../../lib/engine/release-store';
import { binaries } from '../../lib/helm/binaries';
import type { ClusterConnection } from '../../lib/kube/aws/cluster-access';
import { ClientNodeKubeClient, loadKubeConfig } from '../../lib/kube/client-node';
import { lambdaFunctions } from '../../lib/local/asl';
import { EXECUTION_ARN_PREFIX, localDeps } from '../../lib/local/run-locally';
import { handlersByConstructId, runDefinition } from '../../lib/local/runner';
import { synthesizeWorkflow } from '../../lib/local/synthesize';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import type { LambdaConfig } from '../../lambdas/shared/config';
import { AwsDeps } from '../../lambdas/shared/deps';
import { chartCredentials } from '../../lambdas/shared/chart-auth';
import { makeEngineHandler } from '../../lambdas/shared/handler';
import { logger } from '../../lambdas/shared/powertools';
import { packageChart, pushChart, startChartRepository, startRegistry, type ChartRepository, type Registry } from '../support/chart-servers';
import { writeChart } from '../support/charts';

const ECR_PASSWORD = 'ecr-token-password-0123456789';
const REPO_USER = 'robot';
const REPO_PASSWORD = 'repo-password-9876543210';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:charts-AbCdEf';
const DENIED_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:other-GhIjKl';
const ecr = mockClient(ECRClient);
const secrets = mockClient(SecretsManagerClient);
const events = mockClient(EventBridgeClient);

let sim: SimCluster;
let registry: Registry;
let repo: ChartRepository;
let rt: { config: LambdaConfig; deps: AwsDeps };
const digests: Record<string, string> = {};
const archives: Record<string, string> = {};
let now = new Date('2026-01-01T00:00:00Z');

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  sim = await startSimCluster({ timeScale: 0.02 });
  registry = await startRegistry({ AWS: ECR_PASSWORD });
  for (const version of ['1.0.0', '1.1.0']) {
    archives[version] = await packageChart(writeChart({ name: 'api', version, templates: { 'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\ndata:\n  chart: "${version}"\n` } }));
    digests[version] = await pushChart(archives[version], registry.host, 'team/charts', 'AWS', ECR_PASSWORD);
  }
  repo = await startChartRepository([archives['1.0.0'], archives['1.1.0']], { username: REPO_USER, password: REPO_PASSWORD });
  const config: LambdaConfig = { region: 'eu-west-1', clusters: { prod: { clusterName: 'prod-eu' } }, eventBus: 'releases', helmBinary: binaries().helm, sessionName: 'c', ecrRegistries: [registry.host] };
  const access = { connect: async (): Promise<ClusterConnection> => ({ server: sim.url, token: 'sim' }), refresh: async (): Promise<ClusterConnection> => ({ server: sim.url, token: 'sim' }) };
  rt = {
    config,
    deps: new AwsDeps(config, {
      access,
      secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
      ecr: () => new ECRClient({ region: 'eu-west-1' }),
      events: new EventBridgeClient({ region: 'eu-west-1' }),
      kubeClient: (c) => new ClientNodeKubeClient(loadKubeConfig({ cluster: { ...c, skipTLSVerify: true } })),
      logger: silentLogger,
      clock: () => now,
    }),
  };
}, 600_000);
afterAll(async () => {
  await registry?.stop();
  await repo?.stop();
  await sim?.stop();
});

beforeEach(() => {
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  ecr.on(GetAuthorizationTokenCommand).callsFake(() => ({
    authorizationData: [{ authorizationToken: Buffer.from(`AWS:${ECR_PASSWORD}`).toString('base64'), expiresAt: new Date(now.getTime() + 12 * 3600_000), proxyEndpoint: `https://${registry.host}` }],
  }));
  secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify({ username: REPO_USER, password: REPO_PASSWORD }) });
  secrets.on(GetSecretValueCommand, { SecretId: DENIED_ARN }).rejects(Object.assign(new Error('User is not authorized to perform secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' }));
});

let executions = 0;
async function run(input: Record<string, unknown>) {
  const { definition, template } = synthesizeWorkflow();
  const handler = makeEngineHandler(() => rt);
  const handlers = handlersByConstructId(lambdaFunctions(template), { Engine: handler, Render: handler });
  const name = `charts-${++executions}`;
  return runDefinition(definition, { cluster: 'prod', ...input } as never, { handlers, waitScale: 0.01, validate: false, context: { Execution: { Id: `${EXECUTION_ARN_PREFIX}${name}`, Name: name } } });
}

async function history(release: string, namespace = 'default'): Promise<HelmRelease[]> {
  return new ReleaseStore(localDeps({ kubeconfigPath: sim.kubeconfigPath })).history(release, namespace);
}
const summary = (r: HelmRelease) => ({ version: r.version, status: r.info.status, chart: r.chart.metadata?.version, digest: r.chart.metadata?.annotations?.[CHART_DIGEST_ANNOTATION] });

test('ECR: install by version range and upgrade by digest with the task role token (cached until shortly before it expires), rollback; bad references write nothing', async () => {
  const oci = `oci://${registry.host}/team/charts/api`;
  const install = await run({ action: 'install', release: 'api', namespace: 'default', chart: { source: oci, version: '>=1.0.0 <2', plainHttp: true } });
  expect(install.error).toBeUndefined();
  const upgrade = await run({ action: 'upgrade', release: 'api', namespace: 'default', chart: { source: oci, digest: digests['1.0.0'], plainHttp: true } });
  expect(upgrade.error).toBeUndefined();
  expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
  // 11 h 50 min later the token is within 15 minutes of its expiry: a new one is asked for
  now = new Date(now.getTime() + (11 * 60 + 50) * 60_000);
  expect((await run({ action: 'rollback', release: 'api', namespace: 'default' })).error).toBeUndefined();
  const kept = await run({ action: 'upgrade', release: 'api', namespace: 'default', options: { reuseValues: true } });
  expect(kept.error).toBeUndefined();
  expect((await run({ action: 'upgrade', release: 'api', namespace: 'default', chart: { source: oci, version: '1.1.0', plainHttp: true } })).error).toBeUndefined();
  expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2);
  expect((await history('api')).map(summary)).toEqual([
    { version: 1, status: 'superseded', chart: '1.1.0', digest: digests['1.1.0'] },
    { version: 2, status: 'superseded', chart: '1.0.0', digest: digests['1.0.0'] },
    { version: 3, status: 'superseded', chart: '1.1.0', digest: digests['1.1.0'] },
    { version: 4, status: 'superseded', chart: '1.1.0', digest: digests['1.1.0'] },
    { version: 5, status: 'deployed', chart: '1.1.0', digest: digests['1.1.0'] },
  ]);

  const before = (await history('api')).map(summary);
  const notFound = await run({ action: 'upgrade', release: 'api', namespace: 'default', chart: { source: oci, version: '^3', plainHttp: true } });
  expect(notFound.error).toEqual({ error: 'ChartNotFound', cause: expect.stringMatching(/team\/charts\/api version "\^3": could not locate a version/) });
  ecr.on(GetAuthorizationTokenCommand).rejects(Object.assign(new Error('not authorized to perform: ecr:GetAuthorizationToken'), { name: 'AccessDeniedException' }));
  now = new Date(now.getTime() + 24 * 3600_000);
  const denied = await run({ action: 'upgrade', release: 'api', namespace: 'default', chart: { source: oci, version: '1.0.0', plainHttp: true } });
  expect(denied.error).toEqual({ error: 'ChartFetchFailed', cause: expect.stringMatching(/ecr:GetAuthorizationToken for 127\.0\.0\.1:\d+: AccessDeniedException/) });
  expect((await history('api')).map(summary)).toEqual(before);
}, 300_000);

test('a Helm repository with credentials from Secrets Manager; a refused secret or wrong password is ChartFetchFailed, never showing the password', async () => {
  const sha = `sha256:${createHash('sha256').update(readFileSync(archives['1.0.0'])).digest('hex')}`;
  await new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath })).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } });
  const chart = { repo: repo.url, name: 'api', plainHttp: true, credentialsSecretArn: SECRET_ARN };
  const install = await run({ action: 'install', release: 'site', namespace: 'web', chart: { ...chart, version: '~1.0' } });
  expect(install.error).toBeUndefined();
  expect((await history('site', 'web')).map(summary)).toEqual([{ version: 1, status: 'deployed', chart: '1.0.0', digest: sha }]);

  const refused = await run({ action: 'upgrade', release: 'site', namespace: 'web', chart: { ...chart, credentialsSecretArn: DENIED_ARN } });
  expect(refused.error).toEqual({ error: 'ChartFetchFailed', cause: expect.stringContaining(`credentials secret ${DENIED_ARN}: AccessDeniedException`) });
  secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify({ username: REPO_USER, password: 'stale-password-1234' }) });
  const stale = await run({ action: 'upgrade', release: 'site', namespace: 'web', chart });
  expect(stale.error?.error).toBe('ChartFetchFailed');
  expect(stale.error?.cause).toMatch(/chart "api" from http:\/\/127\.0\.0\.1:\d+: .*401/);
  expect(stale.error?.cause).not.toContain('stale-password-1234');
  expect((await history('site', 'web')).map(summary)).toEqual([{ version: 1, status: 'deployed', chart: '1.0.0', digest: sha }]);
}, 300_000);

test('an ECR host name picks the token of its account and region; other hosts get no credentials', async () => {
  const regions: string[] = [];
  const auth = chartCredentials({
    region: 'eu-west-1',
    secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
    ecr: (region) => (regions.push(region), new ECRClient({ region })),
    clock: () => now,
  });
  ecr.reset();
  ecr.on(GetAuthorizationTokenCommand, { registryIds: ['444455556666'] }).resolves({
    authorizationData: [{ authorizationToken: Buffer.from('AWS:cross-account-token').toString('base64'), expiresAt: new Date(now.getTime() + 3600_000) }],
  });
  const spec = { source: 'oci://444455556666.dkr.ecr.eu-central-1.amazonaws.com/platform/charts/api', version: '1.0.0' };
  expect(await auth(spec, '444455556666.dkr.ecr.eu-central-1.amazonaws.com')).toEqual({ username: 'AWS', password: 'cross-account-token' });
  expect(regions).toEqual(['eu-central-1']);
  expect(await auth({ source: 'oci://ghcr.io/team/charts/api' }, 'ghcr.io')).toBeUndefined();
  expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
});
