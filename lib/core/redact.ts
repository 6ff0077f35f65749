/**
 * Values out of error messages. Two sources quote a user's value back verbatim: the chart's
 * values.schema.json checks (Helm 4's jsonschema: `- at '/db/password': 'hunter2' does not match
 * pattern '^[a-z]+$'`) and the API server's field errors (a 422: `metadata.labels: Invalid value:
 * "hunter2": a valid label must be …`). Such messages become causes, logs and the release
 * description `helm status` prints, so every one of them goes through {@link redactValues}: the
 * value is replaced by `<redacted>`, the path and the rule stay, so the message still says what
 * to fix.
 */

export const REDACTED = '<redacted>';

/** jsonschema v6's messages that quote the instance value: pattern and format. */
const SCHEMA_VALUE = /^(\s*- at '[^'\n]*': )'.*'( does not match pattern '.*'| is not valid .*)$/gm;

/** k8s.io/apimachinery field errors that print the offending value (field.ErrorType.String()). */
const FIELD_VALUE = /(Invalid value|Unsupported value|Duplicate value|Not found): /g;

/** A Go-quoted string (%q), a number, a bool, null/<nil>: the scalar forms the API server prints. */
const SCALAR = /^(?:"(?:[^"\\]|\\.)*"|-?[0-9][0-9a-zA-Z.+-]*|true|false|null|<nil>)/;

/** The message with every quoted value replaced by {@link REDACTED}. */
export function redactValues(message: string): string {
  return redactFieldValues(message.replace(SCHEMA_VALUE, `$1${REDACTED}$2`));
}

/** How deep a cause chain is followed (Node's own inspector stops early too). */
const MAX_CAUSES = 5;

type Scalar = string | number | boolean | bigint;
const isScalar = (v: unknown): v is Scalar => ['string', 'number', 'boolean', 'bigint'].includes(typeof v);

/**
 * A copy of an error fit for a log line (Powertools logs an error's stack, its cause and every
 * enumerable field): its name; its message, stack and cause chain with every quoted value
 * redacted; of its other fields only scalars (an HTTP code, an errno) — an object field may be
 * a response body quoting the object sent.
 */
export function redactError(e: unknown, depth = 0): unknown {
  if (!(e instanceof Error)) return typeof e === 'string' ? redactValues(e) : isScalar(e) ? e : undefined;
  const cause = e.cause !== undefined && depth < MAX_CAUSES ? redactError(e.cause, depth + 1) : undefined;
  const copy = new Error(redactValues(e.message), cause === undefined ? undefined : { cause });
  copy.name = e.name;
  // the stack's first line repeats the message; the frames hold no values
  const frames = (e.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  copy.stack = [`${e.name}: ${copy.message}`, ...frames].join('\n');
  for (const [key, value] of Object.entries(e)) {
    if (!(key in copy) && isScalar(value)) Object.assign(copy, { [key]: typeof value === 'string' ? redactValues(value) : value });
  }
  return copy;
}

function redactFieldValues(message: string): string {
  let out = '';
  let from = 0;
  for (const match of message.matchAll(FIELD_VALUE)) {
    const start = match.index + match[0].length;
    if (start < from) continue;
    const end = valueEnd(message, start);
    if (end === start) continue;
    out += message.slice(from, start) + REDACTED;
    from = end;
  }
  return out + message.slice(from);
}

/** A Go type before a composite literal (%#v): `map[string]interface {}`, `[]string`, `v1.Foo`. */
const GO_TYPE = /^(?:\[\]|map\[[^\]]*\]|\*)*[A-Za-z0-9_.]*(?: ?\{\})?(?=\{)/;

/** Where the value printed at `start` ends: a scalar, a JSON object or list, or a Go composite literal. */
function valueEnd(message: string, start: number): number {
  const rest = message.slice(start);
  const scalar = SCALAR.exec(rest);
  if (scalar) return start + scalar[0].length;
  const goType = GO_TYPE.exec(rest)?.[0].length;
  const open = start + (goType || (rest[0] === '[' || rest[0] === '{' ? 0 : -1));
  if (open < start) return start;
  const close = message[open] === '{' ? '}' : ']';
  let depth = 0;
  for (let j = open; j < message.length; j++) {
    const quoted = message[j] === '"' ? /^"(?:[^"\\]|\\.)*"/.exec(message.slice(j)) : null;
    if (quoted) {
      j += quoted[0].length - 1;
      continue;
    }
    if (message[j] === message[open]) depth++;
    else if (message[j] === close && --depth === 0) return j + 1;
  }
  return message.length;
}
