/**
 * When to look again at work that is still running (hook groups, resource and deletion waits).
 *
 * Each poll task first looks (get/list) and, when the work is not done, watches it for a short
 * window (`watch`), returning as soon as it finishes: short hooks are seen within a second,
 * as Helm's watches see them. Between polls the workflow's Wait state waits a share of the time
 * the work has run so far (ELAPSED_SHARE), at least `min` and at most `max` seconds. So polls
 * grow with the logarithm of a hook's duration (an 8-hour hook: about 30 polls), and a hook that
 * finishes while nobody watches is seen at most ELAPSED_SHARE × its run time (and `max`) late.
 */
export interface PollSeconds {
  /** Shortest wait between polls. */
  readonly min: number;
  /** Longest wait between polls: bounds how late a long hook's end is seen. */
  readonly max: number;
  /** How long one poll watches before it returns (0 = look only). */
  readonly watch: number;
}

/**
 * The wait between polls as a share of the elapsed time. A quarter keeps an 8-hour hook under
 * 300 history events (bench/poll-model.ts); a tenth would cost about 700.
 */
export const ELAPSED_SHARE = 0.25;

/**
 * Default window: a hook of a few seconds (a migration, a smoke test) ends inside the first
 * poll's window and is seen at once, for 15 s of a 256 MB function per poll.
 */
export const DEFAULT_WATCH_SECONDS = 15;

/** Default cap of the wait: a long hook's end is seen at most an hour late (and ≤ 25 % of its run time). */
export const DEFAULT_MAX_POLL_SECONDS = 3600;

/** Longest watch window an input may ask for; the poll functions' timeout covers it (lib/construct). */
export const MAX_WATCH_SECONDS = 60;

/** The wait before the next poll of work that has been running `elapsedSeconds`. */
export function pollDelaySeconds(elapsedSeconds: number, { min, max }: Pick<PollSeconds, 'min' | 'max'>): number {
  return Math.min(max, Math.max(min, Math.floor(ELAPSED_SHARE * elapsedSeconds)));
}

/** How long this poll watches: the configured window, never past the work's timeout (+1 s to see it pass). */
export function watchSeconds(elapsedSeconds: number, timeoutSeconds: number, { watch }: Pick<PollSeconds, 'watch'>): number {
  return Math.max(0, Math.min(watch, Math.ceil(timeoutSeconds - elapsedSeconds) + 1));
}

/**
 * Worst delay between a hook's end and the poll that sees it, for a hook ending after
 * `elapsedSeconds`: it ended during a Wait (during a watch it is seen at once).
 */
export function maxDetectionDelaySeconds(elapsedSeconds: number, poll: Pick<PollSeconds, 'min' | 'max'>): number {
  return pollDelaySeconds(elapsedSeconds, poll);
}
