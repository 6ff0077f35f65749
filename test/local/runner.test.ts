import { setImmediate as nextTurn } from 'timers/promises';
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import { extractStateMachines, lambdaFunctions, type AslDefinition, type Json } from '../../lib/local/asl';
import { handlersByConstructId, runDefinition, type ExecutionEvent, type LocalRunOptions, type LocalRunResult, type TaskHandler } from '../../lib/local/runner';
import { SETTLE_SECONDS, synthFixture } from './fixture-stack';

const template = synthFixture();
const [{ definition }] = extractStateMachines(template);
const functions = lambdaFunctions(template);

const input = { release: 'web', groups: [{ name: 'pre-install-0' }, { name: 'pre-install-5' }, { name: 'pre-install-10' }] };

/** A poll handler answering each call with the next status; every answer asks for the next poll in `nextPollSeconds`. */
function pollAnswering(nextPollSeconds: number, ...statuses: string[]): TaskHandler {
  return () => ({ status: statuses.shift() ?? 'running', nextPollSeconds });
}

type FunctionId = 'ApplyFn' | 'PollFn' | 'CleanupFn';

function handlers(overrides: Partial<Record<FunctionId, TaskHandler>> = {}): LocalRunOptions['handlers'] {
  return {
    ...handlersByConstructId(functions, {
      ApplyFn: (e) => ({ applied: (e as { name: string }).name }),
      PollFn: pollAnswering(1, 'running', 'succeeded'),
      CleanupFn: () => ({ deleted: 0 }),
      ...overrides,
    }),
    // Function.fromFunctionArn: the key is the function name in the literal ARN
    'release-notifier': (e) => ({ notified: (e as { release: string }).release }),
  };
}

const run = (options: Partial<LocalRunOptions> = {}) => runDefinition(definition, input, { handlers: handlers(), waitScale: 0, ...options });

const ofType = <T extends ExecutionEvent['type']>(result: LocalRunResult, type: T) =>
  result.events.filter((e): e is Extract<ExecutionEvent, { type: T }> => e.type === type);

/** Milliseconds between each StateEntered and StateExited of `state`, from the event timestamps. */
function stayMs(result: LocalRunResult, state: string): number[] {
  const entered = ofType(result, 'StateEntered').filter((e) => e.state.name === state);
  const exited = ofType(result, 'StateExited').filter((e) => e.state.name === state);
  return entered.map((e, i) => exited[i].timestamp - e.timestamp);
}

class TransientError extends HelmSfnError {
  constructor() {
    super(ErrorName.KubeTransient, 'API server answered 503');
  }
}

