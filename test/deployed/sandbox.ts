/**
 * Lambda-like sandboxes for the bundles `cdk synth` writes: one child process per function
 * container, reused while warm. With `unshare` (a private mount namespace; root on Linux) each
 * container sees what Lambda gives it: the asset read-only at /var/task, the runtime at
 * /var/runtime, node at /var/lang/bin/node, the layer read-only at /opt (an empty /opt without
 * one), a fresh 512 MB tmpfs at /tmp, and cwd /var/task. Without it (`isolation: 'process'`) a
 * plain child process gets a private copy of the asset as cwd, a fresh TMPDIR, and `/opt/…`
 * environment values pointed at the unzipped layer. Either way: only the template's environment
 * plus what Lambda's runtime sets, the template's timeout enforced (Sandbox.Timedout, and the
 * container is gone), the node flags Lambda's runtime derives from the memory size, errors in
 * Lambda's shape, and containers frozen (SIGSTOP) between invocations as Lambda freezes them.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const RUNTIME_DIR = path.join(__dirname, 'runtime');

export interface FunctionSpec {
  /** The function's name (its fake ARN's last part). */
  readonly name: string;
  readonly arn: string;
  /** The bundle directory in cdk.out. */
  readonly assetDir: string;
  /** e.g. `index.handler` */
  readonly handler: string;
  /** The template's Environment.Variables, intrinsics resolved. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMB: number;
  /** The unzipped layer, mounted at /opt. */
  readonly layerDir?: string;
}

export interface SandboxOptions {
  /** The node executable the containers run (Lambda's /var/lang/bin/node). */
  readonly node: string;
  readonly isolation: 'unshare' | 'process';
  /** What Lambda's runtime adds: region, the role's credentials, and here the fake endpoints. */
  readonly lambdaEnvironment: Readonly<Record<string, string>>;
}

/** Lambda's error shape, as Step Functions receives it. */
export interface LambdaErrorShape {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
}

export class LambdaError extends Error {
  constructor(readonly shape: LambdaErrorShape) {
    super(shape.errorMessage);
    this.name = shape.errorType;
    // the local runner builds the Cause's trace from the stack
    this.stack = shape.trace.join('\n');
  }
}

export interface Invocation {
  readonly function: string;
  readonly container: string;
  readonly cold: boolean;
  readonly errorType?: string;
  /** Peak resident memory of the container so far (VmHWM), after this invocation. */
  readonly peakRssMB: number;
}

