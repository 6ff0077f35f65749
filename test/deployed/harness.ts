/**
 * The orchestrator as deployed, on this machine: `cdk synth` of bin/app.ts (bundling included),
 * every function's bundle from cdk.out in its own Lambda-like sandbox (./sandbox.ts), the
 * template's state machine definition on aws-local-stepfunctions with its Lambda tasks invoking
 * those sandboxes, the template's EventBridge rules delivering to their targets (their patterns
 * and input transformers), fake AWS APIs behind AWS_ENDPOINT_URL_* (./aws-fakes.ts, s3rver for
 * S3), and lib/sim behind TLS with bearer-token auth (./cluster-proxy.ts), as an endpoint cluster
 * (token in Secrets Manager) and as an EKS cluster reached through an assumed role.
 */
import { execFile } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import AdmZip from 'adm-zip';
import { binaries } from '../../lib/helm/binaries';
import { extractStateMachines, FAKE_ENV, lambdaFunctions, resolveIntrinsics, type AslDefinition, type CfnTemplate, type Json, type JsonObject } from '../../lib/local/asl';
import { runDefinition, type ExecutionEvent, type LocalRunResult } from '../../lib/local/runner';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { FakeAws, type PutEventEntry } from './aws-fakes';
import { ClusterProxy, selfSignedTls } from './cluster-proxy';
import { canUnshare, LambdaFunction, type SandboxOptions } from './sandbox';

// s3rver ships no types
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver: new (opts: Record<string, unknown>) => { run(): Promise<{ port: number }>; close(): Promise<void> } = require('s3rver');

const ROOT = path.resolve(__dirname, '..', '..');
export const STACK = 'HelmSfn';
export const CHART_BUCKET = 'helm-sfn-charts';
export const TOKEN_SECRET_NAME = 'helm-sfn/sim-token';
export const DEPLOYER_ROLE = 'arn:aws:iam::111122223333:role/helm-sfn-deployer';
/** Poll waits run at this fraction of their length; hook containers and controllers at SIM_TIME_SCALE. */
const WAIT_SCALE = 0.05;
const SIM_TIME_SCALE = 0.1;
/** s3rver's one access key; the functions' role credentials. */
const ROLE_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

export interface HarnessOptions {
  /** The node the sandboxes run (Lambda's runtime); default this process's node. */
  readonly node?: string;
  /** default: unshare when this process may, else a plain child process. */
  readonly isolation?: SandboxOptions['isolation'];
  readonly log?: (line: string) => void;
}

export interface Execution extends LocalRunResult {
  readonly arn: string;
  readonly name: string;
}

interface Rule {
  readonly bus: string;
  readonly pattern: JsonObject;
  readonly targets: { fn: LambdaFunction; transformer?: { paths: Record<string, string>; template: string } }[];
}

export class DeployedHarness {
  readonly sandboxOptions: SandboxOptions;
  /** Functions by construct id (Engine, Render, StartFromEvent, RecoverRelease). */
  readonly functions = new Map<string, LambdaFunction>();
  readonly executions = new Map<string, Promise<Execution>>();
  /** Failures of EventBridge deliveries (a target that threw). */
  readonly deliveryErrors: string[] = [];
  definition!: AslDefinition;
  stateMachineArn = '';
  chartSource = '';
  token = 'sim-token-1';
  timings: Record<string, number> = {};
  private readonly running = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private rules: Rule[] = [];
  private readonly cleanups: (() => Promise<void> | void)[] = [];

  private constructor(
    readonly dir: string,
    readonly sim: SimCluster,
    readonly aws: FakeAws,
    readonly proxy: ClusterProxy,
    readonly s3Url: string,
    sandbox: SandboxOptions,
    private readonly log: (line: string) => void,
  ) {
    this.sandboxOptions = sandbox;
  }

