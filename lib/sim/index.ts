/**
 * lib/sim: an in-process Kubernetes API server on 127.0.0.1 that real kubectl 1.34, real Helm
 * 4.1.4 and @kubernetes/client-node drive unmodified. It is the embedded cluster of
 * `npm start`, the tests and the benchmarks.
 *
 * @example
 * const sim = await startSimCluster({ timeScale: 0.1 });
 * // KUBECONFIG=sim.kubeconfigPath helm install …
 * await sim.stop();
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { SimClock } from './clock';
import { startControllers } from './controllers';
import { SimFaults } from './faults';
import { createHandler } from './http';
import { ObjectApi } from './objects';
import { OperationLog, type SimOperation } from './operations';
import { PodLogs } from './podlogs';
import { Registry } from './registry';
import { seedCluster } from './seed';
import { Store } from './storage';
import { Watches } from './watch';

export type { SimOperation } from './operations';
export type { FaultEffect, FaultRule, SimVerb } from './faults';
export { SimFaults } from './faults';

export interface SimClusterOptions {
  /** 0 = a random free port (default). */
  port?: number;
  /** Multiplies every simulated duration (sleep, container start, default run time, back-off); default 1. */
  timeScale?: number;
  /** Where to write the kubeconfig; default: a file in a new temporary directory, removed on stop. */
  kubeconfigPath?: string;
  /**
   * Run the workload controllers (kubelet, Jobs, Deployments, …; Events, LB IPs, PVC binding);
   * default true. Namespace lifecycle, garbage collection and CRD establishment always run.
   */
  controllers?: boolean;
  /** Seed of the random generator (uids, generated names, container ids); default: the current time. */
  seed?: number;
  /**
   * Record each write request's Content-Type and body in the operation log (`body`,
   * `contentType`); default false. Bodies may hold Secret data: for tests only.
   */
  captureBodies?: boolean;
}

export interface SimCluster {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** A kubeconfig with the server url, `insecure-skip-tls-verify: true` and context `sim`. */
  readonly kubeconfigPath: string;
  /** The operation log (append-only). */
  readonly operations: SimOperation[];
  /** Fault rules: error rates, 429 with Retry-After, connection resets, latency. */
  readonly faults: SimFaults;
  /** Reconcile failures inside controllers (should stay empty). */
  readonly controllerErrors: readonly string[];
  /** Direct read, no HTTP. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): object | undefined;
  list(apiVersion: string, kind: string, namespace?: string): object[];
  /** The log lines a pod's container wrote so far (its only container when omitted). */
  podLogs(namespace: string, pod: string, container?: string): string[];
  /** Closes watches, connections and timers; leaves no open handle. */
  stop(): Promise<void>;
}

export function kubeconfigYaml(url: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: sim',
    '  cluster:',
    `    server: ${url}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: sim',
    '  user:',
    '    token: sim',
    'contexts:',
    '- name: sim',
    '  context:',
    '    cluster: sim',
    '    user: sim',
    '    namespace: default',
    'current-context: sim',
    '',
  ].join('\n');
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function startSimCluster(opts: SimClusterOptions = {}): Promise<SimCluster> {
  const clock = new SimClock(opts.timeScale ?? 1, opts.seed);
  const registry = new Registry();
  const store = new Store();
  const api = new ObjectApi(registry, store, clock);
  const operations = new OperationLog(clock, undefined, opts.captureBodies ?? false);
  const faults = new SimFaults(clock);
  const podLogs = new PodLogs();
  const watches = new Watches(store, clock);
  const errors: string[] = [];
  const stopControllers = startControllers({ registry, store, api, clock, operations, podLogs, errors }, opts.controllers ?? true);

  seedCluster(api);

  let hostPort = '';
  const server = http.createServer(createHandler({ registry, store, api, clock, watches, faults, operations, podLogs, hostPort: () => hostPort }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  hostPort = `127.0.0.1:${port}`;
  const url = `http://${hostPort}`;

  const tempDir = opts.kubeconfigPath ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'helm-sfn-sim-'));
  const kubeconfigPath = opts.kubeconfigPath ?? path.join(tempDir!, 'kubeconfig');
  fs.mkdirSync(path.dirname(kubeconfigPath), { recursive: true });
  fs.writeFileSync(kubeconfigPath, kubeconfigYaml(url), { mode: 0o600 });

  // let the namespace controller create each namespace's default ServiceAccount and ConfigMap
  await macrotask();
  await macrotask();

  const typeOf = (apiVersion: string, kind: string) => {
    const t = registry.byKind(apiVersion, kind);
    if (!t) throw new Error(`sim: no kind ${kind} in ${apiVersion}`);
    return t;
  };
  let stopped = false;
  return {
    url,
    kubeconfigPath,
    operations: operations.entries,
    faults,
    controllerErrors: errors,
    get: (apiVersion, kind, namespace, name) => api.find(typeOf(apiVersion, kind), namespace, name),
    list: (apiVersion, kind, namespace) => api.list(typeOf(apiVersion, kind), namespace),
    podLogs(namespace, pod, container) {
      const p = api.find(typeOf('v1', 'Pod'), namespace, pod) as { metadata: { uid?: string }; spec?: { containers?: { name: string }[] } } | undefined;
      if (!p) return [];
      return podLogs.read(p.metadata.uid!, container ?? p.spec?.containers?.[0]?.name ?? '').lines.map((l) => l.text);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      stopControllers();
      clock.stop();
      watches.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
