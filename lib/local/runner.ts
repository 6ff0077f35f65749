import './polyfills'; // must run before aws-local-stepfunctions is loaded (Node 20)
/**
 * Run a plain ASL definition (see ./asl.ts) in-process with aws-local-stepfunctions, every
 * Lambda Task routed to a local handler, and report what Step Functions would have recorded:
 * status, output or error, the event log, transitions, payload sizes and task calls.
 */
import { performance } from 'perf_hooks';
import { setTimeout as sleep } from 'timers/promises';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import type { RunOptions, StateMachineDefinition } from 'aws-local-stepfunctions';
import { ErrorName, HelmSfnError } from '../core/errors';
import { isPlainObject } from '../core/objects';
import { ANY_FUNCTION, functionKey, type AslDefinition, type AslState, type Json, type JsonObject, type LambdaFunctionRef } from './asl';

/** A local stand-in for a Lambda function: gets the event, returns the result or throws. */
export type TaskHandler = (event: unknown) => Promise<unknown> | unknown;

/** One entry of aws-local-stepfunctions' event log (StateEntered, StateExited, MapIterationStarted, ...). */
export type ExecutionEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface LocalRunOptions {
  /** Handlers by function key: the function name in the Task's ARN (a logical id for ./asl.ts's fake ARNs), or ANY_FUNCTION. */
  readonly handlers: Readonly<Record<string, TaskHandler>>;
  /** Multiplies every Wait state's real duration. @default 1 (real durations); 0 = no waiting */
  readonly waitScale?: number;
  /** Called with each event as it happens (live progress). If it throws, the run rejects with that error once the execution is over. */
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** The context object (`$$`); Execution.Input and Execution.StartTime are always set. */
  readonly context?: RunOptions['context'];
  /** Validate the definition before running it (150-350 ms). @default true */
  readonly validate?: boolean;
  /** Aborting it aborts the execution: the result then has status ABORTED. */
  readonly signal?: AbortSignal;
}

export interface TaskCall {
  readonly stateName: string;
  readonly functionKey: string;
  readonly inputBytes: number;
  /** Bytes of the raw task result (before ResultSelector); 0 when the handler threw. */
  readonly resultBytes: number;
  readonly ms: number;
  /** The error name when the handler threw. */
  readonly error?: string;
  /** When the call started (epoch ms), and the event and result (or the error's cause) as JSON text: what Step Functions records. */
  readonly startedAt: number;
  readonly event: string;
  readonly result?: string;
  readonly cause?: string;
}

/** A call is recorded when it starts (so calls stay in start order) and completed when it ends. */
type PendingTaskCall = { -readonly [K in keyof TaskCall]: TaskCall[K] };

export interface PayloadSize {
  readonly bytes: number;
  readonly state: string;
  readonly kind: 'input' | 'output' | 'taskResult';
}

/** A Wait the runner scaled: how long it waited, in order. */
export interface ScaledWait {
  readonly state: string;
  readonly ms: number;
}

export interface LocalRunResult {
  readonly status: ExecutionStatus;
  readonly output?: Json;
  /** The execution's Error and Cause, when status is FAILED. */
  readonly error?: { readonly error: string; readonly cause: string };
  readonly events: ExecutionEvent[];
  /** StateEntered events, Map iterations and Parallel branches included. */
  readonly transitions: number;
  /** The largest state input, state output or raw task result; Step Functions' limit is 262,144 bytes. */
  readonly maxPayloadBytes: PayloadSize;
  readonly taskCalls: TaskCall[];
  /** The Waits run with a `waitScale` other than 1, and the time each was given (real Waits: none). */
  readonly waits: ScaledWait[];
  /** The pause before every Task retry (the retrier's interval, backoff, cap and jitter, times `waitScale`), in order. */
  readonly retryWaits: ScaledWait[];
}

