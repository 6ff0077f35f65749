/**
 * Remote mode against aws-sdk-client-mock: local sources uploaded, StartExecution, the history
 * followed into the local mode's progress display, and the outcome (output, or error and cause).
 */
import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListTagsForResourceCommand, SFNClient, StartExecutionCommand, type HistoryEvent, type HistoryEventType } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { buildProgram } from '../../lib/cli/program';
import { executionName, progressEvent, runRemotely } from '../../lib/cli/remote/execution';
import { checkModeFlags } from '../../lib/cli/remote/flags';
import { targetFromFlags } from '../../lib/cli/remote/target';
import type { ExecutionEvent } from '../../lib/local/runner';

const ROOT = path.resolve(__dirname, '..', '..');
const NGINX = path.join(ROOT, 'examples', 'charts', 'nginx');
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:HelmRelease';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:HelmRelease:web-install-1';
const OUTPUT = { release: 'web', namespace: 'web', revision: 1, status: 'deployed', hooks: [], warnings: [] };

const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);

let id = 0;
const entered = (type: string, name: string): HistoryEvent => ({ id: ++id, type: `${type}StateEntered` as HistoryEventType, timestamp: new Date(), stateEnteredEventDetails: { name } });
const other = (type: HistoryEventType): HistoryEvent => ({ id: ++id, type, timestamp: new Date() });

beforeEach(() => {
  id = 0;
  sfn.reset();
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
});

const phases = (events: ExecutionEvent[]) => events.map((e) => (e.type === 'StateEntered' ? e.state.name : e.type));