describe('runDefinition on the synthesized definition', () => {
  it('runs the Map one item at a time with its ItemSelector, loops through Choice and Wait, and ends in the Parallel', async () => {
    let active = 0;
    let maxActive = 0;
    const apply: TaskHandler = async (event) => {
      maxActive = Math.max(maxActive, ++active);
      await nextTurn();
      active--;
      return event;
    };
    const seen: ExecutionEvent[] = [];

    const result = await run({ handlers: handlers({ ApplyFn: apply }), onEvent: (e) => seen.push(e) });

    expect(result.status).toBe('SUCCEEDED');
    expect(maxActive).toBe(1);
    expect(result.output).toEqual({
      ...input,
      applied: input.groups.map((g, index) => ({ name: g.name, index, release: 'web' })),
      poll: { status: 'succeeded', nextPollSeconds: 1 },
      finalize: [{ groups: 3 }, { notified: 'web' }],
    });
    expect(result.taskCalls.map((c) => c.stateName)).toEqual(['ApplyGroup', 'ApplyGroup', 'ApplyGroup', 'PollGroup', 'PollGroup', 'Notify']);
    expect(result.taskCalls.at(-1)?.functionKey).toBe('release-notifier');
    expect(ofType(result, 'StateEntered').map((e) => e.state.name)).toEqual([
      'Init', 'ApplyGroups', 'ApplyGroup', 'ApplyGroup', 'ApplyGroup', 'Settle', 'PollGroup', 'IsDone',
      'PollWait', 'PollGroup', 'IsDone', 'Finalize', 'Summarize', 'Notify', 'Done',
    ]);
    expect(result.transitions).toBe(15);
    expect(result.events[0].type).toBe('ExecutionStarted');
    expect(result.events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(seen).toEqual(result.events); // live, in the same order
  });

  it('honours real Wait durations by default, Seconds and SecondsPath alike', async () => {
    const result = await run({ waitScale: undefined });

    expect(result.status).toBe('SUCCEEDED');
    // loose lower bounds: the library sleeps with setTimeout, timestamps are Date.now()
    expect(stayMs(result, 'Settle')[0]).toBeGreaterThanOrEqual(SETTLE_SECONDS * 1000 - 20);
    expect(stayMs(result, 'PollWait')[0]).toBeGreaterThanOrEqual(1000 - 20);
  });

  it('scales Wait durations by waitScale, SecondsPath included, and still reports them as Wait states', async () => {
    const pollSeconds = 3;
    const result = await run({ waitScale: 0.1, handlers: handlers({ PollFn: pollAnswering(pollSeconds, 'running', 'succeeded') }) });

    expect(result.status).toBe('SUCCEEDED');
    // the durations the runner gave each Wait (SecondsPath read from the state), not wall-clock times
    expect(result.waits).toEqual([
      { state: 'Settle', ms: SETTLE_SECONDS * 1000 * 0.1 },
      { state: 'PollWait', ms: pollSeconds * 1000 * 0.1 },
    ]);
    const pollWaitEvents = result.events.filter((e) => 'state' in e && e.state.name === 'PollWait');
    expect(pollWaitEvents.map((e) => ('state' in e ? e.state.type : ''))).toEqual(['Wait', 'Wait']);
    expect(result.taskCalls.map((c) => c.stateName)).not.toContain('PollWait');
  });

  it('retries a custom error name by the state Retry rule', async () => {
    let calls = 0;
    const flaky: TaskHandler = (event) => {
      if (calls++ === 0) throw new TransientError();
      return event;
    };

    const result = await run({ handlers: handlers({ ApplyFn: flaky }) });

    expect(result.status).toBe('SUCCEEDED');
    const [retried, ...more] = ofType(result, 'StateRetried');
    expect(more).toEqual([]);
    expect(retried.state.name).toBe('ApplyGroup');
    expect(retried.retry.retrier.ErrorEquals).toEqual([ErrorName.KubeTransient]);
    expect(result.taskCalls[0].error).toBe(ErrorName.KubeTransient);
  });

  it('fails with the error name once the retrier is exhausted and nothing catches it', async () => {
    const result = await run({ handlers: handlers({ ApplyFn: () => Promise.reject(new TransientError()) }) });

    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorName.KubeTransient);
    expect(ofType(result, 'StateRetried')).toHaveLength(2); // MaxAttempts 2
  });

  it('catches a handler error into ResultPath like a Lambda error, then fails with it through ErrorPath/CausePath', async () => {
    const cleanup = jest.fn(() => ({ deleted: 1 }));
    const hookFailed = () => {
      throw new HelmSfnError(ErrorName.HookFailed, 'Job pre-install-db failed: BackoffLimitExceeded');
    };

    const result = await run({ handlers: handlers({ PollFn: hookFailed, CleanupFn: cleanup }) });

    const cleanupInput = cleanup.mock.calls[0] as unknown as [{ release: string; error: { Error: string; Cause: string } }];
    expect(cleanupInput[0].release).toBe('web'); // ResultPath $.error keeps the state input
    expect(cleanupInput[0].error.Error).toBe(ErrorName.HookFailed);
    expect(JSON.parse(cleanupInput[0].error.Cause)).toMatchObject({
      errorType: ErrorName.HookFailed,
      errorMessage: 'Job pre-install-db failed: BackoffLimitExceeded',
      trace: expect.arrayContaining([expect.stringContaining('HookFailed')]),
    });
    expect(ofType(result, 'StateCaught').map((e) => e.state.name)).toEqual(['PollGroup']);
    expect(result.status).toBe('FAILED');
    expect(result.error).toEqual({ error: ErrorName.HookFailed, cause: cleanupInput[0].error.Cause });
  });

  it('ends in a Fail state with its literal Error and Cause', async () => {
    const result = await run({ handlers: handlers({ PollFn: pollAnswering(1, 'failed') }) });

    expect(result.status).toBe('FAILED');
    expect(result.error).toEqual({ error: ErrorName.HookFailed, cause: 'a hook reported failure' });
    expect(result.events.at(-1)).toMatchObject({ type: 'ExecutionFailed', Error: ErrorName.HookFailed });
  });

  it('measures payloads: a large raw task result counts even when ResultSelector drops it', async () => {
    const chattyPoll: TaskHandler = () => ({ status: 'succeeded', nextPollSeconds: 1, log: 'x'.repeat(300_000) });

    const result = await run({ handlers: handlers({ PollFn: chattyPoll }) });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.maxPayloadBytes).toMatchObject({ state: 'PollGroup', kind: 'taskResult' });
    expect(result.maxPayloadBytes.bytes).toBeGreaterThan(300_000); // beyond Step Functions' 262,144 bytes
    const firstApply = result.taskCalls[0];
    expect(firstApply.inputBytes).toBe(Buffer.byteLength(JSON.stringify({ name: 'pre-install-0', index: 0, release: 'web' })));
    expect(firstApply.resultBytes).toBe(Buffer.byteLength(JSON.stringify({ applied: 'pre-install-0' })));
  });

  it('measures the largest state input or output when task results stay small', async () => {
    const result = await run();

    expect(result.maxPayloadBytes.kind).toMatch(/^(input|output)$/);
    const largest = Math.max(
      ...ofType(result, 'StateEntered').map((e) => JSON.stringify(e.state.input).length),
      ...ofType(result, 'StateExited').map((e) => JSON.stringify(e.state.output).length),
    );
    expect(result.maxPayloadBytes.bytes).toBe(largest);
  });

});