/**
 * aws-local-stepfunctions 3 validates these but does not execute them (JSONata, variables,
 * distributed Map features, ...): the run would silently compute wrong data, so it is refused.
 */
const UNSUPPORTED_FIELDS = [
  'Assign', 'Arguments', 'Output', 'Items', 'ItemReader', 'ItemBatcher', 'ResultWriter', 'Credentials',
  'ToleratedFailureCount', 'ToleratedFailureCountPath', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath',
];

const LAMBDA_FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/;
const LAMBDA_INVOKE = /^arn:[^:]+:states:::lambda:invoke$/;

/** Resource of the Task a scaled Wait becomes (see waitAsTask). */
const SCALED_WAIT_RESOURCE = 'arn:aws:lambda:us-east-1:123456789012:function:helm-sfn-local-scaled-wait';
/** How long an ended execution waits for task calls still running. */
const IN_FLIGHT_GRACE_MS = 60_000;
/** Node's timers overflow above 2^31-1 ms (and fire at once), so the library's task timeout must stay below. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function invalid(where: string, rule: string): HelmSfnError {
  return new HelmSfnError(ErrorName.InvalidInput, `${where}: ${rule}`);
}

const isObject = (value: Json | undefined): value is JsonObject => isPlainObject(value);

const isDefinition = (value: Json | undefined): value is AslDefinition => isObject(value) && isObject(value.States);

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/** Rebuild a definition state by state, descending into Map processors and Parallel branches first. */
function mapStates(definition: AslDefinition, visit: (name: string, state: AslState, where: string) => AslState, where = 'States'): AslDefinition {
  const states = Object.entries(definition.States).map(([name, state]): [string, AslState] => {
    const at = `${where}.${name}`;
    const children: JsonObject = {};
    for (const field of ['ItemProcessor', 'Iterator']) {
      const processor = state[field];
      if (isDefinition(processor)) children[field] = mapStates(processor, visit, `${at}.${field}.States`);
    }
    const branches = state.Branches;
    if (Array.isArray(branches)) {
      children.Branches = branches.map((branch, i) => (isDefinition(branch) ? mapStates(branch, visit, `${at}.Branches[${i}].States`) : branch));
    }
    return [name, visit(name, { ...state, ...children }, at)];
  });
  return { ...definition, States: Object.fromEntries(states) };
}

function refuseUnsupported(state: AslState, where: string): void {
  const refuse = (feature: string) => invalid(where, `${feature} is not executed by aws-local-stepfunctions, so it cannot run locally`);
  if (state.QueryLanguage === 'JSONata') throw refuse('QueryLanguage JSONata');
  const field = UNSUPPORTED_FIELDS.find((f) => f in state);
  if (field) throw refuse(`field ${field}`);
  const processor = state.ItemProcessor;
  if (isObject(processor) && isObject(processor.ProcessorConfig) && processor.ProcessorConfig.Mode === 'DISTRIBUTED') {
    throw refuse('a DISTRIBUTED Map');
  }
}

/**
 * Step Functions reports a Lambda function error with Error = the error's name and Cause = the
 * JSON the runtime returns; Retry/Catch match on that name (the library reads `error.name`).
 */
function asLambdaError(thrown: unknown): Error {
  const original = thrown instanceof Error ? thrown : new Error(String(thrown));
  const errorType = original.name || 'Error';
  const error = new Error(JSON.stringify({ errorType, errorMessage: original.message, trace: (original.stack ?? '').split('\n') }));
  error.name = errorType;
  return error;
}

/** What the `lambda:invoke` integration returns around the function's result. */
const invokeEnvelope = (payload: Json): JsonObject => ({
  ExecutedVersion: '$LATEST',
  Payload: payload,
  SdkHttpMetadata: { HttpStatusCode: 200 },
  SdkResponseMetadata: { RequestId: 'local' },
  StatusCode: 200,
});

type LocalHandler = (input: Json) => Promise<Json>;

