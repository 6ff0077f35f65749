/**
 * Values as Helm merges user-supplied layers (`-f` files in order, then `--set`): maps merge
 * recursively, anything else is replaced by the later layer (pkg/cli/values/options.go mergeMaps).
 */
export type Values = Record<string, unknown>;

const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergeValues(base: Values, overlay: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    out[key] = isMap(current) && isMap(value) ? mergeValues(current, value) : value;
  }
  return out;
}

export interface ValuesChoice {
  /** The previous release's user-supplied values (`config`). */
  readonly previous: Values;
  /** Did this upgrade supply any values (inline, files or --set)? */
  readonly supplied: boolean;
  readonly reuseValues: boolean;
  readonly resetValues: boolean;
}

/**
 * Which previous values an upgrade starts from (pkg/action/upgrade.go reuseValues): none with
 * --reset-values; all of them with --reuse-values (new ones win); and, with neither flag, all of
 * them only when the upgrade supplies no values at all.
 */
export function upgradeBaseValues(choice: ValuesChoice): Values {
  if (choice.resetValues) return {};
  if (choice.reuseValues || !choice.supplied) return choice.previous;
  return {};
}
