/**
 * `helm-sfn sim`: runs the simulated Kubernetes API server (lib/sim) in the foreground, writes
 * its kubeconfig, prints the `export KUBECONFIG=…` line and stops cleanly on SIGINT/SIGTERM.
 */
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import { KUBERNETES_VERSION } from '../../sim/discovery';
import { startSimCluster } from '../../sim';

export interface SimFlags {
  port: number;
  kubeconfig?: string;
  timeScale: number;
}

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
  const sim = await startSimCluster({
    port: flags.port,
    timeScale: flags.timeScale,
    kubeconfigPath: flags.kubeconfig === undefined ? undefined : path.resolve(flags.kubeconfig),
  });
  io.info(`helm-sfn sim: Kubernetes ${KUBERNETES_VERSION.gitVersion} API at ${sim.url} (time scale ${flags.timeScale}); Ctrl-C stops it`);
  io.out(`export KUBECONFIG=${sim.kubeconfigPath}`);
  const signal = await io.untilStopped();
  await sim.stop();
  io.info(`helm-sfn sim: stopped (${signal})`);
}

export function register(program: Command): void {
  program
    .command('sim')
    .description('run the simulated Kubernetes API server (real kubectl and helm work against it) in the foreground')
    .option('--port <n>', 'port on 127.0.0.1 (0 = random)', port, 0)
    .option('--kubeconfig <file>', 'where to write the kubeconfig (default: a temporary file)')
    .option('--time-scale <x>', 'multiply every simulated duration (sleep, pod start, back-off)', timeScale, 1)
    .action((flags: SimFlags) => runSim(flags));
}
