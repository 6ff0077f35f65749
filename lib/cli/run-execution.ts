/**
 * Run one execution locally (the synthesized state machine, lib/engine tasks, the cluster of
 * $KUBECONFIG), or on a deployed orchestrator when the flags name one (./remote), with live
 * progress, then print the result. Exit code 1 on failure; returns whether the execution succeeded.
 */
import { mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import type { ReleaseOutput } from '../core/contract';
import type { RegistryCredentials } from '../helm/chart-pull';
import { findHelm } from '../helm/helm-binary';
import { executionHistory } from '../local/history';
import { localFunctionArn, runReleaseLocally, type LocalReleaseOptions } from '../local/run-locally';
import { structured, type OutputFormat } from './output';
import { ProgressPrinter } from './progress';
import { checkModeFlags, isRemote, type RemoteFlags } from './remote/flags';

export interface RunFlags extends RemoteFlags {
  readonly output: OutputFormat;
  readonly kubeconfig?: string;
  readonly kubeContext?: string;
  /** `--helm-binary`; see findHelm. */
  readonly helmBinary?: string;
  /** Multiplies the poll waits and retry pauses (1 = real durations). */
  readonly waitScale?: number;
  /** Show the logs hooks write (test pods' logs, output-log policies); default true. */
  readonly hookLogs?: boolean;
  /** Write the execution's event history here, as GetExecutionHistory returns it. */
  readonly historyFile?: string;
  /** Local runs: the chart registry's or repository's credentials (--username/--password). */
  readonly chartCredentials?: RegistryCredentials;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const SIGNAL_EXIT_CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143 };

export async function runAndReport(input: Record<string, unknown>, flags: RunFlags): Promise<boolean> {
  checkModeFlags(flags);
  const progress = new ProgressPrinter((line) => process.stderr.write(`${line}\n`), flags.hookLogs ?? true);
  // SIGINT/SIGTERM stop this run's own execution and let its lock be freed (locally: the failure
  // path's recovery; remotely: StopExecution, then the orchestrator's recovery rule), as helm
  // cancels its release on an interrupt (pkg/cmd/install.go). A second signal is not caught: it
  // ends the process at once (a remote execution then runs on, detached).
  const abort = new AbortController();
  let stoppedBy: (typeof SIGNALS)[number] | undefined;
  const handlers = SIGNALS.map((signal) => {
    const handler = () => {
      stoppedBy = signal;
      for (const [s, h] of handlers) process.removeListener(s, h);
      const detach = isRemote(flags) ? ', leaving the execution running' : '';
      process.stderr.write(`\n${signal}: stopping the execution and freeing its lock (again to quit at once${detach})\n`);
      abort.abort();
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  try {
    return await withSetFile(input, async (runInput) => {
      const onEvent = flags.output === 'table' ? progress.onEvent : undefined;
      const result = isRemote(flags)
        ? // the AWS SDK loads only for a remote run (test/cli/startup.test.ts)
          await (require('./remote/execution') as typeof import('./remote/execution')).runRemotely(runInput, flags, {
            onEvent,
            signal: abort.signal,
            historyFile: flags.historyFile,
            helmBinary: async () => (await findHelm({ flag: flags.helmBinary })).path,
            onStopFailed: (message) => process.stderr.write(`could not stop the execution (${message}); it runs on\n`),
            onStarted: (arn) => flags.output === 'table' && process.stderr.write(`execution ${arn}\n`),
          })
        : await runLocally(runInput, flags, { onEvent, logger: flags.output === 'table' ? progress.logger : undefined, signal: abort.signal });
      if (result.status === 'SUCCEEDED') {
        const output = result.output as unknown as ReleaseOutput;
        if (flags.output === 'table') progress.summary(output);
        else process.stdout.write(structured(flags.output, output));
        return true;
      }
      const error = result.error ? { error: result.error.error, cause: causeText(result.error.cause) } : { error: result.status, cause: `the execution ended ${result.status}` };
      if (flags.output !== 'table') process.stdout.write(structured(flags.output, { status: result.status, ...error }));
      process.stderr.write(`\nError: ${error.error}: ${error.cause}\n`);
      process.exitCode = stoppedBy ? SIGNAL_EXIT_CODES[stoppedBy] : 1;
      return false;
    });
  } finally {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  }
}

/** A local run; the history file is written from its event log (as GetExecutionHistory shows it). */
async function runLocally(input: Record<string, unknown>, flags: RunFlags, opts: Pick<LocalReleaseOptions, 'onEvent' | 'logger' | 'signal'>) {
  // only install and upgrade render, so only they need a helm; the run awaits its check
  const helm = input.chart || input.action === 'upgrade' ? findHelm({ flag: flags.helmBinary }) : undefined;
  helm?.catch(() => undefined); // an input refused first makes this failure moot
  const result = await runReleaseLocally(input, { kubeconfigPath: flags.kubeconfig, kubeContext: flags.kubeContext, helm, waitScale: flags.waitScale, chartCredentials: flags.chartCredentials, ...opts });
  if (flags.historyFile) await writeFile(flags.historyFile, `${JSON.stringify(executionHistory(result, localFunctionArn), null, 2)}\n`);
  return result;
}

/**
 * `--set` items never enter the execution input, where the history and the console would show
 * them: they go to a private file (a directory only this user reads, the file 0600), the input
 * names it in `setFrom`, and it is removed after the run. Remote mode uploads it like a values
 * file (an object under a random key in the KMS-encrypted chart bucket). The renderer hands the
 * items to helm as `--set`, so they keep Helm's exact meaning.
 */
async function withSetFile<T>(input: Record<string, unknown>, run: (input: Record<string, unknown>) => Promise<T>): Promise<T> {
  const { set, ...rest } = input;
  if (!Array.isArray(set) || set.length === 0) return run(rest);
  const dir = await mkdtemp(path.join(tmpdir(), 'helm-sfn-set-'));
  try {
    const file = path.join(dir, 'set.json');
    await writeFile(file, JSON.stringify(set), { mode: 0o600 });
    const setFrom = [...(Array.isArray(rest.setFrom) ? rest.setFrom : []), file];
    return await run({ ...rest, setFrom });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A Lambda's error arrives as JSON { errorType, errorMessage, trace }: people want the message. */
function causeText(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

