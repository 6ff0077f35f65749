import { synthesizeWorkflow } from '../../lib/local/release';
import type { AslDefinition, AslState } from '../../lib/local/asl';

// asl-validator ships no types; it mutates its argument (adds QueryLanguage), hence structuredClone
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator: (d: unknown, o?: unknown) => { isValid: boolean; errorsText: (sep?: string) => string } = require('asl-validator');

const { definition } = synthesizeWorkflow();

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
  expect(poll.Retry.map((r) => r.ErrorEquals).flat()).toEqual(expect.arrayContaining(['KubeTransient', 'Lambda.ServiceException']));
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