  static async start(opts: HarnessOptions = {}): Promise<DeployedHarness> {
    const started = Date.now();
    const log = opts.log ?? (() => {});
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-sfn-deployed-'));
    const sim = await startSimCluster({ timeScale: SIM_TIME_SCALE });
    let harness: DeployedHarness | undefined;
    const aws = new FakeAws({
      startExecution: (_arn, name, input) => ({ executionArn: harness!.launch(input as Json, name) }),
      isRunning: (arn) => harness!.running.has(arn),
      onEvents: (entries) => harness!.deliver(entries),
    });
    await aws.start();
    const tls = await selfSignedTls(dir);
    const proxy = new ClusterProxy(sim.url, tls, (key) => aws.credentialsOf(key));
    await proxy.start();
    const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(dir, 's3'), configureBuckets: [{ name: CHART_BUCKET }] });
    const { port } = await s3.run();
    const s3Url = `http://127.0.0.1:${port}`;
    const node = opts.node ?? process.execPath;
    const isolation = opts.isolation ?? ((await canUnshare()) ? 'unshare' : 'process');
    const lambdaEnvironment = {
      AWS_REGION: FAKE_ENV.region,
      AWS_DEFAULT_REGION: FAKE_ENV.region,
      ...ROLE_CREDENTIALS,
      AWS_ENDPOINT_URL_S3: s3Url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: aws.url,
      AWS_ENDPOINT_URL_SFN: aws.url,
      AWS_ENDPOINT_URL_STS: aws.url,
      AWS_ENDPOINT_URL_EKS: aws.url,
    };
    harness = new DeployedHarness(dir, sim, aws, proxy, s3Url, { node, isolation, lambdaEnvironment }, log);
    harness.cleanups.push(() => s3.close(), () => proxy.stop(), () => aws.stop(), () => sim.stop());
    harness.timings.servers = Date.now() - started;

    proxy.setToken(harness.token);
    const secretArn = aws.putSecret(TOKEN_SECRET_NAME, harness.token);
    proxy.acceptEks('sim-eks');
    aws.addEksCluster({ name: 'sim-eks', endpoint: proxy.url, caData: tls.caData });
    harness.chartSource = await uploadChart(dir, s3Url, path.join(ROOT, 'examples', 'charts', 'wordpress'));

    const clusters = {
      // a partial ARN (no -AbCdEf suffix), as the registry allows
      sim: { endpoint: proxy.url, caData: tls.caData, tokenSecretArn: secretArn.slice(0, -7) },
      'sim-eks': { clusterName: 'sim-eks', roleArn: DEPLOYER_ROLE, externalId: 'helm-sfn-e2e' },
    };
    const synthStarted = Date.now();
    const template = await synth(path.join(dir, 'cdk.out'), clusters);
    harness.timings.synth = Date.now() - synthStarted;
    harness.load(template, path.join(dir, 'cdk.out'));
    harness.timings.start = Date.now() - started;
    log(`harness up in ${((Date.now() - started) / 1000).toFixed(1)} s (synth ${(harness.timings.synth / 1000).toFixed(1)} s), sandboxes: ${isolation}, node ${node}`);
    return harness;
  }

  /** The function of a construct id. */
  fn(constructId: string): LambdaFunction {
    const fn = this.functions.get(constructId);
    if (!fn) throw new Error(`no function ${constructId} (have ${[...this.functions.keys()].join(', ')})`);
    return fn;
  }

  /** StartExecution, as the console or CLI does it; resolves when the execution ended. */
  async execute(input: Json, opts: { name?: string; signal?: AbortSignal; onEvent?: (e: ExecutionEvent) => void } = {}): Promise<Execution> {
    const arn = this.launch(input, opts.name ?? randomUUID(), opts);
    return this.executions.get(arn)!;
  }

  /** PutEvents on a bus (the release bus by default), delivered through the template's rules. */
  putEvent(detailType: string, detail: unknown, opts: { id?: string; bus?: string; source?: string } = {}): void {
    this.dispatch(opts.bus ?? this.releaseBus, {
      version: '0',
      id: opts.id ?? randomUUID(),
      'detail-type': detailType,
      source: opts.source ?? 'team.pipeline',
      account: FAKE_ENV.account,
      time: new Date().toISOString(),
      region: FAKE_ENV.region,
      resources: [],
      detail: detail as Json,
    });
  }

  /** Waits until no execution runs and no event is being delivered. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** `helm package` a chart directory into the chart bucket; its s3:// source. */
  uploadChart(chartDir: string): Promise<string> {
    return uploadChart(this.dir, this.s3Url, chartDir);
  }

  /** Creates a namespace in the cluster (as its admin, not through the orchestrator). */
  async createNamespace(name: string): Promise<void> {
    const res = await fetch(`${this.sim.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) });
    if (!res.ok && res.status !== 409) throw new Error(`creating namespace ${name}: HTTP ${res.status}`);
  }

  /** Every log line of a function's containers. */
  logs(constructId: string): string[] {
    return this.fn(constructId).logs;
  }

  async stop(): Promise<void> {
    await this.settled().catch(() => {});
    await Promise.all([...this.functions.values()].map((f) => f.stop()));
    for (const cleanup of this.cleanups.reverse()) await cleanup();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private get releaseBus(): string {
    return this.rules.find((r) => r.bus !== 'default')?.bus ?? 'default';
  }

  private load(template: CfnTemplate, out: string): void {
    const [machine] = extractStateMachines(template);
    this.definition = machine.definition;
    this.stateMachineArn = `arn:aws:states:${FAKE_ENV.region}:${FAKE_ENV.account}:stateMachine:${machine.logicalId}`;
    const byLogicalId = new Map<string, LambdaFunction>();
    for (const ref of lambdaFunctions(template)) {
      const resource = template.Resources![ref.logicalId];
      const p = resource.Properties as JsonObject & { Environment?: { Variables?: JsonObject }; Layers?: Json[] };
      const layers = (p.Layers ?? []).map((l) => layerDir(template, out, l));
      if (layers.length > 1) throw new Error(`${ref.logicalId}: more than one layer is not supported`);
      const environment = resolveIntrinsics(p.Environment?.Variables ?? {}, template) as Record<string, string>;
      const fn = new LambdaFunction(
        {
          name: ref.functionName,
          arn: ref.arn,
          assetDir: path.join(out, String(resource.Metadata?.['aws:asset:path'])),
          handler: String(p.Handler),
          environment,
          timeoutSeconds: Number(p.Timeout ?? 3),
          memoryMB: Number(p.MemorySize ?? 128),
          layerDir: layers[0],
        },
        this.sandboxOptions,
        (name, line) => this.log(`[${name}] ${line}`),
      );
      this.functions.set(String(ref.constructPath).split('/').at(-1)!, fn);
      byLogicalId.set(ref.logicalId, fn);
    }
    this.rules = Object.values(template.Resources ?? {})
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => {
        const p = resolveIntrinsics(r.Properties ?? {}, template) as JsonObject & { EventBusName?: string; EventPattern: JsonObject; Targets: JsonObject[] };
        const raw = (r.Properties as { Targets: { Arn: { 'Fn::GetAtt': [string, string] } }[] }).Targets;
        return {
          bus: p.EventBusName ?? 'default',
          pattern: p.EventPattern,
          targets: p.Targets.map((t, i) => {
            const transformer = t.InputTransformer as { InputPathsMap?: Record<string, string>; InputTemplate: string } | undefined;
            return { fn: byLogicalId.get(raw[i].Arn['Fn::GetAtt'][0])!, ...(transformer ? { transformer: { paths: transformer.InputPathsMap ?? {}, template: transformer.InputTemplate } } : {}) };
          }),
        };
      });
  }

  private launch(input: Json, name: string, opts: { signal?: AbortSignal; onEvent?: (e: ExecutionEvent) => void } = {}): string {
    const arn = this.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
    this.running.add(arn);
    const handlers = Object.fromEntries([...this.functions.values()].map((fn) => [fn.spec.name, (event: unknown) => fn.invoke(event)]));
    const startDate = new Date();
    const run = runDefinition(this.definition, input, {
      handlers,
      waitScale: WAIT_SCALE,
      validate: false,
      signal: opts.signal,
      onEvent: opts.onEvent,
      context: { Execution: { Id: arn, Name: name, StartTime: startDate.toISOString() } } as never,
    }).then((result): Execution => {
      this.running.delete(arn);
      // Step Functions announces how every execution ended on the default bus
      this.dispatch('default', {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account: FAKE_ENV.account,
        time: new Date().toISOString(),
        region: FAKE_ENV.region,
        resources: [arn],
        detail: { executionArn: arn, stateMachineArn: this.stateMachineArn, name, status: result.status, startDate: startDate.getTime(), stopDate: Date.now(), input: JSON.stringify(input) },
      });
      return { ...result, arn, name };
    });
    this.track(run);
    this.executions.set(arn, run);
    return arn;
  }

  private deliver(entries: PutEventEntry[]): void {
    for (const e of entries) {
      this.putEvent(e.DetailType ?? '', JSON.parse(e.Detail ?? '{}'), { bus: e.EventBusName ?? 'default', source: e.Source });
    }
  }

  private dispatch(bus: string, event: JsonObject): void {
    for (const rule of this.rules) {
      if (rule.bus !== bus || !matches(rule.pattern, event)) continue;
      for (const target of rule.targets) {
        const payload = target.transformer ? transform(event, target.transformer) : event;
        this.track(target.fn.invoke(payload).catch((e: Error) => this.deliveryErrors.push(`${target.fn.spec.name}: ${e.name}: ${e.message}`)));
      }
    }
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => {});
  }
}

/** `cdk synth` of the app, as an operator runs it (offline, no credentials), with this run's clusters. */
async function synth(out: string, clusters: unknown): Promise<CfnTemplate> {
  await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '-q', '-o', out, '-c', `helm-sfn:clusters=${JSON.stringify(clusters)}`], {
    cwd: ROOT,
    env: { ...process.env, CDK_VALIDATION: 'false' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(fs.readFileSync(path.join(out, `${STACK}.template.json`), 'utf8')) as CfnTemplate;
}

/** The layer's zip from cdk.out, unzipped once per asset hash (Lambda merges layers into /opt). */
function layerDir(template: CfnTemplate, out: string, ref: Json): string {
  const logicalId = (ref as { Ref: string }).Ref;
  const asset = String(template.Resources![logicalId].Metadata?.['aws:asset:path']);
  const dir = path.join(ROOT, '.cache', 'deployed', asset.replace(/\.zip$/, ''));
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    const zip = new AdmZip(path.join(out, asset));
    for (const entry of zip.getEntries()) {
      const target = path.join(dir, entry.entryName);
      if (entry.isDirectory) continue;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, entry.getData(), { mode: 0o755 });
    }
    fs.writeFileSync(path.join(dir, '.complete'), '');
  }
  return dir;
}

/** `helm package` a chart directory and put it in the chart bucket; its s3:// source. */
async function uploadChart(dir: string, s3Url: string, chartDir: string): Promise<string> {
  const target = fs.mkdtempSync(path.join(dir, 'charts-'));
  await promisify(execFile)(binaries().helm, ['package', chartDir, '--destination', target], { env: { ...process.env, HOME: dir } });
  const file = fs.readdirSync(target).find((f) => f.endsWith('.tgz'))!;
  const s3 = new S3Client({ region: FAKE_ENV.region, endpoint: s3Url, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await s3.send(new PutObjectCommand({ Bucket: CHART_BUCKET, Key: `charts/${file}`, Body: fs.readFileSync(path.join(target, file)) }));
  s3.destroy();
  return `s3://${CHART_BUCKET}/charts/${file}`;
}

/** EventBridge pattern matching: lists of values, `prefix` and `exists`, nested objects. */
function matches(pattern: JsonObject, event: Json): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    const value = event !== null && typeof event === 'object' && !Array.isArray(event) ? event[key] : undefined;
    if (Array.isArray(want)) {
      const values = Array.isArray(value) ? value : [value];
      return want.some((w) => {
        if (w !== null && typeof w === 'object' && !Array.isArray(w)) {
          if ('exists' in w) return (value !== undefined) === w.exists;
          if ('prefix' in w) return values.some((v) => typeof v === 'string' && v.startsWith(String(w.prefix)));
          return false;
        }
        return (values as Json[]).includes(w);
      });
    }
    return want !== null && typeof want === 'object' && matches(want as JsonObject, value ?? null);
  });
}

/** An InputTransformer: `<name>` becomes the JSON of the value at its path (inside quotes: the bare string). */
function transform(event: JsonObject, t: { paths: Record<string, string>; template: string }): Json {
  const at = (p: string): Json | undefined => p.replace(/^\$\.?/, '').split('.').filter(Boolean).reduce<Json | undefined>((v, k) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v[k] : undefined), event);
  const text = t.template
    .replace(/"<([\w.-]+)>"/g, (_m, name: string) => JSON.stringify(String(at(t.paths[name]) ?? '')))
    .replace(/<([\w.-]+)>/g, (_m, name: string) => JSON.stringify(at(t.paths[name]) ?? null));
  return JSON.parse(text) as Json;
}