/** The override for a Lambda Task: both the function-ARN style (payloadResponseOnly) and lambda:invoke. */
function lambdaTask(stateName: string, state: AslState, where: string, handlers: LocalRunOptions['handlers'], calls: PendingTaskCall[]): LocalHandler {
  const resource = String(state.Resource);
  const parameters = isObject(state.Parameters) ? state.Parameters : {};
  const direct = LAMBDA_FUNCTION_ARN.test(resource);
  if (!direct && !LAMBDA_INVOKE.test(resource)) {
    throw invalid(where, `Task Resource '${resource}' cannot run locally (only Lambda function ARNs and arn:aws:states:::lambda:invoke)`);
  }
  if (!direct && typeof parameters.FunctionName !== 'string') {
    throw invalid(where, 'lambda:invoke needs a literal Parameters.FunctionName to pick a local handler');
  }
  const key = functionKey(direct ? resource : String(parameters.FunctionName));
  const handler = handlers[key] ?? handlers[ANY_FUNCTION];
  if (!handler) throw invalid(where, `no handler for function '${key}' (handlers: ${Object.keys(handlers).join(', ') || 'none'})`);

  return async (input) => {
    // lambda:invoke hands the task its resolved Parameters; the function gets Payload.
    const eventText = JSON.stringify((direct ? input : isObject(input) ? input.Payload : undefined) ?? {});
    const call: PendingTaskCall = { stateName, functionKey: key, inputBytes: byteLength(eventText), resultBytes: 0, ms: 0, startedAt: Date.now(), event: eventText };
    calls.push(call);
    const started = performance.now();
    try {
      // Lambda serializes both ways: the handler gets its own copy, and its result is JSON.
      const payloadText = JSON.stringify((await handler(JSON.parse(eventText))) ?? null);
      const resultText = direct ? payloadText : JSON.stringify(invokeEnvelope(JSON.parse(payloadText) as Json));
      call.resultBytes = byteLength(resultText);
      call.result = payloadText;
      return JSON.parse(resultText) as Json;
    } catch (e) {
      const error = asLambdaError(e);
      call.error = error.name;
      call.cause = error.message;
      throw error;
    } finally {
      call.ms = performance.now() - started;
    }
  };
}

/**
 * aws-local-stepfunctions' waitTimeOverrides is one fixed number per state name, so it cannot
 * scale a duration read at run time (SecondsPath, TimestampPath) or relative to now (Timestamp).
 * A scaled Wait (any kind, so there is one mechanism) runs as a Task with the same name,
 * InputPath, OutputPath and Next/End, whose Parameters evaluate the duration exactly where the
 * Wait would; its local handler sleeps the scaled duration, records it, and returns the input
 * unchanged, which is what a Wait outputs. Events report it as Wait.
 */
function waitAsTask(state: AslState): AslState {
  const { Seconds, SecondsPath, Timestamp, TimestampPath, ...rest } = state;
  const until: JsonObject =
    Seconds !== undefined
      ? { seconds: Seconds }
      : SecondsPath !== undefined
        ? { 'seconds.$': SecondsPath }
        : TimestampPath !== undefined
          ? { 'timestamp.$': TimestampPath }
          : { timestamp: Timestamp ?? null };
  return { ...rest, Type: 'Task', Resource: SCALED_WAIT_RESOURCE, Parameters: { ...until, 'input.$': '$' }, TimeoutSeconds: MAX_TIMER_SECONDS };
}

