/**
 * Query parameters read as kube-apiserver reads them. Every boolean parameter (watch,
 * allowWatchBookmarks, sendInitialEvents, force, orphanDependents, follow, previous,
 * timestamps, pretty, …) goes through {@link queryBool}.
 */

/**
 * apimachinery's Convert_Slice_string_To_bool: absent is unset; the first value "0" or "false"
 * (any case) is false; anything else is true, including "True" (the Python client's `watch=True`),
 * "yes" and the empty value of `?watch`.
 */
export function queryBool(q: URLSearchParams, name: string): boolean | undefined {
  const value = q.get(name);
  if (value === null) return undefined;
  return !(value === '0' || value.toLowerCase() === 'false');
}

/** A boolean parameter that defaults to false when absent. */
export const queryFlag = (q: URLSearchParams, name: string): boolean => queryBool(q, name) ?? false;

/**
 * Whether a response is indented. Unlike the parameters above, `pretty` is read by the response
 * writer with Go's strconv.ParseBool (so `pretty=yes` is false); without it, curl, Wget and
 * browsers get indented JSON.
 */
export function wantsPretty(q: URLSearchParams, userAgent: string | undefined): boolean {
  const value = q.get('pretty');
  if (value) return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
  return /^(curl|Wget|Mozilla\/5\.0)/.test(userAgent ?? '');
}
