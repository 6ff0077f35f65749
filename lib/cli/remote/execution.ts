/**
 * A release on a deployed orchestrator: upload local sources, StartExecution, then follow
 * GetExecutionHistory with the local mode's progress display until the execution ends.
 * The library never exits the process: it returns the outcome, the command sets the exit code.
 */
import { writeFile } from 'fs/promises';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, StopExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { S3Client } from '@aws-sdk/client-s3';
import type { Json } from '../../local/asl';
import type { ExecutionEvent } from '../../local/runner';
import { s3Uploader, withUploadedSources } from './sources';
import { chartBucketOf, targetFromFlags } from './target';
import type { RemoteFlags } from './flags';

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface RemoteResult {
  readonly executionArn: string;
  readonly status: ExecutionStatus;
  readonly output?: unknown;
  readonly error?: { readonly error: string; readonly cause: string };
}

export interface RemoteRunOptions {
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** Told the execution's ARN as soon as it started. */
  readonly onStarted?: (executionArn: string) => void;
  /** Between two looks at the history. @default 2000 */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default clients in the state machine's region, with the default credential chain */
  readonly sfn?: SFNClient;
  readonly s3?: S3Client;
  readonly now?: () => Date;
  /** Aborting it stops the execution (StopExecution); the result then follows it to its end. */
  readonly signal?: AbortSignal;
  /** Write the execution's event history here once it ended, as GetExecutionHistory returns it. */
  readonly historyFile?: string;
  /** Told when StopExecution failed (the execution then keeps running). */
  readonly onStopFailed?: (message: string) => void;
  /** The helm that packages a local chart directory (default: findHelm()). */
  readonly helmBinary?: () => Promise<string>;
}

export async function runRemotely(input: Record<string, unknown>, flags: RemoteFlags, opts: RemoteRunOptions = {}): Promise<RemoteResult> {
  const target = targetFromFlags(flags);
  const sfn = opts.sfn ?? new SFNClient({ region: target.region });
  const uploaded = await withUploadedSources({ ...input, ...(flags.cluster ? { cluster: flags.cluster } : {}) }, async () =>
    s3Uploader(opts.s3 ?? new S3Client({ region: target.region, followRegionRedirects: true }), await chartBucketOf(target, sfn), opts.helmBinary),
  );
  // an interrupt while the sources were uploading: nothing was started, nothing to stop
  if (opts.signal?.aborted) return { executionArn: '', status: 'ABORTED', error: { error: 'Interrupted', cause: 'interrupted before the execution started' } };
  const name = flags.executionName ?? executionName(uploaded, (opts.now ?? (() => new Date()))());
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: target.stateMachineArn, name, input: JSON.stringify(uploaded) }));
  const executionArn = started.executionArn!;
  opts.onStarted?.(executionArn);
  // the orchestrator's recovery rule frees the lock of a stopped execution
  const stop = () =>
    void sfn
      .send(new StopExecutionCommand({ executionArn, error: 'Interrupted', cause: 'stopped by the helm-sfn command that started it' }))
      .catch((e: Error) => opts.onStopFailed?.(`${e.name}: ${e.message}`));
  // an interrupt during StartExecution already fired 'abort': stop what just started
  if (opts.signal?.aborted) stop();
  else opts.signal?.addEventListener('abort', stop, { once: true });
  try {
    const result = await follow(sfn, executionArn, opts);
    if (opts.historyFile) await writeFile(opts.historyFile, `${JSON.stringify({ events: await fullHistory(sfn, executionArn) }, null, 2)}\n`);
    return result;
  } finally {
    opts.signal?.removeEventListener('abort', stop);
  }
}

/** Every event of the execution, with its data (inputs, outputs, parameters), as GetExecutionHistory returns them. */
async function fullHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, includeExecutionData: true, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** `<release>-<action>-<UTC time>`: readable in the console, and unique per run of a person. */
export function executionName(input: Record<string, unknown>, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '$1Z');
  return `${input.release}-${input.action}-${stamp}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

async function follow(sfn: SFNClient, executionArn: string, opts: RemoteRunOptions): Promise<RemoteResult> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let lastSeen = 0;
  for (;;) {
    // the status is read before the history, so the history read after it holds every event up to the end
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    // a history token ends with its last page: every look reads from the start and skips what was shown
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, includeExecutionData: false, maxResults: 1000 }));
      for (const event of page.events ?? []) {
        if ((event.id ?? 0) <= lastSeen) continue;
        lastSeen = event.id ?? lastSeen;
        const progress = progressEvent(event);
        if (progress) opts.onEvent?.(progress);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') return resultOf(executionArn, execution);
    await sleep(opts.pollMs ?? 2000);
  }
}

function resultOf(executionArn: string, e: { status?: string; output?: string; error?: string; cause?: string }): RemoteResult {
  const status = e.status as ExecutionStatus;
  if (status === 'SUCCEEDED') return { executionArn, status, output: e.output ? JSON.parse(e.output) : undefined };
  return { executionArn, status, error: { error: e.error ?? status, cause: causeText(e.cause) ?? `the execution ended ${status}` } };
}

/** A Lambda's error arrives as JSON { errorType, errorMessage, trace }: people want the message. */
function causeText(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

const STATE_EVENT = /^(Task|Pass|Choice|Wait|Succeed|Fail|Map|Parallel)State(Entered|Exited)$/;

/** History events in the shape the progress printer reads (aws-local-stepfunctions' event log). */
export function progressEvent(event: HistoryEvent): ExecutionEvent | undefined {
  const [, kind, phase] = STATE_EVENT.exec(event.type ?? '') ?? [];
  const timestamp = event.timestamp?.getTime() ?? 0;
  if (phase === 'Entered' && event.stateEnteredEventDetails?.name) {
    return { type: 'StateEntered', timestamp, state: { name: event.stateEnteredEventDetails.name, type: kind as never, input: null } };
  }
  if (phase === 'Exited' && event.stateExitedEventDetails?.name) {
    const { name, output } = event.stateExitedEventDetails;
    return { type: 'StateExited', timestamp, state: { name, type: kind as never, input: null, output: parseOutput(output) } };
  }
  return undefined;
}

/** State outputs are JSON text in the history (absent when execution data is not included). */
function parseOutput(output: string | undefined): Json {
  try {
    return output ? (JSON.parse(output) as Json) : null;
  } catch {
    return null;
  }
}