function scaledWait(name: string, where: string, scale: number, signal: AbortSignal, waits: ScaledWait[]): LocalHandler {
  const runtimeError = (rule: string) => Object.assign(new Error(`${where}: ${rule}`), { name: 'States.Runtime' });
  return async (parameters) => {
    const { seconds, timestamp, input } = isObject(parameters) ? parameters : {};
    let ms: number;
    if (seconds !== undefined) {
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) throw runtimeError(`SecondsPath must select an integer >= 0, got ${JSON.stringify(seconds)}`);
      ms = seconds * 1000;
    } else {
      const at = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
      if (Number.isNaN(at)) throw runtimeError(`the timestamp must be an RFC 3339 string, got ${JSON.stringify(timestamp)}`);
      ms = Math.max(0, at - Date.now());
    }
    waits.push({ state: name, ms: ms * scale });
    await sleep(ms * scale, undefined, { signal });
    return input ?? null;
  };
}

/** One Retry rule; absent fields take ASL's defaults (1 s, 3 attempts, rate 2, no cap, no jitter). */
interface Retrier {
  readonly ErrorEquals: string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'NONE' | 'FULL';
}

/** ASL's matching: the name itself, States.ALL (all but States.Runtime), States.TaskFailed (all but a timeout). */
function errorMatches(names: readonly string[], error: string): boolean {
  return names.some(
    (n) => n === error || (n === 'States.ALL' && error !== 'States.Runtime') || (n === 'States.TaskFailed' && error !== 'States.Timeout' && error !== 'States.Runtime'),
  );
}

/** The pause before retry number `attempt` (0-based) of `retrier`, in seconds, before scaling. */
export function retryDelaySeconds(retrier: Retrier, attempt: number, random: () => number = Math.random): number {
  const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
  const capped = retrier.MaxDelaySeconds !== undefined ? Math.min(interval, retrier.MaxDelaySeconds) : interval;
  return retrier.JitterStrategy === 'FULL' ? random() * capped : capped;
}

interface RetryScope {
  readonly scale: number;
  readonly signal: AbortSignal;
  readonly retryWaits: ScaledWait[];
  readonly emit: (event: ExecutionEvent) => void;
  /** Handler calls not yet settled: an aborted run waits for them, so no task writes after it returned. */
  readonly inFlight: Set<Promise<unknown>>;
}

/**
 * A Task's Retry, run here instead of by aws-local-stepfunctions, which sleeps either the
 * definition's real intervals or one fixed override per state, and records neither. As Step
 * Functions does: per state entry, retrier i pauses IntervalSeconds × BackoffRate^n, capped at
 * MaxDelaySeconds, drawn uniformly below that with JitterStrategy FULL (times `waitScale`, like
 * Waits), up to MaxAttempts; the first retrier whose ErrorEquals matches decides. TimeoutSeconds
 * bounds each attempt. Events: StateFailed then StateRetried before every new attempt.
 */
function withRetries(name: string, state: AslState, handler: LocalHandler, scope: RetryScope): LocalHandler {
  const retriers = (Array.isArray(state.Retry) ? state.Retry : []) as unknown as Retrier[];
  const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
  const attempt = (input: Json): Promise<Json> => {
    const call = handler(input);
    scope.inFlight.add(call);
    void call.then(
      () => scope.inFlight.delete(call),
      () => scope.inFlight.delete(call),
    );
    if (timeoutSeconds === undefined) return call;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('Task timed out.'), { name: 'States.Timeout' })), timeoutSeconds * 1000);
    });
    return Promise.race([call, timedOut]).finally(() => clearTimeout(timer));
  };
  return async (input) => {
    const attempts = retriers.map(() => 0);
    for (;;) {
      try {
        return await attempt(input);
      } catch (e) {
        const error = e as Error;
        const i = retriers.findIndex((r) => errorMatches(r.ErrorEquals, error.name));
        if (i < 0 || attempts[i] >= (retriers[i].MaxAttempts ?? 3) || scope.signal.aborted) throw error;
        const ms = retryDelaySeconds(retriers[i], attempts[i]) * 1000 * scope.scale;
        const stateData = { name, type: 'Task' as const, input };
        scope.emit({ type: 'StateFailed', timestamp: Date.now(), state: stateData, Error: error.name, Cause: error.message });
        scope.retryWaits.push({ state: name, ms });
        await sleep(ms, undefined, { signal: scope.signal });
        attempts[i]++;
        scope.emit({ type: 'StateRetried', timestamp: Date.now(), state: stateData, retry: { retrier: retriers[i] as never, attempt: attempts[i] } });
      }
    }
  };
}