describe('runRemotely', () => {
  it('packages the local chart, uploads it and the values file, starts the execution with s3:// sources, and follows it to its output', async () => {
    const values = path.join(mkdtempSync(path.join(tmpdir(), 'values-')), 'prod.yaml');
    writeFileSync(values, 'password: not-in-the-history\n');
    const firstLook = [other('ExecutionStarted'), entered('Task', 'Validate input'), other('TaskScheduled'), entered('Choice', 'Action?')];
    const secondLook = [...firstLook, entered('Task', 'Prepare install'), entered('Pass', 'Post-install hooks'), entered('Wait', 'Post-install: wait'), entered('Succeed', 'Release deployed'), other('ExecutionSucceeded')];
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING' } as never)
      .resolves({ status: 'SUCCEEDED', output: JSON.stringify(OUTPUT) } as never);
    sfn.on(GetExecutionHistoryCommand).resolvesOnce({ events: firstLook }).resolves({ events: secondLook });
    const seen: ExecutionEvent[] = [];
    const sleeps: number[] = [];

    const result = await runRemotely(
      { action: 'install', release: 'web', namespace: 'web', chart: { source: NGINX }, valuesFrom: [values, 's3://elsewhere/shared.yaml'] },
      { stateMachine: MACHINE, chartBucket: 'charts-bucket', cluster: 'prod' },
      { onEvent: (e) => seen.push(e), sleep: async (ms) => void sleeps.push(ms), now: () => new Date('2026-11-24T10:20:30.456Z'), sfn: new SFNClient({}), s3: new S3Client({}) },
    );

    expect(result).toEqual({ executionArn: EXECUTION, status: 'SUCCEEDED', output: OUTPUT });
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key])).toEqual([
      ['charts-bucket', expect.stringMatching(/^charts\/[0-9a-f]{16}\/nginx-[\d.]+\.tgz$/)],
      ['charts-bucket', expect.stringMatching(/^values\/[0-9a-f]{16}\/prod\.yaml$/)],
    ]);
    const start = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(start).toMatchObject({ stateMachineArn: MACHINE, name: 'web-install-20261124T102030456Z' });
    expect(JSON.parse(start.input!)).toEqual({
      action: 'install',
      release: 'web',
      namespace: 'web',
      cluster: 'prod',
      chart: { source: `s3://charts-bucket/${puts[0].Key}` },
      valuesFrom: [`s3://charts-bucket/${puts[1].Key}`, 's3://elsewhere/shared.yaml'],
    });
    expect(start.input).not.toContain('not-in-the-history');
    expect(phases(seen)).toEqual(['Validate input', 'Action?', 'Prepare install', 'Post-install hooks', 'Post-install: wait', 'Release deployed']);
    expect(sleeps).toEqual([2000]);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0].args[0].input).toMatchObject({ executionArn: EXECUTION, includeExecutionData: false });
  });

  it('a failed execution gives its error and the Lambda error message as the cause', async () => {
    const cause = JSON.stringify({ errorType: 'HookFailed', errorMessage: 'Job web/web-migrate failed: BackoffLimitExceeded', trace: ['HookFailed: …'] });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'HookFailed', cause } as never);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [entered('Task', 'Validate input'), entered('Fail', 'Release failed')] });
    const result = await runRemotely({ action: 'uninstall', release: 'web', namespace: 'web' }, { stateMachine: MACHINE }, { sfn: new SFNClient({}) });
    expect(result).toEqual({ executionArn: EXECUTION, status: 'FAILED', error: { error: 'HookFailed', cause: 'Job web/web-migrate failed: BackoffLimitExceeded' } });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it.each([
    ['TIMED_OUT', undefined, 'the execution ended TIMED_OUT'],
    ['ABORTED', 'aborted by a person', 'aborted by a person'],
  ])('an execution that ends %s is reported with a cause', async (status, cause, expected) => {
    sfn.on(DescribeExecutionCommand).resolves({ status, ...(cause ? { cause } : {}) } as never);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const result = await runRemotely({ action: 'test', release: 'web', namespace: 'web' }, { stateMachine: MACHINE }, { sfn: new SFNClient({}) });
    expect(result.error).toEqual({ error: status, cause: expected });
  });

  it('reads every page of a long history once', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: '{}' } as never);
    sfn.on(GetExecutionHistoryCommand).resolvesOnce({ events: [entered('Task', 'A')], nextToken: 't1' }).resolvesOnce({ events: [entered('Task', 'B')] });
    const seen: ExecutionEvent[] = [];
    await runRemotely({ action: 'test', release: 'web', namespace: 'web' }, { stateMachine: MACHINE }, { sfn: new SFNClient({}), onEvent: (e) => seen.push(e) });
    expect(phases(seen)).toEqual(['A', 'B']);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[1].args[0].input.nextToken).toBe('t1');
  });

  it('finds the chart bucket in the state machine’s tag when no flag or output names it', async () => {
    sfn.on(ListTagsForResourceCommand).resolves({ tags: [{ key: 'helm-sfn:chart-bucket', value: 'tagged-bucket' }] });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: '{}' } as never);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const chart = path.join(mkdtempSync(path.join(tmpdir(), 'chart-')), 'web-1.0.0.tgz');
    writeFileSync(chart, 'tgz bytes');
    await runRemotely({ action: 'install', release: 'web', namespace: 'web', chart: { source: chart } }, { stateMachine: MACHINE }, { sfn: new SFNClient({}), s3: new S3Client({}) });
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toMatchObject({ Bucket: 'tagged-bucket', Key: expect.stringMatching(/^charts\/[0-9a-f]{16}\/web-1\.0\.0\.tgz$/) });
  });

  it('without a chart bucket anywhere, a local chart is an error naming the flag', async () => {
    sfn.on(ListTagsForResourceCommand).resolves({ tags: [] });
    await expect(runRemotely({ action: 'install', release: 'web', namespace: 'web', chart: { source: NGINX } }, { stateMachine: MACHINE }, { sfn: new SFNClient({}) })).rejects.toThrow(
      /^--chart-bucket: needed for local charts and values files/,
    );
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('a chart that does not exist is an error before anything starts', async () => {
    await expect(
      runRemotely({ action: 'install', release: 'web', namespace: 'web', chart: { source: '/no/such/chart' } }, { stateMachine: MACHINE, chartBucket: 'b' }, { sfn: new SFNClient({}), s3: new S3Client({}) }),
    ).rejects.toThrow('chart: /no/such/chart: no such file or directory');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('targetFromFlags', () => {
  const outputsFile = (content: unknown) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'outputs-')), 'cdk-outputs.json');
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  it('reads the state machine and the chart bucket from `cdk deploy --outputs-file`', () => {
    const file = outputsFile({ Other: { Url: 'x' }, HelmSfn: { StateMachineArn: MACHINE, ChartBucketName: 'charts-bucket', EventBusName: 'bus' } });
    expect(targetFromFlags({ stackOutputs: file })).toEqual({ stateMachineArn: MACHINE, region: 'eu-west-1', chartBucket: 'charts-bucket' });
  });

  it.each([
    [{ stateMachine: 'HelmRelease' }, /^--state-machine: must be a state machine ARN/],
    [{ stackOutputs: '/no/such/file.json' }, /^--stack-outputs: cannot read \/no\/such\/file\.json/],
  ])('fails on %j naming the flag', (flags, message) => {
    expect(() => targetFromFlags(flags)).toThrow(message);
  });

  it('fails on an outputs file of another stack', () => {
    expect(() => targetFromFlags({ stackOutputs: outputsFile({ Other: { Url: 'x' } }) })).toThrow(/has no StateMachineArn output/);
  });
});

describe('flags of the other mode', () => {
  it.each([
    [{ cluster: 'prod' }, '--cluster: only with --state-machine or --stack-outputs'],
    [{ chartBucket: 'b' }, '--chart-bucket: only with --state-machine or --stack-outputs'],
    [{ stateMachine: MACHINE, kubeconfig: '/k' }, '--kubeconfig: only for local runs'],
  ])('%j is refused', (flags, message) => {
    expect(() => checkModeFlags(flags)).toThrow(message);
  });
});

test.each([
  [{ type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Apply resources' } }, { type: 'StateEntered', state: { name: 'Apply resources', type: 'Task' } }],
  [{ type: 'PassStateEntered', stateEnteredEventDetails: { name: 'Pre-install hooks' } }, { type: 'StateEntered', state: { name: 'Pre-install hooks', type: 'Pass' } }],
  [
    { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Pre-install: poll hook group', output: '{"hook":{"hooks":[{"hook":"Job/b","state":"running"}]}}' } },
    { type: 'StateExited', state: { name: 'Pre-install: poll hook group', type: 'Task', output: { hook: { hooks: [{ hook: 'Job/b', state: 'running' }] } } } },
  ],
  [{ type: 'LambdaFunctionScheduled' }, undefined],
])('history event %j shows as %j', (event, expected) => {
  const shown = progressEvent(event as HistoryEvent);
  if (expected) expect(shown).toMatchObject(expected);
  else expect(shown).toBeUndefined();
});

test('execution names are readable and valid', () => {
  expect(executionName({ release: 'my-website', action: 'upgrade' }, new Date('2026-01-02T03:04:05.006Z'))).toBe('my-website-upgrade-20260102T030405006Z');
});

describe('the command line, in remote mode', () => {
  let stderr: string[];
  let stdout: string[];
  beforeEach(() => {
    stderr = [];
    stdout = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
    process.exitCode = undefined;
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('helm-sfn install … --state-machine prints the phases and the summary', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify(OUTPUT) } as never);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [entered('Task', 'Validate input'), entered('Task', 'Prepare install'), entered('Succeed', 'Release deployed')] });
    await buildProgram().parseAsync(['node', 'helm-sfn', 'install', 'web', NGINX, '-n', 'web', '--state-machine', MACHINE, '--chart-bucket', 'charts-bucket', '--cluster', 'prod', '--wait']);
    expect(process.exitCode).toBeUndefined();
    const err = stderr.join('');
    expect(err).toContain(`execution ${EXECUTION}`);
    expect(err).toMatch(/\] Validate input\n.*\] Prepare install\n.*\] Release deployed\n/);
    expect(err).toContain('web (web) revision 1: deployed');
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!)).toMatchObject({ action: 'install', cluster: 'prod', options: { wait: true } });
  });

  it('--set goes to an object under a random key in the chart bucket (no hash of the values), named in setFrom: never in the execution input; --history-file writes the full history', async () => {
    const historyFile = path.join(mkdtempSync(path.join(tmpdir(), 'history-')), 'history.json');
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify(OUTPUT) } as never);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [other('ExecutionStarted')] });
    await buildProgram().parseAsync(['node', 'helm-sfn', 'upgrade', 'web', 's3://charts-bucket/charts/x/nginx.tgz', '-n', 'web', '--state-machine', MACHINE, '--chart-bucket', 'charts-bucket', '--set', 'db.password=MARKER-remote', '--history-file', historyFile]);

    expect(process.exitCode).toBeUndefined();
    const start = sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!;
    expect(start).not.toContain('MARKER-remote');
    const [put] = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(put.Key).toMatch(/^values\/[0-9a-f]{16}\/set\.json$/);
    expect(JSON.parse(String(put.Body))).toEqual(['db.password=MARKER-remote']);
    expect(JSON.parse(start)).toMatchObject({ setFrom: [`s3://charts-bucket/${put.Key}`] });
    expect(JSON.parse(start).set).toBeUndefined();
    expect(sfn.commandCalls(GetExecutionHistoryCommand).at(-1)?.args[0].input).toMatchObject({ includeExecutionData: true });
    expect(JSON.parse(readFileSync(historyFile, 'utf8')).events).toEqual([expect.objectContaining({ type: 'ExecutionStarted' })]);
  });

  it('a registry chart passes through as given (version, secret ARN); --ca-file is uploaded like a values file', async () => {
    const ca = path.join(mkdtempSync(path.join(tmpdir(), 'ca-')), 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify(OUTPUT) } as never);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const secret = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:registry-AbCdEf';
    await buildProgram().parseAsync(['node', 'helm-sfn', 'upgrade', 'web', 'oci://registry.example.com/charts/web', '--version', '^1.4', '--ca-file', ca, '--credentials-secret', secret, '-n', 'web', '--state-machine', MACHINE, '--chart-bucket', 'charts-bucket']);
    expect(process.exitCode).toBeUndefined();
    const [put] = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(put.Key).toMatch(/^values\/[0-9a-f]{16}\/ca\.pem$/);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!).chart).toEqual({
      source: 'oci://registry.example.com/charts/web',
      version: '^1.4',
      caBundle: `s3://charts-bucket/${put.Key}`,
      credentialsSecretArn: secret,
    });
  });

  it('a failed remote run exits 1 with the error name and its cause; -o json prints them', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'ReleaseLocked', cause: 'another operation is in progress on web' } as never);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    await buildProgram().parseAsync(['node', 'helm-sfn', 'uninstall', 'web', '-n', 'web', '--state-machine', MACHINE, '-o', 'json']);
    expect(process.exitCode).toBe(1);
    expect(JSON.parse(stdout.join(''))).toEqual({ status: 'FAILED', error: 'ReleaseLocked', cause: 'another operation is in progress on web' });
    expect(stderr.join('')).toContain('Error: ReleaseLocked: another operation is in progress on web');
  });
});

