/**
 * Splitting `helm template` output (and Helm's stored `release.manifest`, the same format) into
 * validated Kubernetes objects, and joining documents back into Helm's manifest format.
 */
import { parseDocument, type Tags } from 'yaml';
import { ErrorName, HelmSfnError } from './errors';
import { isPlainObject, type KubeObject } from './objects';

export interface ManifestDocument {
  /** Template path from the `# Source:` comment, e.g. `mychart/templates/job.yaml`; "" when none. */
  path: string;
  /** Position in the stream (0-based), counting every non-empty document, comment-only ones too. */
  index: number;
  object: KubeObject;
  /** The document's YAML without separator and `# Source:` line, trimmed (what Helm stores). */
  text: string;
}

export interface SplitOptions {
  /** Limit on the manifest's size in UTF-8 bytes, surrounding whitespace not counted. */
  maxBytes?: number;
  maxDocuments?: number;
}

export const DEFAULT_MAX_MANIFEST_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_DOCUMENTS = 5000;

/**
 * Aliases a document may expand. Kubernetes manifests hardly use them; a low limit stops
 * "billion laughs" documents before they allocate anything large.
 */
const MAX_ALIAS_COUNT = 100;

/** `pkg/release/v1/util/manifest.go` `sep`: `(?:^|\s*\n)---\s*` with RE2's ASCII `\s`. */
const SEPARATOR = /(?:^|[\t\n\f\r ]*\n)---[\t\n\f\r ]*/g;
const SOURCE_LINE = /^# Source: (.*)$/;
const LEADING_DOCUMENT_MARKERS = /^(?:---[ \t]*(?:\r?\n|$))+/;

/**
 * Kubernetes decodes YAML with go-yaml v2, whose rules are YAML 1.1 (`0644` is octal, `yes` and
 * `on` are booleans) — a chart's `defaultMode: 0644` must become 420, as Helm sends it. go-yaml v2
 * keeps timestamps as strings and knows no base-60 numbers, so those 1.1 tags are dropped.
 */
const YAML_11_AS_GO_YAML_V2 = (tags: Tags): Tags =>
  tags.filter(
    (tag) => typeof tag === 'string' || !(tag.tag === 'tag:yaml.org,2002:timestamp' || ('format' in tag && tag.format === 'TIME')),
  );

function renderError(path: string, index: number, rule: string, cause?: unknown): HelmSfnError {
  return new HelmSfnError(ErrorName.ChartRenderFailed, `${path || '(no source)'} (document ${index}): ${rule}`, cause === undefined ? undefined : { cause });
}

/**
 * Splits a manifest stream into documents, as Helm's `releaseutil.SplitManifests` does, then
 * parses and validates each one. Empty and comment-only documents are skipped; `kind: List` is
 * kept as one document (Helm does not expand it either).
 * @throws HelmSfnError ChartRenderFailed naming the template path and document index
 */
export function splitManifest(text: string, opts: SplitOptions = {}): ManifestDocument[] {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  const maxDocuments = opts.maxDocuments ?? DEFAULT_MAX_DOCUMENTS;
  const documents: ManifestDocument[] = [];
  let path = '';
  let index = 0;
  let bytes = 0;
  for (const { chunk, consumed } of chunksOf(text.trim())) {
    bytes += Buffer.byteLength(consumed);
    const { source, body } = splitSource(chunk);
    path = source ?? path;
    if (bytes > maxBytes) throw renderError(path, index, `the manifest is larger than ${maxBytes} bytes`);
    if (chunk === '') continue;
    if (index >= maxDocuments) throw renderError(path, index, `the manifest has more than ${maxDocuments} documents`);
    const object = parseObject(body, path, index);
    if (object) documents.push({ path, index, object, text: body });
    index++;
  }
  return documents;
}

