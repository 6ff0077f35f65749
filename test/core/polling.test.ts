import { ELAPSED_SHARE, maxDetectionDelaySeconds, pollDelaySeconds, watchSeconds } from '../../lib/core/polling';

const DEFAULTS = { min: 2, max: 3600, watch: 15 };

describe('pollDelaySeconds: a share of the elapsed time, within min and max', () => {
  it.each([
    [0, 2],
    [7, 2],
    [8, 2],
    [40, 10],
    [600, 150],
    [14_400, 3600],
    [28_800, 3600],
  ])('after %d s: wait %d s', (elapsed, wait) => expect(pollDelaySeconds(elapsed, DEFAULTS)).toBe(wait));

  it('is a bounded share of the elapsed time once past the minimum', () => {
    for (const elapsed of [10, 100, 1000, 10_000]) expect(pollDelaySeconds(elapsed, DEFAULTS)).toBeLessThanOrEqual(ELAPSED_SHARE * elapsed);
  });

  it('a constant interval when min equals max', () => {
    expect([0, 50, 5000].map((e) => pollDelaySeconds(e, { min: 5, max: 5 }))).toEqual([5, 5, 5]);
  });

  it('never decreases as time passes', () => {
    const waits = Array.from({ length: 200 }, (_, i) => pollDelaySeconds(i * 150, DEFAULTS));
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
  });
});

describe('watchSeconds: the window, never past the timeout', () => {
  it.each([
    [0, 300, 15],
    [290, 300, 11],
    [300, 300, 1],
    [301, 300, 0],
  ])('after %d s of a %d s timeout: %d s', (elapsed, timeout, seconds) => expect(watchSeconds(elapsed, timeout, DEFAULTS)).toBe(seconds));

  it('0 disables watching', () => {
    expect(watchSeconds(0, 300, { watch: 0 })).toBe(0);
  });
});

test('a hook is seen at most the wait after the poll before its end: ≤ 25 % of its run time, ≤ max', () => {
  expect(maxDetectionDelaySeconds(8 * 3600, DEFAULTS)).toBe(3600);
  expect(maxDetectionDelaySeconds(600, DEFAULTS)).toBe(150);
});
