/**
 * Run one execution locally (the synthesized state machine, lib/engine tasks, the cluster of
 * $KUBECONFIG), or on a deployed orchestrator when the flags name one (./remote), with live
 * progress, then print the result. Exit code 1 on failure; returns whether the execution succeeded.
 */
import type { ReleaseOutput } from '../core/contract';
import { runReleaseLocally } from '../local/release';
import { ProgressPrinter } from './progress';
import { runRemotely } from './remote/execution';
import { checkModeFlags, isRemote, type RemoteFlags } from './remote/flags';

export interface RunFlags extends RemoteFlags {
  readonly output: 'table' | 'json';
  readonly kubeconfig?: string;
  /** Multiplies the poll waits (1 = real durations). */
  readonly waitScale?: number;
  /** Show the logs hooks write (test pods' logs, output-log policies); default true. */
  readonly hookLogs?: boolean;
}

export async function runAndReport(input: Record<string, unknown>, flags: RunFlags): Promise<boolean> {
  checkModeFlags(flags);
  const progress = new ProgressPrinter((line) => process.stderr.write(`${line}\n`), flags.hookLogs ?? true);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    const onEvent = flags.output === 'table' ? progress.onEvent : undefined;
    const result = isRemote(flags)
      ? await runRemotely(input, flags, { onEvent, onStarted: (arn) => flags.output === 'table' && process.stderr.write(`execution ${arn}\n`) })
      : await runReleaseLocally(input, {
          kubeconfigPath: flags.kubeconfig,
          waitScale: flags.waitScale,
          onEvent,
          logger: flags.output === 'table' ? progress.logger : undefined,
          signal: abort.signal,
        });
    if (result.status === 'SUCCEEDED') {
      const output = result.output as unknown as ReleaseOutput;
      if (flags.output === 'json') process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
      else progress.summary(output);
      return true;
    }
    const error = result.error ?? { error: result.status, cause: `the execution ended ${result.status}` };
    if (flags.output === 'json') process.stdout.write(`${JSON.stringify({ status: result.status, ...error }, null, 2)}\n`);
    process.stderr.write(`\nError: ${error.error}: ${error.cause}\n`);
    process.exitCode = 1;
    return false;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}
