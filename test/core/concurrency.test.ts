import { mapLimit, PARALLEL_REQUESTS } from '../../lib/core/concurrency';

/** A call that resolves when the test says so, recording how many run at once. */
function gate() {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const release: (() => void)[] = [];
  const call = async (n: number) => {
    started.push(n);
    most = Math.max(most, ++running);
    await new Promise<void>((resolve) => release.push(resolve));
    running--;
    if (n === 13) throw new Error('thirteen');
    return n * 2;
  };
  const drain = async () => {
    while (release.length) {
      release.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { call, drain, started, most: () => most };
}

test(`at most ${PARALLEL_REQUESTS} calls in flight; results in the order of the items`, async () => {
  const g = gate();
  const items = Array.from({ length: 50 }, (_, i) => i);
  const result = mapLimit(items.filter((i) => i !== 13), g.call);
  await g.drain();
  expect(await result).toEqual(items.filter((i) => i !== 13).map((i) => i * 2));
  expect(g.most()).toBe(PARALLEL_REQUESTS);
});

test('the first failure rejects, and no call starts after it', async () => {
  const g = gate();
  const result = mapLimit(Array.from({ length: 100 }, (_, i) => i), g.call, 4);
  result.catch(() => undefined);
  await g.drain();
  await expect(result).rejects.toThrow('thirteen');
  // 13 failed while 14, 15 and 16 were in flight: nothing after them started
  expect(Math.max(...g.started)).toBe(16);
});

test('no items, no calls', async () => {
  expect(await mapLimit([], async () => 1)).toEqual([]);
});
