/**
 * Test helpers for lib/sim: run the real kubectl and helm against a sim, each invocation with
 * the sim's kubeconfig and a HOME of its own test (kubectl and helm cache discovery there).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { binaries } from '../../lib/helm/binaries';
import { startSimCluster, type SimCluster, type SimOperation } from '../../lib/sim';

const exec = promisify(execFile);

export const CHART = path.join(__dirname, 'fixtures', 'hooks-chart');
export const MANIFESTS = path.join(__dirname, 'fixtures', 'manifests');

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Tools {
  kubectl(...args: string[]): Promise<ToolResult>;
  helm(...args: string[]): Promise<ToolResult>;
  home: string;
}

/** kubectl and helm bound to one sim and one fresh HOME. A non-zero exit is returned, not thrown. */
export function tools(sim: SimCluster): Tools {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-home-'));
  const env = { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: sim.kubeconfigPath };
  const run = async (bin: string, args: string[]): Promise<ToolResult> => {
    try {
      const { stdout, stderr } = await exec(bin, args, { env, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  };
  const { kubectl, helm } = binaries();
  return { kubectl: (...args) => run(kubectl, args), helm: (...args) => run(helm, args), home };
}

/** A compact line per operation, e.g. `apply Job r1-pre created`, for order assertions. */
/**
 * A tool's stderr without client-go's reflector notice of a watch it cancelled itself ("watch
 * ended with error … context canceled"): client-go races its own cancellation and prints it
 * against real API servers too (kubernetes/client-go reflector.go); anything else stays.
 */
export const stderrOf = (r: ToolResult): string =>
  r.stderr
    .split('\n')
    .filter((line) => !/reflector\.go:\d+\] "Warning: watch ended with error" .*context canceled/.test(line))
    .join('\n');

export const opLine = (op: SimOperation): string => [op.verb, op.kind, op.name ?? '', op.outcome].join(' ');

/** The operations a client made (controllers' writes have no user agent), from index `from` on. */
export const clientOps = (ops: SimOperation[], from = 0, userAgentPrefix = ''): SimOperation[] =>
  ops.slice(from).filter((o) => o.userAgent?.startsWith(userAgentPrefix));

/** Polls `probe` until it returns a value (not undefined/false); fails naming `what` after `ms`. */
export async function eventually<T>(what: string, probe: () => T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** POSTs or PATCHes JSON to the sim and returns the parsed body (throws on a non-2xx answer). */
export async function send(sim: SimCluster, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> {
  const res = await fetch(`${sim.url}${path}`, { method, headers: { 'Content-Type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export const jobManifest = (name: string, script: string | undefined, spec: object = {}, podSpec: object = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: {
    ...spec,
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', ...(script === undefined ? {} : { command: ['sh', '-c', script] }) }], ...podSpec } },
  },
});

/** A sim and the real tools pointed at it, for one test file: started before its tests, stopped after. */
export function simWithTools(timeScale = 0.05): { readonly sim: SimCluster; readonly t: Tools } {
  const env = {} as { sim: SimCluster; t: Tools };
  beforeAll(async () => {
    env.sim = await startSimCluster({ timeScale });
    env.t = tools(env.sim);
  });
  afterAll(() => env.sim?.stop());
  return env;
}
