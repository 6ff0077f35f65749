/**
 * What one hook costs the state machine while it runs, and how late its end is seen: the poll
 * waits, the watch windows, the polls, and the states and history events of its hook phase.
 * Pure, from lib/core/polling.ts (task time not counted); checked against a real local run by
 * verifyPollModel (bench/bench.ts).
 */
import { parseExecutionInput } from '../lib/core/input';
import { pollDelaySeconds, type PollSeconds } from '../lib/core/polling';

export type { PollSeconds };

/** The defaults an execution gets when its input names none (lib/core/input.ts). */
export function defaultPollSeconds(): PollSeconds {
  return parseExecutionInput({ action: 'uninstall', release: 'model', namespace: 'default' }).options.pollSeconds;
}

export interface PollTimeline {
  /** The Wait before each poll (the first follows the hook's creation). */
  readonly waits: number[];
  /** When the hook's end was seen, seconds after its creation. */
  readonly seenAtSeconds: number;
}

/**
 * The polls of a Job hook lasting `durationSeconds` (lib/engine/hooks.ts): created, then Wait →
 * poll, where each poll looks, watches for `watch` seconds (returning when the hook ends) and
 * looks again; the next Wait is pollDelaySeconds of the time elapsed.
 */
export function pollTimeline(durationSeconds: number, poll: PollSeconds): PollTimeline {
  const waits: number[] = [];
  let t = 0;
  let wait = poll.watch > 0 ? 0 : pollDelaySeconds(0, poll);
  for (;;) {
    waits.push(wait);
    t += wait;
    if (durationSeconds <= t) return { waits, seenAtSeconds: t };
    if (durationSeconds <= t + poll.watch) return { waits, seenAtSeconds: durationSeconds };
    t += poll.watch;
    wait = pollDelaySeconds(t, poll);
  }
}

/** The waits before each poll of a hook lasting `durationSeconds`: the last poll sees it finished. */
export const pollWaits = (durationSeconds: number, poll: PollSeconds): number[] => pollTimeline(durationSeconds, poll).waits;

/**
 * The longest delay between the end of a hook lasting up to `durationSeconds` and the poll that
 * sees it: the hook ends just after a poll's watch window closed, and is seen after that Wait.
 */
export function maxDetectionDelaySeconds(durationSeconds: number, poll: PollSeconds): number {
  const { waits } = pollTimeline(durationSeconds, poll);
  return Math.max(...waits);
}

export type StateType = 'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail';

/**
 * Step Functions history events per state entered: a Lambda Task records TaskStateEntered,
 * LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded and TaskStateExited;
 * a Fail state only FailStateEntered (then ExecutionFailed); the others Entered and Exited.
 */
export const HISTORY_EVENTS: Readonly<Record<StateType, number>> = { Task: 5, Pass: 2, Choice: 2, Wait: 2, Succeed: 2, Fail: 1 };

/**
 * The states one hook phase enters, in order, when its groups succeed after `pollsPerGroup`
 * polls each (lib/workflow/definition.ts hookPhase): Pass; per group apply → "group started?"
 * → (Wait → poll → "group finished?") per poll; then apply (no group left) → Choice → clean up.
 */
export function hookPhaseStates(pollsPerGroup: readonly number[]): StateType[] {
  const group = (polls: number): StateType[] => ['Task', 'Choice', ...Array.from({ length: polls }, (): StateType[] => ['Wait', 'Task', 'Choice']).flat()];
  return ['Pass', ...pollsPerGroup.flatMap(group), 'Task', 'Choice', 'Task'];
}

export const historyEvents = (states: readonly StateType[]): number => states.reduce((sum, type) => sum + HISTORY_EVENTS[type], 0);

export interface HookCost {
  readonly hookSeconds: number;
  readonly polls: number;
  /** The last wait. */
  readonly lastWaitSeconds: number;
  /** The longest a hook of up to this duration ends before a poll sees it. */
  readonly maxDetectionDelaySeconds: number;
  /** Seconds the poll functions spend watching (Lambda time beyond the looks). */
  readonly watchSeconds: number;
  /** StateEntered events of the hook phase. */
  readonly transitions: number;
  readonly historyEvents: number;
}

/** The cost of a hook phase with one hook lasting `hookSeconds`. */
export function hookCost(hookSeconds: number, poll: PollSeconds): HookCost {
  const { waits, seenAtSeconds } = pollTimeline(hookSeconds, poll);
  const states = hookPhaseStates([waits.length]);
  return {
    hookSeconds,
    polls: waits.length,
    lastWaitSeconds: waits[waits.length - 1],
    maxDetectionDelaySeconds: maxDetectionDelaySeconds(hookSeconds, poll),
    watchSeconds: seenAtSeconds - waits.reduce((a, b) => a + b, 0),
    transitions: states.length,
    historyEvents: historyEvents(states),
  };
}