describe('runDefinition on hand-written definitions', () => {
  const pass: Json = { Type: 'Pass', End: true };
  const machine = (states: Record<string, Json>, extra: Record<string, Json> = {}) =>
    ({ StartAt: Object.keys(states)[0], States: states, ...extra }) as AslDefinition;

  it('reports TIMED_OUT when the machine TimeoutSeconds passes', async () => {
    const slow = machine({ Sleep: { Type: 'Wait', Seconds: 30, End: true } }, { TimeoutSeconds: 1 });

    const result = await runDefinition(slow, {}, { handlers: {} });

    expect(result.status).toBe('TIMED_OUT');
    expect(result.events.at(-1)?.type).toBe('ExecutionTimeout');
  });

  it.each([
    ['natively (waitScale 1)', 1],
    ['when rewritten for scaling (waitScale 0.5)', 0.5],
  ])('aborts through the signal during a SecondsPath Wait %s', async (_case, waitScale) => {
    const controller = new AbortController();
    const onEvent = (e: ExecutionEvent) => {
      if (e.type === 'StateEntered') controller.abort();
    };
    const waitAnHour = machine({ Sleep: { Type: 'Wait', SecondsPath: '$.seconds', End: true } });

    const result = await runDefinition(waitAnHour, { seconds: 3600 }, { handlers: {}, waitScale, signal: controller.signal, onEvent });

    expect(result.status).toBe('ABORTED');
    expect(result.events.at(-1)?.type).toBe('ExecutionAborted');
  });

  it.each<[string, AslDefinition, RegExp]>([
    ['JSONata', machine({ A: pass }, { QueryLanguage: 'JSONata' }), /^QueryLanguage: JSONata/],
    ['JSONata in one state', machine({ A: { ...(pass as object), QueryLanguage: 'JSONata' } }), /^States\.A: QueryLanguage JSONata/],
    ['variables', machine({ A: { Type: 'Pass', Assign: { x: 1 }, End: true } }), /^States\.A: field Assign/],
    ['Arguments', machine({ A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: {}, End: true } }), /^States\.A: field Arguments/],
    ['a distributed Map', machine({ M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' }, StartAt: 'B', States: { B: pass } }, End: true } }),
      /^States\.M: a DISTRIBUTED Map/],
    ['ItemReader', machine({ M: { Type: 'Map', ItemReader: { Resource: 'arn:aws:states:::s3:getObject' }, ItemProcessor: { StartAt: 'B', States: { B: pass } }, End: true } }),
      /^States\.M: field ItemReader/],
    ['unsupported fields inside a Map', machine({ M: { Type: 'Map', ItemProcessor: { StartAt: 'B', States: { B: { Type: 'Pass', Output: {}, End: true } } }, End: true } }),
      /^States\.M\.ItemProcessor\.States\.B: field Output/],
    ['a non-Lambda Task', machine({ A: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } }), /^States\.A: Task Resource .* cannot run locally/],
    ['a dynamic FunctionName', machine({ A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'FunctionName.$': '$.fn' }, End: true } }),
      /^States\.A: lambda:invoke needs a literal Parameters\.FunctionName/],
    ['a function without handler', machine({ A: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Missing', End: true } }),
      /^States\.A: no handler for function 'Missing'/],
    ['an invalid definition', machine({ A: { Type: 'Pass', Next: 'Nowhere' } }), /^definition: State machine definition is invalid/],
  ])('refuses %s before running anything', async (_case, refused, message) => {
    const handler = jest.fn();

    const attempt = runDefinition(refused, {}, { handlers: { Present: handler } });

    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toMatchObject({ name: ErrorName.InvalidInput });
    expect(handler).not.toHaveBeenCalled();
  });

  const task = (retry: Json[], next: Record<string, Json> = { End: true }): Json => ({
    Type: 'Task',
    Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Flaky',
    Retry: retry,
    ...next,
  });
  /** Fails `failures` times with KubeTransient, then answers. */
  const failing = (failures: number) => {
    let calls = 0;
    return () => {
      if (calls++ < failures) throw new TransientError();
      return { calls };
    };
  };
  const SCALE = 1 / 1024; // exact in binary: the recorded pauses are exact products

  it("retries a Task with the retrier's interval, backoff and cap, scaled like Waits, and records each pause", async () => {
    const retrier = { ErrorEquals: [ErrorName.KubeTransient], IntervalSeconds: 2, BackoffRate: 3, MaxDelaySeconds: 10, MaxAttempts: 4 };

    const result = await runDefinition(machine({ A: task([retrier]) }), {}, { handlers: { Flaky: failing(4) }, waitScale: SCALE });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ calls: 5 });
    expect(result.retryWaits).toEqual([2, 6, 10, 10].map((s) => ({ state: 'A', ms: s * 1000 * SCALE })));
    expect(ofType(result, 'StateRetried').map((e) => e.retry.attempt)).toEqual([1, 2, 3, 4]);
    expect(result.taskCalls.map((c) => c.error ?? 'ok')).toEqual([...Array(4).fill(ErrorName.KubeTransient), 'ok']);
  });

  it('draws each pause below the capped interval with JitterStrategy FULL, and gives up after MaxAttempts', async () => {
    const retrier = { ErrorEquals: ['States.ALL'], IntervalSeconds: 4, MaxAttempts: 3, JitterStrategy: 'FULL' };

    const result = await runDefinition(machine({ A: task([retrier]) }), {}, { handlers: { Flaky: failing(10) }, waitScale: SCALE });

    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorName.KubeTransient);
    const caps = [4, 8, 16].map((s) => s * 1000 * SCALE);
    expect(result.retryWaits).toHaveLength(3);
    result.retryWaits.forEach((w, i) => {
      expect(w.ms).toBeGreaterThanOrEqual(0);
      expect(w.ms).toBeLessThanOrEqual(caps[i]);
    });
  });

  it('lets the first matching retrier decide, and starts its count over at every entry of the state', async () => {
    const loop = machine({
      A: task(
        [
          { ErrorEquals: [ErrorName.HookFailed], MaxAttempts: 0 },
          { ErrorEquals: [ErrorName.KubeTransient], IntervalSeconds: 1, MaxAttempts: 1 },
        ],
        { Next: 'Again?', ResultPath: '$.a' },
      ),
      'Again?': { Type: 'Choice', Choices: [{ Variable: '$.a.calls', NumericLessThan: 4, Next: 'A' }], Default: 'Done' },
      Done: pass,
    });
    let calls = 0;
    // every entry fails once, then succeeds: one retry per entry, never "attempts exhausted"
    const flaky = () => {
      if (calls++ % 2 === 0) throw new TransientError();
      return { calls };
    };

    const result = await runDefinition(loop, {}, { handlers: { Flaky: flaky }, waitScale: SCALE });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.retryWaits).toEqual([1, 1].map((s) => ({ state: 'A', ms: s * 1000 * SCALE })));
  });

  it('refuses a negative waitScale', async () => {
    await expect(runDefinition(machine({ A: pass }), {}, { handlers: {}, waitScale: -1 })).rejects.toThrow(/^options\.waitScale: must be a finite number >= 0/);
  });

  it('does not modify the definition it is given', async () => {
    const original = machine({ W: { Type: 'Wait', SecondsPath: '$.s', End: true } });
    const copy = structuredClone(original);

    await runDefinition(original, { s: 0 }, { handlers: {}, waitScale: 0.5 });

    expect(original).toEqual(copy);
  });
});

describe('handlersByConstructId', () => {
  it('fails on an id that matches no function, naming it', () => {
    expect(() => handlersByConstructId(functions, { Nope: () => null })).toThrow(/^handlers\.Nope: must match exactly one Lambda function's construct path, matched 0/);
  });
});
