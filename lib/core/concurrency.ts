/**
 * Bounded concurrency for per-object API calls. A release of 2,000 objects once sent 2,000 GETs at
 * once: as many TLS connections, which ran a 256 MB function out of memory (and an API server's
 * priority and fairness would throttle them anyway).
 */

/** Requests one task keeps in flight. */
export const PARALLEL_REQUESTS = 8;

/**
 * `items.map(fn)` with at most `limit` calls in flight; results in the order of `items`. The
 * first failure rejects, and no call starts after it.
 */
export async function mapLimit<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = PARALLEL_REQUESTS): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