/**
 * Ctrl-C in remote mode, on a real `helm-sfn` process: the first SIGINT stops the execution
 * (StopExecution; the orchestrator's recovery rule frees the lock), as helm cancels its release.
 * AWS is stood in for by a minimal Step Functions endpoint (AWS_ENDPOINT_URL_SFN); the signal is
 * sent while StartExecution is in flight, the moment an interrupt used to be lost.
 */
describe('Ctrl-C on a remote run', () => {
  it('stops the execution it started, then exits 130', async () => {
    const calls: { target: string; body: Record<string, unknown> }[] = [];
    let stopped = false;
    let releaseStart: (() => void) | undefined;
    const startReceived = new Promise<void>((resolveReceived) => {
      const server = http.createServer((req, res) => {
        let raw = '';
        req.on('data', (chunk) => (raw += chunk));
        req.on('end', () => {
          const target = String(req.headers['x-amz-target']).split('.')[1];
          calls.push({ target, body: JSON.parse(raw || '{}') });
          const reply = (body: unknown) => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
          const now = Date.now() / 1000;
          if (target === 'StartExecution') {
            releaseStart = () => reply({ executionArn: EXECUTION, startDate: now });
            resolveReceived();
          } else if (target === 'StopExecution') {
            stopped = true;
            reply({ stopDate: now });
          } else if (target === 'DescribeExecution') {
            reply({ executionArn: EXECUTION, stateMachineArn: MACHINE, status: stopped ? 'ABORTED' : 'RUNNING', startDate: now, ...(stopped ? { error: 'Interrupted', cause: 'stopped by the helm-sfn command that started it' } : {}) });
          } else reply({ events: [] });
        });
      });
      servers.push(server);
      server.listen(0, '127.0.0.1');
    });
    await new Promise((r) => servers[0].once('listening', r));
    const { port } = servers[0].address() as AddressInfo;
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'helm-sfn.js'), 'install', 'web', 's3://charts-bucket/web-1.0.0.tgz', '-n', 'web', '--state-machine', MACHINE], {
      env: { ...process.env, AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'eu-west-1' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    await startReceived;
    child.kill('SIGINT');
    releaseStart!();
    const code = await exited;

    expect(stderr).toContain('SIGINT: stopping the execution and freeing its lock (again to quit at once, leaving the execution running)');
    expect(calls.map((c) => c.target)).toContain('StopExecution');
    expect(calls.find((c) => c.target === 'StopExecution')?.body).toMatchObject({ executionArn: EXECUTION, error: 'Interrupted' });
    expect(stderr).toMatch(/Error: Interrupted: stopped by the helm-sfn command that started it/);
    expect(code).toBe(130);
  });
});

const servers: http.Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));
