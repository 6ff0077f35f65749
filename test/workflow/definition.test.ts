import { localDefinition } from '../../lib/local/run-locally';
import type { AslDefinition, AslState } from '../../lib/local/asl';

// asl-validator ships no types; it mutates its argument (adds QueryLanguage), hence structuredClone
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator: (d: unknown, o?: unknown) => { isValid: boolean; errorsText: (sep?: string) => string } = require('asl-validator');

const definition = localDefinition();

function allStates(def: AslDefinition): Record<string, AslState> {
  return def.States;
}

test('the synthesized definition is valid ASL', () => {
  const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
  expect(result.errorsText('\n')).toBe('');
  expect(result.isValid).toBe(true);
});

test('every hook event is the same readable shape: apply group, wait, poll, choices, cleanups', () => {
  const names = Object.keys(allStates(definition));
  for (const title of ['Pre-install', 'Post-install', 'Pre-delete', 'Post-delete']) {
    expect(names).toEqual(
      expect.arrayContaining([
        `${title} hooks`,
        `${title}: apply hook group`,
        `${title}: group started?`,
        `${title}: wait`,
        `${title}: poll hook group`,
        `${title}: group finished?`,
        `${title}: clean up hooks`,
        `${title}: clean up failed group`,
      ]),
    );
  }
  expect(names).toEqual(expect.arrayContaining(['Validate input', 'Prepare install', 'Apply resources', 'Finalize release', 'Record failure', 'Release failed', 'Rolled back']));
});

test('poll waits read nextPollSeconds from the state', () => {
  expect(definition.States['Pre-install: wait']).toMatchObject({ Type: 'Wait', SecondsPath: '$.hook.nextPollSeconds' });
});

test('tasks retry KubeTransient and send failures after the lock to the failure path', () => {
  const poll = definition.States['Pre-install: poll hook group'] as AslState & { Retry: { ErrorEquals: string[] }[]; Catch: { Next: string }[] };
  expect(poll.Retry.map((r) => r.ErrorEquals).flat()).toEqual(expect.arrayContaining(['KubeTransient', 'Lambda.ServiceException', 'Sandbox.Timedout', 'Lambda.Unknown', 'Lambda.TooManyRequestsException']));
  expect(poll.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Record failure', ResultPath: '$.error' })]);
  // before the lock nothing is recorded: an invalid input only gets a clean cause
  expect((definition.States['Validate input'] as AslState & { Catch: unknown[] }).Catch).toEqual([
    { ErrorEquals: ['InvalidInput'], Next: 'Invalid input' },
  ]);
});

test('only identifiers travel: task payloads are built from ctx and cursors, never manifests', () => {
  const payloads = Object.values(allStates(definition))
    .filter((s) => s.Type === 'Task')
    .map((s) => JSON.stringify((s as { Parameters?: unknown }).Parameters));
  for (const p of payloads) expect(p).not.toMatch(/manifest|values/i);
});

type TaskState = AslState & { Parameters?: Record<string, unknown>; Retry: Record<string, unknown>[]; Catch?: Record<string, unknown>[]; ResultSelector?: unknown };
const tasks = () => Object.entries(allStates(definition)).filter(([, s]) => s.Type === 'Task') as [string, TaskState][];

test('only the first task gets the execution input; Prepare install/upgrade take its source and drop it', () => {
  const readers = tasks().filter(([, s]) => JSON.stringify(s.Parameters).includes('$$.Execution.Input'));
  expect(readers).toEqual([]);
  expect(allStates(definition)['Validate input']).toMatchObject({ Parameters: { 'input.$': '$' } });
  for (const name of ['Prepare install', 'Prepare upgrade']) {
    expect(allStates(definition)[name]).toMatchObject({ Parameters: { 'ctx.$': '$.ctx', 'source.$': '$.source' }, ResultSelector: { 'ctx.$': '$' } });
    expect(allStates(definition)[name].ResultPath).toBeUndefined(); // the state becomes { ctx }
  }
});

test('every task retries KubeTransient and ClusterUnreachable with jittered backoff long enough for a minutes-long outage', () => {
  for (const [name, state] of tasks()) {
    const retrier = state.Retry.find((r) => (r.ErrorEquals as string[]).includes('KubeTransient'));
    expect({ name, errors: retrier?.ErrorEquals }).toEqual({ name, errors: ['KubeTransient', 'ClusterUnreachable', 'Sandbox.Timedout', 'Lambda.Unknown', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'Lambda.ClientExecutionTimeoutException'] });
    const { IntervalSeconds, BackoffRate, MaxDelaySeconds, MaxAttempts } = retrier as Record<string, number>;
    const worstCase = Array.from({ length: MaxAttempts }, (_, i) => Math.min(IntervalSeconds * BackoffRate ** i, MaxDelaySeconds)).reduce((a, b) => a + b, 0);
    expect(worstCase).toBeGreaterThanOrEqual(name === 'Record failure' ? 30 * 60 : 5 * 60);
  }
});

test('Record failure is retried for half an hour, then ends the execution with the original error (the record left to the recovery rule)', () => {
  const record = allStates(definition)['Record failure'] as TaskState;
  expect(record.Retry.find((r) => (r.ErrorEquals as string[]).includes('KubeTransient'))).toMatchObject({ JitterStrategy: 'NONE', MaxAttempts: 20 });
  expect(record.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Release failed, record not written', ResultPath: '$.recordError' }]);
  expect(allStates(definition)['Release failed, record not written']).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
});

test('uninstall always waits for its resources to be gone before post-delete hooks, whatever `wait` says (no "Wait asked?" on that path)', () => {
  const states = allStates(definition);
  expect(states['Delete resources'].Next).toBe('Wait for deletion');
  expect(states['Wait for deletion'].Next).toBe('Wait for deletion: check');
  const done = states['Wait for deletion: done?'] as AslState & { Default?: string };
  expect(states[done.Default!].Next).toBe('Post-delete hooks');
});
