/**
 * Go duration strings ("90s", "5m", "1h30m", "1.5h", "300ms"), as Helm's `--timeout` takes them.
 */
import { ErrorName, HelmSfnError } from './errors';

/** The longest timeout an input may set: Step Functions' longest execution (a year). Here, not in ./input, so the CLI's flag parsing does not load zod. */
export const MAX_TIMEOUT_SECONDS = 365 * 24 * 3600;

const SECONDS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-9],
  ['us', 1e-6],
  ['µs', 1e-6], // U+00B5 micro sign
  ['μs', 1e-6], // U+03BC Greek mu
  ['ms', 1e-3],
  ['s', 1],
  ['m', 60],
  ['h', 3600],
]);

/** Go's limit: a duration is an int64 of nanoseconds (about 292 years). */
const MAX_SECONDS = 9_223_372_036.854775807;

/** `<digits>[.<digits>]<unit>`, repeated; Go's `time.ParseDuration` grammar without the sign. */
const COMPONENT = /([0-9]*)(\.[0-9]*)?([^0-9.]*)/;

/**
 * Seconds in a Go duration string (`time.ParseDuration` rules: one or more number+unit pairs,
 * units ns, us, µs, ms, s, m, h; a bare "0" is allowed). Fractions are kept: "1500ms" → 1.5.
 * Unlike Go, a negative duration is rejected: every duration here is a timeout.
 * @throws HelmSfnError InvalidInput naming the string and the rule
 */
export function parseDuration(text: string): number {
  const fail = (rule: string): never => {
    throw new HelmSfnError(ErrorName.InvalidInput, `invalid duration "${text}": ${rule}`);
  };
  if (text.startsWith('-')) fail('must not be negative');
  const s = text.startsWith('+') ? text.slice(1) : text;
  if (s === '0') return 0;
  if (s === '') fail('expected a number followed by a unit, e.g. "90s", "5m" or "1h30m"');
  const component = new RegExp(COMPONENT.source, 'y');
  let seconds = 0;
  while (component.lastIndex < s.length) {
    const [, whole, fraction = '', unit] = component.exec(s) ?? fail('unreadable');
    if (whole === '' && fraction.length <= 1) fail('expected a number before each unit');
    if (unit === '') fail('missing unit (one of ns, us, ms, s, m, h)');
    const perUnit = SECONDS_PER_UNIT.get(unit) ?? fail(`unknown unit "${unit}" (one of ns, us, ms, s, m, h)`);
    seconds += Number(`${whole || '0'}${fraction === '.' ? '' : fraction}`) * perUnit;
  }
  if (seconds > MAX_SECONDS) fail('out of range (at most about 292 years)');
  return seconds;
}
