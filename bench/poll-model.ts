/**
 * What one hook costs the state machine while it runs: the poll waits, the polls, and the
 * states and history events of its hook phase. Pure; checked against a real local run by
 * verifyPollModel (bench/bench.ts).
 */
import { parseExecutionInput } from '../lib/core/input';
import { pollDelaySeconds, type PollSeconds } from '../lib/core/polling';

export type { PollSeconds };

/** The defaults an execution gets when its input names none (lib/core/input.ts). */
export function defaultPollSeconds(): PollSeconds {
  return parseExecutionInput({ action: 'uninstall', release: 'model', namespace: 'default' }).options.pollSeconds;
}

/** The engine's own backoff (lib/core/polling.ts), for a Job or Pod hook: the wait before poll k + 1. */
export const nextPollSeconds = (runningPolls: number, poll: PollSeconds): number => pollDelaySeconds(runningPolls, poll);

/** The waits before each poll of a hook lasting `durationSeconds`: the last poll sees it finished. Task time is not counted. */
export function pollWaits(durationSeconds: number, poll: PollSeconds): number[] {
  const waits: number[] = [];
  let waited = 0;
  do {
    const wait = nextPollSeconds(waits.length, poll);
    waits.push(wait);
    waited += wait;
  } while (waited < durationSeconds);
  return waits;
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
  /** The last wait, i.e. the cap once reached. */
  readonly lastWaitSeconds: number;
  /** StateEntered events of the hook phase. */
  readonly transitions: number;
  readonly historyEvents: number;
}

/** The cost of a hook phase with one hook lasting `hookSeconds`. */
export function hookCost(hookSeconds: number, poll: PollSeconds): HookCost {
  const waits = pollWaits(hookSeconds, poll);
  const states = hookPhaseStates([waits.length]);
  return { hookSeconds, polls: waits.length, lastWaitSeconds: waits[waits.length - 1], transitions: states.length, historyEvents: historyEvents(states) };
}
