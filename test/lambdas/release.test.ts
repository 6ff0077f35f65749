/**
 * The Lambda handlers, exactly as deployed (makeHandler per task, AwsDeps), run a whole release:
 * the synthesized state machine routes every task to its handler; the cluster is the simulated
 * one, reached through a stand-in for ClusterAccess; S3 and EventBridge are aws-sdk-client-mock.
 */
import { execFileSync } from 'child_process';
import { createReadStream, mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { silentLogger } from '../../lib/engine/deps';
import { binaries } from '../../lib/helm/binaries';
import { lambdaFunctions } from '../../lib/local/asl';
import { EXECUTION_ARN_PREFIX } from '../../lib/local/run-locally';
import { handlersByConstructId, runDefinition, type ExecutionEvent } from '../../lib/local/runner';
import { synthesizeWorkflow } from '../../lib/local/synthesize';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import type { ClusterConnection } from '../../lib/kube/aws/cluster-access';
import { ClientNodeKubeClient, loadKubeConfig } from '../../lib/kube/client-node';
import type { LambdaConfig } from '../../lambdas/shared/config';
import { AwsDeps } from '../../lambdas/shared/deps';
import { makeEngineHandler } from '../../lambdas/shared/handler';
import { makeRecoverHandler } from '../../lambdas/shared/recover';
import { logger } from '../../lambdas/shared/powertools';

const ROOT = path.resolve(__dirname, '..', '..');
const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);

let sim: SimCluster;
let chartTgz: string;
const connects: string[] = [];

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  sim = await startSimCluster({ timeScale: 0.02 });
  const dir = mkdtempSync(path.join(tmpdir(), 'helm-sfn-chart-'));
  execFileSync(binaries().helm, ['package', path.join(ROOT, 'examples', 'charts', 'nginx'), '--destination', dir], { env: { ...process.env, HOME: dir } });
  chartTgz = path.join(dir, execFileSync('ls', [dir]).toString().trim());
});
afterAll(async () => sim?.stop());

function runtime() {
  const config: LambdaConfig = {
    region: 'eu-west-1',
    clusters: { prod: { clusterName: 'prod-eu', roleArn: 'arn:aws:iam::111122223333:role/helm-sfn-deployer' } },
    eventBus: 'releases',
    helmBinary: binaries().helm,
    sessionName: 'helm-sfn-container',
  };
  const access = {
    connect: async (key: string): Promise<ClusterConnection> => {
      connects.push(key);
      return { server: sim.url, token: 'sim' };
    },
    refresh: async (key: string): Promise<ClusterConnection> => access.connect(key),
  };
  const deps = new AwsDeps(config, {
    access,
    s3: new S3Client({ region: 'eu-west-1' }),
    events: new EventBridgeClient({ region: 'eu-west-1' }),
    // the sim speaks plain HTTP, which client-node refuses unless TLS checks are off
    kubeClient: (c) => new ClientNodeKubeClient(loadKubeConfig({ cluster: { ...c, skipTLSVerify: true } })),
    logger: silentLogger,
  });
  return { config, deps };
}

async function run(input: Record<string, unknown>, name: string, signal?: AbortSignal, onEvent?: (e: ExecutionEvent) => void) {
  const rt = runtime();
  const { definition, template } = synthesizeWorkflow();
  // both task functions run the engine bundle's handler; the definition may invoke no other
  const handler = makeEngineHandler(() => rt);
  return runDefinition(definition, input as never, {
    handlers: handlersByConstructId(lambdaFunctions(template), { Engine: handler, Render: handler }),
    waitScale: 0.01,
    validate: false,
    context: { Execution: { Id: `${EXECUTION_ARN_PREFIX}${name}`, Name: name } },
    signal,
    onEvent,
  });
}