/** The chunks between separators, each with the text it consumed (for the size limit). */
function* chunksOf(text: string): Generator<{ chunk: string; consumed: string }> {
  const separator = new RegExp(SEPARATOR.source, 'g');
  let start = 0;
  for (;;) {
    const match = separator.exec(text);
    const end = match ? match.index : text.length;
    const next = match ? separator.lastIndex : text.length;
    yield { chunk: text.slice(start, end).trim(), consumed: text.slice(start, next) };
    if (!match) return;
    start = next;
  }
}

function splitSource(chunk: string): { source?: string; body: string } {
  const withoutMarkers = chunk.replace(LEADING_DOCUMENT_MARKERS, '');
  const newline = withoutMarkers.indexOf('\n');
  const firstLine = (newline < 0 ? withoutMarkers : withoutMarkers.slice(0, newline)).trimEnd();
  const source = SOURCE_LINE.exec(firstLine);
  if (!source) return { body: withoutMarkers.trim() };
  return { source: source[1].trim(), body: newline < 0 ? '' : withoutMarkers.slice(newline + 1).trim() };
}

/** Parses one document's text into a validated object; undefined when it holds no YAML node. */
export function parseObject(text: string, path: string, index: number): KubeObject | undefined {
  const doc = parseDocument(text, { version: '1.1', customTags: YAML_11_AS_GO_YAML_V2, prettyErrors: false });
  const [error] = doc.errors;
  // messages are generic ("Map keys must be unique"): no document text reaches the error
  if (error) throw renderError(path, index, `YAML syntax error at line ${lineOf(text, error.pos[0])}: ${error.message}`);
  if (doc.contents === null) return undefined;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw renderError(path, index, `YAML aliases: ${(e as Error).message}`, e);
  }
  return validateObject(flattenStrings(value), (rule) => renderError(path, index, rule));
}

/**
 * yaml builds a quoted scalar piece by piece, and V8 keeps such a string as a rope of one node
 * per piece (~30 bytes each) until something flattens it: a 5 MB manifest of 2,000 ConfigMaps
 * held 170 MB parsed, 7 MB flattened — the difference between fitting a 256 MB function or not.
 * Converting a string to a number flattens it in place.
 */
function flattenStrings(value: unknown): unknown {
  if (typeof value === 'string') Number(value);
  else if (Array.isArray(value)) value.forEach(flattenStrings);
  else if (isPlainObject(value)) Object.values(value).forEach(flattenStrings);
  return value;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v !== '';
const describeType = (v: unknown): string => (Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`);

function validateObject(value: unknown, fail: (rule: string) => Error): KubeObject {
  if (!isPlainObject(value)) throw fail(`a document must be a mapping (a Kubernetes object), not ${describeType(value)}`);
  if (!isNonEmptyString(value.apiVersion)) throw fail('apiVersion is required (a non-empty string)');
  if (!isNonEmptyString(value.kind)) throw fail('kind is required (a non-empty string)');
  const metadata = value.metadata;
  if (!isPlainObject(metadata)) throw fail('metadata is required (a mapping)');
  if (!isNonEmptyString(metadata.name)) throw fail('metadata.name is required (a non-empty string)');
  if (metadata.namespace === null) delete metadata.namespace;
  if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') throw fail('metadata.namespace must be a string');
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined || map === null) {
      delete metadata[field];
      continue;
    }
    if (!isPlainObject(map)) throw fail(`metadata.${field} must be a mapping of strings`);
    for (const [key, v] of Object.entries(map)) {
      // Go decodes a null into map[string]string as ""; any other non-string is a decode error
      if (v === null) map[key] = '';
      else if (typeof v !== 'string') throw fail(`metadata.${field}["${key}"] must be a string, not ${describeType(v)}`);
    }
  }
  return value as KubeObject;
}

/**
 * Helm's `release.manifest` format: `---\n# Source: <path>\n<document>\n` per document
 * (`pkg/action/action.go` `renderResources`).
 */
export function joinManifest(docs: readonly Pick<ManifestDocument, 'path' | 'text'>[]): string {
  return docs.map((d) => `---\n# Source: ${d.path}\n${d.text}\n`).join('');
}
