/**
 * Poll backoff (docs/semantics.md#deliberate-differences-from-helm, 2): the wait before the next look doubles from `min` to `max`, so
 * a hook costs few polls while it is young and at most one per `max` seconds afterwards.
 */
export interface PollSeconds {
  readonly min: number;
  readonly max: number;
}

/** The wait before the next poll, after `polls` polls that found the work still running. */
export function pollDelaySeconds(polls: number, { min, max }: PollSeconds): number {
  return Math.min(max, min * 2 ** polls);
}