test('install then uninstall through the Lambda handlers: chart from S3, the registry cluster per invocation, status events on the bus', async () => {
  s3.on(GetObjectCommand, { Bucket: 'charts-bucket', Key: 'charts/nginx.tgz' }).callsFake(() => ({ Body: createReadStream(chartTgz) }));
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });

  // GIVEN an input without `cluster`: the registry's only entry is the default
  const installed = await run({ action: 'install', release: 'web', namespace: 'default', chart: { source: 's3://charts-bucket/charts/nginx.tgz' }, values: { replicaCount: 1 } }, 'install-1');

  expect(installed.error).toBeUndefined();
  expect(installed.status).toBe('SUCCEEDED');
  expect(installed.output).toMatchObject({ release: 'web', namespace: 'default', revision: 1, status: 'deployed' });
  expect(new Set(connects)).toEqual(new Set(['prod']));
  expect(sim.get('v1', 'Secret', 'default', 'sh.helm.release.v1.web.v1')).toBeDefined();

  const published = events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries![0]);
  expect(published.map((e) => JSON.parse(e.Detail!).status)).toEqual(['pending-install', 'deployed']);
  for (const entry of published) {
    expect(entry).toMatchObject({ EventBusName: 'releases', Source: 'helm-sfn', DetailType: 'Helm Release Status Change', Resources: [`${EXECUTION_ARN_PREFIX}install-1`] });
    expect(Object.keys(JSON.parse(entry.Detail!)).sort()).toEqual(['cluster', 'description', 'execution', 'namespace', 'release', 'revision', 'status']);
    expect(JSON.parse(entry.Detail!)).toMatchObject({ cluster: 'prod', release: 'web', revision: 1 });
  }

  const removed = await run({ action: 'uninstall', release: 'web', namespace: 'default', cluster: 'prod' }, 'uninstall-1');
  expect(removed.status).toBe('SUCCEEDED');
  expect(sim.get('v1', 'Secret', 'default', 'sh.helm.release.v1.web.v1')).toBeUndefined();
  expect(connects.at(-1)).toBe('prod');
}, 60_000);

test('an input naming a cluster outside the registry fails the first state, naming the field, before any connection', async () => {
  connects.length = 0;
  const result = await run({ action: 'uninstall', release: 'web', namespace: 'default', cluster: 'staging' }, 'bad-cluster');
  expect(result.status).toBe('FAILED');
  expect(result.error?.error).toBe('InvalidInput');
  // the first state turns Lambda's {errorType, errorMessage, trace} into the message alone
  expect(result.error?.cause).toBe(`cluster: "staging" is not in the orchestrator's cluster registry (known: prod)`);
  expect(connects).toEqual([]);
});

test('an aborted execution leaves its lock; the recovery handler, given its status event, frees it in the cluster the input named', async () => {
  s3.on(GetObjectCommand).callsFake(() => ({ Body: createReadStream(chartTgz) }));
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  const input = { action: 'install', release: 'stuck', namespace: 'default', cluster: 'prod', chart: { source: 's3://charts-bucket/charts/nginx.tgz' } };
  const abort = new AbortController();
  const aborted = await run(input, 'aborted-1', abort.signal, (e) => {
    if (e.type === 'StateEntered' && e.state.name === 'Apply resources') abort.abort();
  });
  expect(aborted.status).toBe('ABORTED');
  const status = () => (sim.get('v1', 'Secret', 'default', 'sh.helm.release.v1.stuck.v1') as { metadata: { labels: Record<string, string> } }).metadata.labels.status;
  expect(status()).toBe('pending-install');

  connects.length = 0;
  const recover = makeRecoverHandler(runtime);
  const detail = { executionArn: `${EXECUTION_ARN_PREFIX}aborted-1`, status: 'ABORTED', input: JSON.stringify(input) };
  expect(await recover({ detail: { ...detail, executionArn: `${EXECUTION_ARN_PREFIX}someone-else` } })).toMatchObject({ recovered: false });
  expect(await recover({ detail })).toEqual({ recovered: true, release: 'stuck', namespace: 'default', revision: 1 });
  expect(status()).toBe('failed');
  expect(connects).toContain('prod');
  const last = events.commandCalls(PutEventsCommand).at(-1)!.args[0].input.Entries![0];
  expect(JSON.parse(last.Detail!)).toMatchObject({ release: 'stuck', status: 'failed', cluster: 'prod', execution: detail.executionArn });
}, 60_000);

test('the recovery handler leaves an execution alone whose input named no registered cluster (it never got past validation)', async () => {
  const recover = makeRecoverHandler(runtime);
  const input = JSON.stringify({ action: 'install', release: 'x', namespace: 'default', cluster: 'staging' });
  await expect(recover({ detail: { executionArn: `${EXECUTION_ARN_PREFIX}bad`, status: 'FAILED', input } })).resolves.toMatchObject({
    recovered: false,
    reason: expect.stringMatching(/cluster: "staging" is not in the orchestrator's cluster registry/),
  });
});
