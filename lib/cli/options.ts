/** Option parsers shared by commands: each rejects bad values with the flag and the rule. */
import { InvalidArgumentError, Option } from 'commander';
import { MAX_TIMEOUT_SECONDS, parseDuration } from '../core/duration';
import { HOOK_MODES, type HookMode } from '../core/ordering';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function hookMode(value: string): HookMode {
  if (!(HOOK_MODES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${HOOK_MODES.join(', ')}`);
  return value as HookMode;
}

/** Go durations like Helm's --timeout ("5m", "90s", "1h30m"). */
export function durationSeconds(value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/**
 * Helm's `--timeout`: any Go duration, in whole seconds rounded up (the input counts seconds;
 * "1500ms" waits 2 s, never less than asked), at least 1 s, at most a year (Step Functions'
 * longest execution).
 */
export function timeoutSeconds(value: string): number {
  const seconds = durationSeconds(value);
  if (seconds === 0) throw new InvalidArgumentError(`invalid duration "${value}": must be longer than 0`);
  const whole = Math.ceil(seconds);
  if (whole > MAX_TIMEOUT_SECONDS) throw new InvalidArgumentError(`invalid duration "${value}": at most ${MAX_TIMEOUT_SECONDS / 86400} days (Step Functions' longest execution)`);
  return whole;
}

/** `--timeout`, with helm's default shown as helm shows it. */
export const timeoutOption = (): Option =>
  new Option('--timeout <duration>', 'time to wait for each hook group and for resources: a Go duration with its unit (90s, 5m, 1h30m; a bare "300" is refused, as helm refuses it)')
    .argParser(timeoutSeconds)
    .default(300, '5m0s');

export function keyValue(value: string, previous: string[] = []): string[] {
  if (!/^[^=]+=/.test(value)) throw new InvalidArgumentError(`"${value}" must be key=value`);
  return [...previous, value];
}

/** A whole number of at least 1 (counts of runs, repeats, workers). */
export function positiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be an integer >= 1, got '${text}'`);
  return n;
}
