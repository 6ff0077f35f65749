/** Option parsers shared by commands: each rejects bad values with the flag and the rule. */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/duration';
import { HOOK_MODES, type HookMode } from '../core/ordering';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function hookMode(value: string): HookMode {
  if (!(HOOK_MODES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${HOOK_MODES.join(', ')}`);
  return value as HookMode;
}

export function outputFormat(value: string): 'table' | 'json' {
  if (value !== 'table' && value !== 'json') throw new InvalidArgumentError('must be table or json');
  return value;
}

/** Go durations like Helm's --timeout ("5m", "90s", "1h30m"). */
export function durationSeconds(value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function keyValue(value: string, previous: string[] = []): string[] {
  if (!/^[^=]+=/.test(value)) throw new InvalidArgumentError(`"${value}" must be key=value`);
  return [...previous, value];
}