/**
 * `ResultPath: "$"` is ASL's default (the result replaces the input), but aws-local-stepfunctions
 * writes it as a field named "$", and fails on a non-object input: leave it to the default.
 */
function withoutRootResultPath(state: AslState): AslState {
  const { ResultPath, ...rest } = state;
  const out: AslState = ResultPath === '$' ? (rest as AslState) : state;
  if (!Array.isArray(state.Catch)) return out;
  return { ...out, Catch: state.Catch.map((c) => (isObject(c) && c.ResultPath === '$' ? (({ ResultPath: _r, ...keep }) => keep)(c) : c)) };
}

/** Waits until every promise settled, or `ms` passed. */
async function settled(promises: Set<Promise<unknown>>, ms: number): Promise<void> {
  if (promises.size === 0) return;
  const giveUp = new AbortController();
  await Promise.race([Promise.allSettled([...promises]), sleep(ms, undefined, { signal: giveUp.signal }).catch(() => undefined)]);
  giveUp.abort();
}

/** Retry of a Map or Parallel (the library runs it): intervals scaled like Waits, not recorded. */
function scaledRetrier(retrier: Json, scale: number): Json {
  if (!isObject(retrier)) return retrier;
  const r = retrier as unknown as Retrier;
  return { ...retrier, IntervalSeconds: (r.IntervalSeconds ?? 1) * scale, ...(r.MaxDelaySeconds !== undefined ? { MaxDelaySeconds: r.MaxDelaySeconds * scale } : {}) };
}

function requireNonNegative(option: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw invalid(`options.${option}`, `must be a finite number >= 0, got ${value}`);
}

function largestPayload(events: readonly ExecutionEvent[], calls: readonly TaskCall[]): PayloadSize {
  const sizes: PayloadSize[] = calls.map((c) => ({ bytes: c.resultBytes, state: c.stateName, kind: 'taskResult' }));
  for (const event of events) {
    if (event.type === 'StateEntered') sizes.push({ bytes: byteLength(JSON.stringify(event.state.input ?? null)), state: event.state.name, kind: 'input' });
    if (event.type === 'StateExited') sizes.push({ bytes: byteLength(JSON.stringify(event.state.output ?? null)), state: event.state.name, kind: 'output' });
  }
  return sizes.reduce((max, s) => (s.bytes > max.bytes ? s : max), { bytes: 0, state: '', kind: 'input' });
}

