/**
 * `helm-sfn sim`: runs the simulated Kubernetes API server (lib/sim) in the foreground, writes
 * its kubeconfig, prints the `export KUBECONFIG=…` line and stops cleanly on SIGINT/SIGTERM.
 * Optionally it fails a share of requests at random (`--fault-rate`, `--fault-kinds`) and writes
 * every request as a JSON line (`--operation-log`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import type { FaultEffect, SimRequest } from '../../sim';

/** A random fault: an HTTP error status, or a connection reset. */
export type FaultKind = number | 'reset';

export interface SimFlags {
  port: number;
  kubeconfig?: string;
  timeScale: number;
  /** Probability (0..1) that a request on a resource fails. */
  faultRate?: number;
  /** How such a request fails, one picked at random each time; default 500, 429 and reset. */
  faultKinds?: FaultKind[];
  /** Where to write one JSON line per request (time, verb, path, userAgent, status). */
  operationLog?: string;
}

export const DEFAULT_FAULT_KINDS: FaultKind[] = [500, 429, 'reset'];

export interface SimIo {
  /** The `export KUBECONFIG=…` line (stdout). */
  out(line: string): void;
  /** Status lines (stderr). */
  info(line: string): void;
  /** Resolves with the name of the signal that should stop the server. */
  untilStopped(): Promise<string>;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('must be an integer from 0 to 65535 (0 = a random free port)');
  return n;
}

function timeScale(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a positive number (0.1 runs simulated durations 10x faster)');
  return n;
}

function faultRate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a probability from 0 to 1 (0.05 fails one request in twenty)');
  return n;
}

function faultKinds(value: string): FaultKind[] {
  const kinds = value.split(',').map((k) => k.trim());
  const bad = kinds.filter((k) => k !== 'reset' && !(/^\d{3}$/.test(k) && Number(k) >= 400 && Number(k) <= 599));
  if (kinds.length === 0 || bad.length) throw new InvalidArgumentError(`must be a comma-separated list of HTTP error statuses (400-599) and "reset", e.g. 500,429,reset; not ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  return [...new Set(kinds)].map((k) => (k === 'reset' ? 'reset' : Number(k)));
}

function operationLog(value: string): string {
  const file = path.resolve(value);
  const dir = path.dirname(file);
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidArgumentError(`${file} is a directory; name a file`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new InvalidArgumentError(`cannot write a file in ${dir} (missing or not writable)`);
  }
  return file;
}

const faultEffect = (kind: FaultKind): FaultEffect => (kind === 'reset' ? { type: 'reset' } : { type: 'error', code: kind });

/** `500, 429 or a connection reset` */
function describeKinds(kinds: FaultKind[]): string {
  const names = kinds.map((k) => (k === 'reset' ? 'a connection reset' : String(k)));
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** Appends JSON lines; lines after close (watches the stop ends) are dropped. */
function jsonLines(file: string): { write(r: SimRequest): void; close(): Promise<void> } {
  const out = fs.createWriteStream(file, { flags: 'w' });
  let open = true;
  return {
    write: (r) => {
      if (open) out.write(`${JSON.stringify({ time: r.time, verb: r.verb, path: r.path, userAgent: r.userAgent, status: r.status })}\n`);
    },
    close: () =>
      new Promise((resolve, reject) => {
        open = false;
        out.end(() => resolve());
        out.once('error', reject);
      }),
  };
}

const processIo: SimIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  info: (line) => process.stderr.write(`${line}\n`),
  untilStopped: () =>
    new Promise((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve(signal);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    }),
};

/** Starts the sim, reports where it is, and stops it when `io.untilStopped()` resolves. */
export async function runSim(flags: SimFlags, io: SimIo = processIo): Promise<void> {
  const log = flags.operationLog === undefined ? undefined : jsonLines(flags.operationLog);
  // loaded by the command, not its registration: `--help` stays fast (test/cli/startup.test.ts)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startSimCluster } = require('../../sim') as typeof import('../../sim');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KUBERNETES_VERSION } = require('../../sim/discovery') as typeof import('../../sim/discovery');
  const sim = await startSimCluster({
    port: flags.port,
    timeScale: flags.timeScale,
    kubeconfigPath: flags.kubeconfig === undefined ? undefined : path.resolve(flags.kubeconfig),
    onRequest: log?.write,
  });
  io.info(`helm-sfn sim: Kubernetes ${KUBERNETES_VERSION.gitVersion} API at ${sim.url} (time scale ${flags.timeScale}); Ctrl-C stops it`);
  if (flags.faultRate) {
    const kinds = flags.faultKinds ?? DEFAULT_FAULT_KINDS;
    sim.faults.add({ rate: flags.faultRate, effect: kinds.map(faultEffect) });
    io.info(`helm-sfn sim: ${Number((flags.faultRate * 100).toPrecision(6))}% of requests on resources fail with ${describeKinds(kinds)}`);
  }
  if (flags.operationLog) io.info(`helm-sfn sim: writing every request to ${flags.operationLog}`);
  io.out(`export KUBECONFIG=${sim.kubeconfigPath}`);
  const signal = await io.untilStopped();
  await sim.stop();
  await log?.close();
  io.info(`helm-sfn sim: stopped (${signal})`);
}

export function register(program: Command): void {
  program
    .command('sim')
    .description('run the simulated Kubernetes API server (real kubectl and helm work against it) in the foreground')
    .option('--port <n>', 'port on 127.0.0.1 (0 = random)', port, 0)
    .option('--kubeconfig <file>', 'where to write the kubeconfig (default: a temporary file)')
    .option('--time-scale <x>', 'multiply every simulated duration (sleep, pod start, back-off)', timeScale, 1)
    .option('--fault-rate <p>', 'fail this share (0..1) of the requests on resources, at random (discovery is never faulted)', faultRate)
    .option('--fault-kinds <list>', 'how they fail, one picked per fault: HTTP statuses and "reset" (default: 500,429,reset)', faultKinds)
    .option('--operation-log <file>', 'write every request as a JSON line: time, verb, path, userAgent, status (no bodies)', operationLog)
    .action((flags: SimFlags, cmd: Command) => {
      if (flags.faultKinds && flags.faultRate === undefined) cmd.error("error: option '--fault-kinds <list>' needs --fault-rate <p>");
      return runSim(flags);
    });
}
