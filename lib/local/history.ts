/**
 * A local run's event history in the shape `GetExecutionHistory` returns (`--history-file`):
 * what Step Functions would have stored about this execution — the input, every state's input
 * and output, every Lambda call's event and result or error — so a person can debug a run and a
 * test can prove what is (and is not) in the history.
 */
import type { ExecutionEvent, LocalRunResult } from './runner';

/** One history event: `id`, `previousEventId`, `timestamp`, `type` and the type's details object. */
export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: string;
  readonly type: string;
  readonly [details: string]: unknown;
}

/** `rank` orders ties: a call starts after its state was entered (1) and ends before it is left (-1). */
type Untimed = { at: number; rank: number; order: number; type: string; details?: Record<string, unknown> };

const text = (value: unknown) => JSON.stringify(value ?? null);

function fromEvent(event: ExecutionEvent): Omit<Untimed, 'order' | 'rank'> | undefined {
  const at = event.timestamp;
  switch (event.type) {
    case 'ExecutionStarted':
      return { at, type: 'ExecutionStarted', details: { executionStartedEventDetails: { input: text(event.input), inputDetails: { truncated: false } } } };
    case 'ExecutionSucceeded':
      return { at, type: 'ExecutionSucceeded', details: { executionSucceededEventDetails: { output: text(event.output), outputDetails: { truncated: false } } } };
    case 'ExecutionFailed':
      return { at, type: 'ExecutionFailed', details: { executionFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? '') } } };
    case 'ExecutionAborted':
      return { at, type: 'ExecutionAborted', details: { executionAbortedEventDetails: {} } };
    case 'ExecutionTimeout':
      return { at, type: 'ExecutionTimedOut', details: { executionTimedOutEventDetails: {} } };
    case 'StateEntered':
      return { at, type: `${event.state.type}StateEntered`, details: { stateEnteredEventDetails: { name: event.state.name, input: text(event.state.input), inputDetails: { truncated: false } } } };
    case 'StateExited':
      return { at, type: `${event.state.type}StateExited`, details: { stateExitedEventDetails: { name: event.state.name, output: text(event.state.output), outputDetails: { truncated: false } } } };
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return { at, type: event.type, details: { mapIterationStartedEventDetails: { name: event.parentState.name, index: event.index } } };
    default:
      return undefined; // retries and catches show in Step Functions as further Lambda events, not events of their own
  }
}

/** The history of a finished local run. */
export function executionHistory(result: Pick<LocalRunResult, 'events' | 'taskCalls'>, functionArnOf: (functionKey: string) => string): { events: HistoryEvent[] } {
  const untimed: Untimed[] = [];
  result.events.forEach((event, order) => {
    const e = fromEvent(event);
    if (e) untimed.push({ ...e, rank: 0, order });
  });
  result.taskCalls.forEach((call, i) => {
    const resource = functionArnOf(call.functionKey);
    const order = result.events.length + i;
    untimed.push({ at: call.startedAt, rank: 1, order, type: 'LambdaFunctionScheduled', details: { lambdaFunctionScheduledEventDetails: { resource, input: call.event, inputDetails: { truncated: false } } } });
    untimed.push({ at: call.startedAt, rank: 1, order, type: 'LambdaFunctionStarted' });
    const end = call.startedAt + call.ms;
    untimed.push(
      call.error
        ? { at: end, rank: -1, order, type: 'LambdaFunctionFailed', details: { lambdaFunctionFailedEventDetails: { error: call.error, cause: call.cause ?? '' } } }
        : { at: end, rank: -1, order, type: 'LambdaFunctionSucceeded', details: { lambdaFunctionSucceededEventDetails: { output: call.result ?? 'null', outputDetails: { truncated: false } } } },
    );
  });
  untimed.sort((a, b) => a.at - b.at || a.rank - b.rank || a.order - b.order);
  return {
    events: untimed.map((e, i) => ({ timestamp: new Date(e.at).toISOString(), type: e.type, id: i + 1, previousEventId: i, ...e.details }) as HistoryEvent),
  };
}