function outcome(thrown: unknown): Pick<LocalRunResult, 'status' | 'error'> {
  if (thrown instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (thrown instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT' };
  // ExecutionError wraps the state error: its name is the ASL Error, its message the Cause.
  if (thrown instanceof ExecutionError && thrown.cause instanceof Error) {
    return { status: 'FAILED', error: { error: thrown.cause.name, cause: thrown.cause.message } };
  }
  throw thrown;
}

/**
 * Execute `definition` with `input`. Throws (InvalidInput, naming the state and the rule) before
 * running anything if the definition uses a feature that cannot run locally or a Task has no
 * handler; otherwise resolves with the execution's result, whatever its status.
 */
export async function runDefinition(definition: AslDefinition, input: Json, options: LocalRunOptions): Promise<LocalRunResult> {
  const waitScale = options.waitScale ?? 1;
  requireNonNegative('waitScale', waitScale);
  if (definition.QueryLanguage === 'JSONata') throw invalid('QueryLanguage', 'JSONata is not executed by aws-local-stepfunctions');

  const stop = new AbortController(); // ends scaled waits and retry pauses once the execution is over
  const taskCalls: PendingTaskCall[] = [];
  const taskResourceLocalHandlers: Record<string, LocalHandler> = {};
  const scaledWaits = new Set<string>();
  const waits: ScaledWait[] = [];
  const retryWaits: ScaledWait[] = [];
  const events: ExecutionEvent[] = [];
  const emit = (event: ExecutionEvent) => {
    if ('state' in event && scaledWaits.has(event.state.name)) event.state.type = 'Wait';
    events.push(event);
    options.onEvent?.(event);
  };
  const retryScope: RetryScope = { scale: waitScale, signal: stop.signal, retryWaits, emit, inFlight: new Set() };

  // mapStates copies every state: the library's validator writes QueryLanguage into the states it is given.
  const runnable = mapStates(definition, (name, input, where) => {
    refuseUnsupported(input, where);
    let state = withoutRootResultPath(input);
    if (state.Type === 'Task') {
      // the retries run in the handler (see withRetries); the library's own per-task timeout (60 s by default) would cut them short
      const { Retry: _retry, ...rest } = state;
      taskResourceLocalHandlers[name] = withRetries(name, state, lambdaTask(name, state, where, options.handlers, taskCalls), retryScope);
      return { ...rest, TimeoutSeconds: MAX_TIMER_SECONDS } as AslState;
    }
    if (Array.isArray(state.Retry)) state = { ...state, Retry: state.Retry.map((r) => scaledRetrier(r, waitScale)) };
    if (state.Type !== 'Wait' || waitScale === 1) return state;
    scaledWaits.add(name);
    taskResourceLocalHandlers[name] = scaledWait(name, where, waitScale, stop.signal, waits);
    return waitAsTask(state);
  });

  let machine: StateMachine;
  try {
    machine = new StateMachine(runnable as unknown as StateMachineDefinition, {
      validationOptions: options.validate === false ? { noValidate: true } : { checkArn: true, checkPaths: true },
    });
  } catch (e) {
    throw invalid('definition', e instanceof Error ? e.message : String(e));
  }

  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers },
    context: options.context,
  });
  const abort = () => {
    stop.abort();
    execution.abort();
  };
  options.signal?.addEventListener('abort', abort, { once: true });
  if (options.signal?.aborted) abort();

  const logged = (async () => {
    for await (const event of execution.eventLogs) emit(event);
  })();

  let result: Pick<LocalRunResult, 'status' | 'output' | 'error'>;
  try {
    result = { status: 'SUCCEEDED', output: await execution.result };
  } catch (e) {
    result = outcome(e);
  } finally {
    options.signal?.removeEventListener('abort', abort);
    stop.abort();
  }
  await logged;
  // an abort does not stop a task already running (nor does StopExecution stop a Lambda): wait for it
  await settled(retryScope.inFlight, IN_FLIGHT_GRACE_MS);

  return {
    ...result,
    events,
    transitions: events.filter((e) => e.type === 'StateEntered').length,
    maxPayloadBytes: largestPayload(events, taskCalls),
    taskCalls,
    waits,
    retryWaits,
  };
}

/**
 * Handlers keyed by construct id (e.g. `ApplyFn`) or construct path, re-keyed by the function
 * names the extracted definition uses. Needs `aws:cdk:path` metadata in the template.
 */
export function handlersByConstructId(functions: readonly LambdaFunctionRef[], byId: Readonly<Record<string, TaskHandler>>): Record<string, TaskHandler> {
  return Object.fromEntries(
    Object.entries(byId).map(([id, handler]) => {
      const matches = functions.filter((f) => f.constructPath === id || f.constructPath?.endsWith(`/${id}`));
      if (matches.length !== 1) {
        throw invalid(`handlers.${id}`, `must match exactly one Lambda function's construct path, matched ${matches.length} (is aws:cdk:enable-path-metadata set?)`);
      }
      return [matches[0].functionName, handler];
    }),
  );
}
