import { defaultPollSeconds, hookCost, hookPhaseStates, nextPollSeconds, pollWaits } from '../../bench/poll-model';
import { HISTORY_LIMIT } from '../../bench/report';

const DEFAULTS = { min: 2, max: 30 };

test('the model uses the defaults an execution input gets', () => {
  expect(defaultPollSeconds()).toEqual(DEFAULTS);
});

describe('pollWaits: min doubling to max, until the waits cover the hook', () => {
  it.each([
    [0, [2]],
    [2, [2]],
    [2.5, [2, 4]],
    [60, [2, 4, 8, 16, 30]],
    [61, [2, 4, 8, 16, 30, 30]],
  ])('a %d s hook: waits %j', (seconds, waits) => expect(pollWaits(seconds, DEFAULTS)).toEqual(waits));

  it('a constant interval when min equals max', () => {
    expect(pollWaits(20, { min: 5, max: 5 })).toEqual([5, 5, 5, 5]);
  });

  it('stays at max however many polls ran', () => {
    expect(nextPollSeconds(5000, DEFAULTS)).toBe(30);
  });
});

test('a hook phase: Pass, per group apply + Choice + (Wait, poll, Choice) per poll, then apply, Choice, clean up', () => {
  expect(hookPhaseStates([1])).toEqual(['Pass', 'Task', 'Choice', 'Wait', 'Task', 'Choice', 'Task', 'Choice', 'Task']);
  expect(hookPhaseStates([])).toEqual(['Pass', 'Task', 'Choice', 'Task']);
  expect(hookPhaseStates([2, 1])).toHaveLength(1 + (2 + 3 * 2) + (2 + 3 * 1) + 3);
});

test('cost grows with log(duration) up to the cap, then linearly by one poll per max seconds', () => {
  expect(hookCost(60, DEFAULTS)).toEqual({ hookSeconds: 60, polls: 5, lastWaitSeconds: 30, transitions: 21, historyEvents: 66 });
  expect(hookCost(3600, DEFAULTS).polls).toBe(5 + Math.ceil((3600 - 60) / 30));
});

test('an 8-hour hook stays far below Step Functions’ 25,000 history events', () => {
  expect(hookCost(8 * 3600, DEFAULTS).historyEvents).toBeLessThan(HISTORY_LIMIT / 2);
});
