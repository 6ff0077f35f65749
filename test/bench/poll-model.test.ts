import { defaultPollSeconds, hookCost, hookPhaseStates, maxDetectionDelaySeconds, pollTimeline, pollWaits } from '../../bench/poll-model';

const DEFAULTS = { min: 2, max: 3600, watch: 15 };

test('the model uses the defaults an execution input gets', () => {
  expect(defaultPollSeconds()).toEqual(DEFAULTS);
});

describe('pollTimeline: a poll at once, each watching 15 s, then waits of a quarter of the elapsed time', () => {
  it.each([
    [0, [0], 0],
    [4, [0], 4],
    [15, [0], 15],
    [16, [0, 3], 18],
    [60, [0, 3, 8, 14], 70],
  ])('a %d s hook: waits %j, seen after %d s', (seconds, waits, seen) => expect(pollTimeline(seconds, DEFAULTS)).toEqual({ waits, seenAtSeconds: seen }));

  it('without watching, the first wait is min and each poll only looks', () => {
    expect(pollWaits(10, { ...DEFAULTS, watch: 0 })).toEqual([2, 2, 2, 2, 2]);
  });
});

test('a hook phase: Pass, per group apply + Choice + (Wait, poll, Choice) per poll, then apply, Choice, clean up', () => {
  expect(hookPhaseStates([1])).toEqual(['Pass', 'Task', 'Choice', 'Wait', 'Task', 'Choice', 'Task', 'Choice', 'Task']);
  expect(hookPhaseStates([])).toEqual(['Pass', 'Task', 'Choice', 'Task']);
  expect(hookPhaseStates([2, 1])).toHaveLength(1 + (2 + 3 * 2) + (2 + 3 * 1) + 3);
});

test('a short hook costs one poll and is seen as it ends', () => {
  expect(hookCost(4, DEFAULTS)).toMatchObject({ polls: 1, maxDetectionDelaySeconds: 0, historyEvents: 30 });
});

test('an 8-hour hook: cost grows with log(duration): at most 300 history events, seen at most an hour late', () => {
  const cost = hookCost(8 * 3600, DEFAULTS);
  expect(cost.historyEvents).toBeLessThanOrEqual(300);
  expect(cost.maxDetectionDelaySeconds).toBe(3600);
  expect(maxDetectionDelaySeconds(3600, DEFAULTS)).toBeLessThanOrEqual(0.25 * 3600);
});