/** Can this process give a child its own mount namespace? (root on Linux with unshare(1)) */
export async function canUnshare(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', 'mount -t tmpfs tmpfs /mnt'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

/** The node flags Lambda's Node.js runtime bootstrap derives from the function's memory. */
function memoryFlags(memoryMB: number): string[] {
  const newSpace = Math.floor(memoryMB / 64);
  return ['--expose-gc', '--max-http-header-size=81920', `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMB - newSpace}`];
}

function peakRssMB(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

class Container {
  readonly id = randomBytes(16).toString('hex');
  readonly logs: string[] = [];
  busy = false;
  invocations = 0;
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private readonly pending = new Map<string, (reply: { payload?: string; error?: LambdaErrorShape }) => void>();
  private exited: Promise<number | null>;
  private readonly scratch: string[] = [];

  constructor(
    private readonly spec: FunctionSpec,
    opts: SandboxOptions,
    private readonly onLog: (line: string) => void,
  ) {
    const date = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    const env: Record<string, string> = {
      ...spec.environment,
      ...opts.lambdaEnvironment,
      AWS_LAMBDA_FUNCTION_NAME: spec.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMB),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${date}/[$LATEST]${this.id}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      _HANDLER: spec.handler,
      LAMBDA_TASK_ROOT: '/var/task',
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
      NODE_PATH: '/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task',
    };
    const args = [...memoryFlags(spec.memoryMB), 'bootstrap.js'];
    if (opts.isolation === 'unshare') {
      const script = [
        'set -e',
        'mount -t tmpfs -o mode=755,size=16m tmpfs /var',
        'mkdir -p /var/task /var/runtime /var/lang/bin',
        'touch /var/lang/bin/node',
        'mount --bind "$1" /var/task; mount -o remount,bind,ro /var/task',
        'mount --bind "$2" /var/runtime; mount -o remount,bind,ro /var/runtime',
        'mount --bind "$3" /var/lang/bin/node',
        'if [ -n "$4" ]; then mount --bind "$4" /opt; mount -o remount,bind,ro /opt; else mount -t tmpfs -o size=1m,mode=755 tmpfs /opt; fi',
        'mount -t tmpfs -o size=512m,mode=1777 tmpfs /tmp',
        'shift 4',
        'cd /var/runtime',
        'exec /var/lang/bin/node "$@"',
      ].join('\n');
      this.child = spawn('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', script, 'sh', spec.assetDir, RUNTIME_DIR, fs.realpathSync(opts.node), spec.layerDir ?? '', ...args.slice(0, -1), path.join('/var/runtime', 'bootstrap.js')], {
        env,
        cwd: '/',
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
    } else {
      // root ignores file modes, so read-only is not enforceable here: a private copy at least keeps the bundle intact
      const task = fs.mkdtempSync(path.join(os.tmpdir(), `task-${spec.name}-`));
      fs.cpSync(spec.assetDir, task, { recursive: true });
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tmp-${spec.name}-`));
      this.scratch.push(task, tmp);
      const atLayer = (v: string) => (spec.layerDir && v.startsWith('/opt/') ? path.join(spec.layerDir, v.slice(5)) : v);
      const local = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, atLayer(v)]));
      this.child = spawn(opts.node, [...args.slice(0, -1), path.join(RUNTIME_DIR, 'bootstrap.js')], {
        env: { ...local, LAMBDA_TASK_ROOT: task, TMPDIR: tmp },
        cwd: task,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
    }
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          this.logs.push(line);
          this.onLog(line);
        }
      });
    }
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((resolve, reject) => ((readyResolve = resolve), (readyReject = reject)));
    this.child.on('message', (m: { type: string; id?: string; payload?: string; error?: LambdaErrorShape }) => {
      if (m.type === 'ready') readyResolve();
      if (m.type === 'result' && m.id) this.pending.get(m.id)?.(m);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    this.exited.then((code) => {
      readyReject(new Error(`container of ${spec.name} exited (${code}) before it was ready: ${this.logs.slice(-5).join(' | ')}`));
      for (const [id, settle] of this.pending) {
        settle({ error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: Runtime exited with error: exit status ${code}`, trace: [] } });
      }
      this.cleanUp();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async invoke(event: unknown): Promise<{ payload?: string; error?: LambdaErrorShape; timedOut: boolean }> {
    const requestId = randomUUID();
    const deadline = Date.now() + this.spec.timeoutSeconds * 1000;
    if (this.invocations > 0) this.child.kill('SIGCONT');
    await this.ready;
    this.invocations++;
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<{ payload?: string; error?: LambdaErrorShape }>((resolve) => this.pending.set(requestId, resolve));
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), deadline - Date.now())));
    this.child.send({ id: requestId, event, deadline, requestId, functionArn: this.spec.arn });
    const outcome = await Promise.race([reply, timeout]);
    clearTimeout(timer);
    this.pending.delete(requestId);
    if (outcome === 'timeout') {
      this.kill();
      const message = `RequestId: ${requestId} Error: Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`;
      return { error: { errorType: 'Sandbox.Timedout', errorMessage: message, trace: [] }, timedOut: true };
    }
    if (this.alive) this.child.kill('SIGSTOP'); // frozen until the next invocation, as Lambda does
    return { ...outcome, timedOut: false };
  }

  kill(): void {
    if (this.alive) {
      this.child.kill('SIGKILL');
      this.child.kill('SIGCONT');
    }
  }

  async stop(): Promise<void> {
    this.kill();
    await this.exited;
  }

  private cleanUp(): void {
    for (const dir of this.scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One function: its containers (created on demand, reused while warm) and what they did. */
export class LambdaFunction {
  readonly containers: Container[] = [];
  readonly invocations: Invocation[] = [];
  /** Replaces Lambda-provided variables in containers started from now on (e.g. other role credentials). */
  lambdaEnvironmentOverride: Record<string, string> = {};

  constructor(
    readonly spec: FunctionSpec,
    private readonly opts: SandboxOptions,
    private readonly onLog: (fn: string, line: string) => void = () => {},
  ) {}

  /** Invoke like Step Functions' Lambda integration: the result, or a LambdaError. */
  async invoke(event: unknown): Promise<unknown> {
    let container = this.containers.find((c) => c.alive && !c.busy);
    const cold = !container;
    if (!container) {
      const opts = { ...this.opts, lambdaEnvironment: { ...this.opts.lambdaEnvironment, ...this.lambdaEnvironmentOverride } };
      container = new Container(this.spec, opts, (line) => this.onLog(this.spec.name, line));
      this.containers.push(container);
    }
    container.busy = true;
    try {
      const { payload, error } = await container.invoke(event);
      let errorType = error?.errorType;
      const peak = peakRssMB(container.pid);
      if (!error && peak > this.spec.memoryMB) {
        container.kill();
        errorType = 'Runtime.OutOfMemory';
      }
      this.invocations.push({ function: this.spec.name, container: container.id, cold, peakRssMB: peak, ...(errorType ? { errorType } : {}) });
      if (errorType === 'Runtime.OutOfMemory') throw new LambdaError({ errorType, errorMessage: `RequestId: Error: Runtime exited with error: signal: killed (peak ${peak.toFixed(0)} MB of ${this.spec.memoryMB} MB)`, trace: [] });
      if (error) throw new LambdaError(error);
      return JSON.parse(payload ?? 'null');
    } finally {
      container.busy = false;
    }
  }

  /** Every log line of every container. */
  get logs(): string[] {
    return this.containers.flatMap((c) => c.logs);
  }

  /** Ends the warm containers: the next invocation starts cold. */
  async recycle(): Promise<void> {
    await Promise.all(this.containers.map((c) => c.stop()));
  }

  async stop(): Promise<void> {
    await this.recycle();
  }
}
