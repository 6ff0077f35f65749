/**
 * Local stand-ins for the AWS APIs the deployed functions call, on one HTTP server that the
 * functions reach through `AWS_ENDPOINT_URL_<SERVICE>`: Secrets Manager (awsJson1_1), EventBridge
 * (awsJson1_1), Step Functions (awsJson1_0), STS (awsQuery, XML) and EKS (restJson1). The service
 * is the one named in the SigV4 credential scope, as AWS routes it. Signatures are not checked
 * (S3 is s3rver, which does check them); every call is recorded for the scenarios' assertions.
 */
import { randomBytes, randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { AwsCredentials } from '../../lib/kube/aws/eks-token';

export interface FakeCall {
  readonly service: string;
  readonly action: string;
  readonly params: Record<string, unknown>;
}

export interface PutEventEntry {
  readonly EventBusName?: string;
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Resources?: string[];
}

export interface FakeAwsHooks {
  /** StartExecution of a new execution: start it and answer when it started. */
  startExecution(stateMachineArn: string, name: string, input: unknown): { executionArn: string };
  /** Whether an execution (by ARN) is still running. */
  isRunning(executionArn: string): boolean;
  /** PutEvents entries, after they were accepted. */
  onEvents(entries: PutEventEntry[]): void;
}

export interface FakeEksCluster {
  readonly name: string;
  readonly endpoint: string;
  readonly caData: string;
}

class AwsFault extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeAws {
  readonly calls: FakeCall[] = [];
  url = '';
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private readonly secrets = new Map<string, { arn: string; value: string; version: string }>();
  private readonly issued = new Map<string, AwsCredentials>();
  private readonly clusters = new Map<string, FakeEksCluster>();
  private readonly executions = new Map<string, { arn: string; input: string; startDate: Date }>();

  constructor(
    private readonly hooks: FakeAwsHooks,
    private readonly region = 'us-east-1',
    private readonly account = '123456789012',
  ) {}

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Creates or rotates a secret; returns its full ARN (name + `-` + 6 random characters). */
  putSecret(name: string, value: string): string {
    const existing = this.secrets.get(name);
    const arn = existing?.arn ?? `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-${randomBytes(3).toString('hex')}`;
    this.secrets.set(name, { arn, value, version: randomUUID() });
    return arn;
  }

  addEksCluster(cluster: FakeEksCluster): void {
    this.clusters.set(cluster.name, cluster);
  }

  /** The credentials STS issued under an access key id (the API server's token check uses them). */
  credentialsOf(accessKeyId: string): AwsCredentials | undefined {
    return this.issued.get(accessKeyId);
  }

  count(service: string, action: string): number {
    return this.calls.filter((c) => c.service === service && c.action === action).length;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.split('.').at(-1) ?? '';
    try {
      switch (service) {
        case 'secretsmanager':
          return json(res, 200, this.secretsManager(action, JSON.parse(body || '{}')), '1.1');
        case 'events':
          return json(res, 200, this.eventBridge(action, JSON.parse(body || '{}')), '1.1');
        case 'states':
          return json(res, 200, this.stepFunctions(action, JSON.parse(body || '{}')), '1.0');
        case 'sts':
          return xml(res, 200, this.sts(Object.fromEntries(new URLSearchParams(body))));
        case 'eks':
          return json(res, 200, this.eks(req.method ?? 'GET', req.url ?? '/'));
        default:
          throw new AwsFault(400, 'UnknownServiceException', `no fake for service ${JSON.stringify(service)}`);
      }
    } catch (e) {
      const fault = e instanceof AwsFault ? e : new AwsFault(500, 'InternalFailure', String(e));
      if (service === 'sts') return xml(res, fault.status, `<ErrorResponse><Error><Type>Sender</Type><Code>${fault.type}</Code><Message>${fault.message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
      return json(res, fault.status, { __type: fault.type, message: fault.message }, service === 'states' ? '1.0' : '1.1', fault.type);
    }
  }

  private record(service: string, action: string, params: Record<string, unknown>): void {
    this.calls.push({ service, action, params });
  }

  private secretsManager(action: string, params: { SecretId?: string }): unknown {
    this.record('secretsmanager', action, params);
    if (action !== 'GetSecretValue') throw new AwsFault(400, 'InvalidRequestException', `${action} is not faked`);
    const id = params.SecretId ?? '';
    // a name, a full ARN, or a partial ARN (the ARN without its 6-character suffix)
    const secret = [...this.secrets.entries()].find(([name, s]) => id === name || id === s.arn || s.arn.startsWith(`${id}-`))?.[1];
    if (!secret) throw new AwsFault(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return { ARN: secret.arn, Name: secret.arn.split(':').at(-1)!.slice(0, -7), SecretString: secret.value, VersionId: secret.version, VersionStages: ['AWSCURRENT'], CreatedDate: Date.now() / 1000 };
  }

  private eventBridge(action: string, params: { Entries?: PutEventEntry[] }): unknown {
    this.record('events', action, params as Record<string, unknown>);
    if (action !== 'PutEvents') throw new AwsFault(400, 'InvalidRequestException', `${action} is not faked`);
    const entries = params.Entries ?? [];
    setImmediate(() => this.hooks.onEvents(entries)); // delivered asynchronously, like EventBridge
    return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
  }

  /** StartExecution's idempotency: same name and input while running = that execution; otherwise ExecutionAlreadyExists. */
  private stepFunctions(action: string, params: { stateMachineArn?: string; name?: string; input?: string }): unknown {
    this.record('states', action, params as Record<string, unknown>);
    if (action !== 'StartExecution') throw new AwsFault(400, 'InvalidRequestException', `${action} is not faked`);
    const name = params.name ?? randomUUID();
    const input = params.input ?? '{}';
    const existing = this.executions.get(name);
    if (existing) {
      if (existing.input === input && this.hooks.isRunning(existing.arn)) return { executionArn: existing.arn, startDate: existing.startDate.getTime() / 1000 };
      throw new AwsFault(400, 'ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
    }
    const { executionArn } = this.hooks.startExecution(params.stateMachineArn ?? '', name, JSON.parse(input));
    const startDate = new Date();
    this.executions.set(name, { arn: executionArn, input, startDate });
    return { executionArn, startDate: startDate.getTime() / 1000 };
  }

  private sts(params: Record<string, string>): string {
    this.record('sts', params.Action, params);
    if (params.Action !== 'AssumeRole') throw new AwsFault(400, 'InvalidAction', `${params.Action} is not faked`);
    const credentials = { accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(20).toString('base64'), sessionToken: randomBytes(32).toString('base64') };
    this.issued.set(credentials.accessKeyId, credentials);
    const expiration = new Date(Date.now() + Number(params.DurationSeconds ?? 3600) * 1000).toISOString();
    const [, roleAccount, roleName] = /^arn:aws:iam::(\d+):role\/(.+)$/.exec(params.RoleArn) ?? [];
    return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${credentials.accessKeyId}</AccessKeyId><SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey><SessionToken>${credentials.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:${params.RoleSessionName}</AssumedRoleId><Arn>arn:aws:sts::${roleAccount}:assumed-role/${roleName}/${params.RoleSessionName}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
  }

  private eks(method: string, url: string): unknown {
    const name = decodeURIComponent(/^\/clusters\/([^/?]+)/.exec(url)?.[1] ?? '');
    this.record('eks', method === 'GET' ? 'DescribeCluster' : method, { name });
    const cluster = this.clusters.get(name);
    if (method !== 'GET' || !cluster) throw new AwsFault(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`);
    return {
      cluster: { name, arn: `arn:aws:eks:${this.region}:${this.account}:cluster/${name}`, status: 'ACTIVE', endpoint: cluster.endpoint, certificateAuthority: { data: cluster.caData }, version: '1.34' },
    };
  }
}

function json(res: http.ServerResponse, status: number, body: unknown, version?: '1.0' | '1.1', errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': version ? `application/x-amz-json-${version}` : 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(text);
}

function xml(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
  res.end(body);
}
