/**
 * JSON values as Go's encoding/json sees them after `json.Unmarshal` into `interface{}`, and
 * the few Go behaviours the patch algorithms depend on: `json.Marshal`'s bytes (sorted keys,
 * HTML-safe escapes), `fmt.Sprintf("%v")` (which apimachinery sorts list items by), Go's
 * byte-wise string order and `reflect.TypeOf` kinds. Pure functions.
 */
import { isPlainObject } from './objects';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export type JsonObject = { [key: string]: Json };

export const isJsonObject = (v: unknown): v is JsonObject => isPlainObject(v);

export const hasKey = (o: JsonObject, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Sets a key, even `__proto__` (a valid ConfigMap data key), as an own property. */
export function put(o: JsonObject, key: string, value: Json): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** A deep copy through JSON: what Go gets from `json.Unmarshal(json.Marshal(x))` (undefined dropped). */
export const cloneJson = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** The kind `reflect.TypeOf` reports for a decoded JSON value. */
export type GoKind = 'map' | 'slice' | 'string' | 'float64' | 'bool' | 'nil';

export function goKind(v: Json): GoKind {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'slice';
  switch (typeof v) {
    case 'object':
      return 'map';
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    default:
      return 'bool';
  }
}

/** `reflect.DeepEqual` of two decoded JSON values. */
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => hasKey(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Go's `<` on strings: byte-wise on UTF-8, i.e. by code point (JS compares UTF-16 units). */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** strconv.FormatFloat(f, 'g', -1, 64), as `%v` prints a float64: shortest digits, exponent form below 1e-4 and from 1e6. */
function formatFloatG(f: number): string {
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  if (!Number.isFinite(f)) return Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf';
  const [mantissa, expText] = f.toExponential().split('e');
  const exp = Number(expText);
  if (exp >= -4 && exp < 6) return String(f);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** `fmt.Sprintf("%v", v)` for a decoded JSON value. */
export function goFormatV(v: Json | undefined): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return formatFloatG(v);
  if (Array.isArray(v)) return `[${v.map(goFormatV).join(' ')}]`;
  const keys = Object.keys(v).sort(compareGoStrings);
  return `map[${keys.map((k) => `${k}:${goFormatV(v[k])}`).join(' ')}]`;
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;
const escapeHtml = (s: string): string => s.replace(HTML_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The bytes Go's `json.Marshal` writes for a decoded JSON value: map keys sorted, `<>&` escaped. */
export function goMarshal(v: Json): string {
  if (v === null || typeof v !== 'object') return escapeHtml(JSON.stringify(v));
  if (Array.isArray(v)) return `[${v.map(goMarshal).join(',')}]`;
  const keys = Object.keys(v).sort(compareGoStrings);
  return `{${keys.map((k) => `${escapeHtml(JSON.stringify(k))}:${goMarshal(v[k])}`).join(',')}}`;
}
