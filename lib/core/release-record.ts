/**
 * Helm 4 release records: the JSON Helm stores, its Secret encoding, and the history rules.
 * Records written here are read by the helm CLI and the other way round (docs/semantics.md#release-records).
 * Sources: helm v4.1.4 `pkg/release/v1/{release,info,hook}.go`, `pkg/chart/v2/{chart,metadata,
 * dependency}.go`, `pkg/chart/common/file.go`, `pkg/storage/driver/{secrets,util,labels}.go`,
 * `pkg/storage/storage.go`.
 */
import { constants, gunzipSync, gzipSync } from 'zlib';
import { ErrorName, HelmSfnError } from './errors';
import { isPlainObject } from './objects';

// ---------------------------------------------------------------------------------------------
// Types: Helm's JSON field names (snake_case), optional where Go omits the field when empty.
// Unknown fields of a decoded record survive a re-encode (a newer Helm may add some).

/** `pkg/release/common/status.go`. */
export const RELEASE_STATUSES = [
  'unknown',
  'deployed',
  'uninstalled',
  'superseded',
  'failed',
  'uninstalling',
  'pending-install',
  'pending-upgrade',
  'pending-rollback',
] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/** Helm's `Status.IsPending()`: only the three pending-* statuses (uninstalling is not pending). */
export const isPending = (status: ReleaseStatus): boolean =>
  status === 'pending-install' || status === 'pending-upgrade' || status === 'pending-rollback';

/** Times are RFC3339 strings with nanoseconds, as Go's `time.Time` marshals them. */
export interface ReleaseInfo {
  first_deployed?: string;
  last_deployed?: string;
  deleted?: string;
  description?: string;
  status: ReleaseStatus;
  /** Only written by Helm after v4.2.4 (`helm rollback` target). */
  rollback_revision?: number;
  notes?: string;
  resources?: Record<string, unknown[]>;
}

/** `''` = never run. */
export type HookPhase = '' | 'Unknown' | 'Running' | 'Succeeded' | 'Failed';

export interface HookExecution {
  started_at?: string;
  completed_at?: string;
  phase: HookPhase;
}

export interface HelmHook {
  name: string;
  kind: string;
  /** Template path, e.g. `wordpress/templates/backup-job.yaml`. */
  path: string;
  manifest: string;
  events: string[];
  last_run: HookExecution;
  weight?: number;
  delete_policies?: string[];
  output_log_policies?: string[];
}

/** A chart file; `data` is base64 (Go marshals `[]byte` that way). */
export interface ChartFile {
  name: string;
  data: string;
  modtime?: string;
}

export interface ChartMaintainer {
  name?: string;
  email?: string;
  url?: string;
}

export interface ChartDependency {
  name: string;
  version?: string;
  repository: string;
  condition?: string;
  tags?: string[];
  enabled?: boolean;
  'import-values'?: unknown[];
  alias?: string;
}

/** Chart.yaml as Helm parsed it. */
export interface ChartMetadata {
  name?: string;
  home?: string;
  sources?: string[];
  version?: string;
  description?: string;
  keywords?: string[];
  maintainers?: ChartMaintainer[];
  icon?: string;
  apiVersion?: string;
  condition?: string;
  tags?: string;
  appVersion?: string;
  deprecated?: boolean;
  annotations?: Record<string, string>;
  kubeVersion?: string;
  dependencies?: ChartDependency[];
  type?: string;
}

export interface ChartLock {
  generated: string;
  digest: string;
  dependencies: ChartDependency[] | null;
}

/** The chart as stored in a release. Subcharts are never serialised by Helm (unexported field). */
export interface HelmChart {
  metadata: ChartMetadata | null;
  lock: ChartLock | null;
  templates: ChartFile[] | null;
  values: Record<string, unknown> | null;
  /** values.schema.json, base64. */
  schema: string | null;
  schemamodtime?: string;
  files: ChartFile[] | null;
  modtime?: string;
}

export interface HelmRelease {
  name: string;
  info: ReleaseInfo;
  chart: HelmChart;
  /** User-supplied values only (not the chart's defaults). */
  config?: Record<string, unknown>;
  /** Regular resources, `---\n# Source: <path>\n<doc>\n` blocks. */
  manifest: string;
  hooks?: HelmHook[];
  version: number;
  namespace: string;
  /** Helm 4 only; absent means client-side apply. */
  apply_method?: 'ssa' | 'csa';
}

// ---------------------------------------------------------------------------------------------
// Go-compatible JSON: struct fields in declaration order with omitempty/omitzero, map keys sorted
// byte-wise, `<>&` escaped — what `json.Marshal` writes, so our records read like Helm's.

type JsonShape = GoStruct | 'map' | { list: JsonShape };
type GoStruct = readonly GoField[];
interface GoField {
  key: string;
  /** `empty` = Go `omitempty`; `zero` = `omitzero` on a time.Time. Absent: always written. */
  omit?: 'empty' | 'zero';
  shape?: JsonShape;
  /** Written for an absent field that Go always writes (nil slice/pointer = null). */
  zero?: unknown;
}

/** Go's zero `time.Time`, which Helm writes for fields such as `schemamodtime`. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

const DEPENDENCY: GoStruct = [
  { key: 'name', zero: '' },
  { key: 'version', omit: 'empty' },
  { key: 'repository', zero: '' },
  { key: 'condition', omit: 'empty' },
  { key: 'tags', omit: 'empty' },
  { key: 'enabled', omit: 'empty' },
  { key: 'import-values', omit: 'empty' },
  { key: 'alias', omit: 'empty' },
];
const METADATA: GoStruct = [
  ...['name', 'home', 'sources', 'version', 'description', 'keywords'].map((key) => ({ key, omit: 'empty' as const })),
  {
    key: 'maintainers',
    omit: 'empty',
    shape: { list: ['name', 'email', 'url'].map((key) => ({ key, omit: 'empty' as const })) },
  },
  ...['icon', 'apiVersion', 'condition', 'tags', 'appVersion', 'deprecated'].map((key) => ({ key, omit: 'empty' as const })),
  { key: 'annotations', omit: 'empty', shape: 'map' },
  { key: 'kubeVersion', omit: 'empty' },
  { key: 'dependencies', omit: 'empty', shape: { list: DEPENDENCY } },
  { key: 'type', omit: 'empty' },
];
const FILE: GoStruct = [{ key: 'name', zero: '' }, { key: 'data', zero: null }, { key: 'modtime', omit: 'zero' }];
const CHART: GoStruct = [
  { key: 'metadata', shape: METADATA },
  { key: 'lock', shape: [{ key: 'generated', zero: GO_ZERO_TIME }, { key: 'digest', zero: '' }, { key: 'dependencies', shape: { list: DEPENDENCY } }] },
  { key: 'templates', shape: { list: FILE } },
  { key: 'values', shape: 'map' },
  { key: 'schema' },
  // `omitempty` never omits a struct, so Go writes the zero time here.
  { key: 'schemamodtime', zero: GO_ZERO_TIME },
  { key: 'files', shape: { list: FILE } },
  { key: 'modtime', omit: 'zero' },
];
const INFO: GoStruct = [
  { key: 'first_deployed', omit: 'zero' },
  { key: 'last_deployed', omit: 'zero' },
  { key: 'deleted', omit: 'zero' },
  { key: 'description', omit: 'empty' },
  { key: 'status', omit: 'empty' },
  { key: 'rollback_revision', omit: 'empty' },
  { key: 'notes', omit: 'empty' },
  { key: 'resources', omit: 'empty', shape: 'map' },
];
const HOOK: GoStruct = [
  ...['name', 'kind', 'path', 'manifest', 'events'].map((key) => ({ key, omit: 'empty' as const })),
  { key: 'last_run', zero: { phase: '' }, shape: [{ key: 'started_at', omit: 'zero' }, { key: 'completed_at', omit: 'zero' }, { key: 'phase', zero: '' }] },
  ...['weight', 'delete_policies', 'output_log_policies'].map((key) => ({ key, omit: 'empty' as const })),
];
const RELEASE: GoStruct = [
  { key: 'name', omit: 'empty' },
  { key: 'info', omit: 'empty', shape: INFO },
  { key: 'chart', omit: 'empty', shape: CHART },
  { key: 'config', omit: 'empty', shape: 'map' },
  { key: 'manifest', omit: 'empty' },
  { key: 'hooks', omit: 'empty', shape: { list: HOOK } },
  { key: 'version', omit: 'empty' },
  { key: 'namespace', omit: 'empty' },
  { key: 'apply_method', omit: 'empty' },
];

/** The release JSON exactly as Helm 4's `json.Marshal` would write it (no whitespace). */
export function releaseToJson(rel: HelmRelease): string {
  return goJson(rel, RELEASE);
}

function goJson(value: unknown, shape?: JsonShape): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return goString(value);
  if (Array.isArray(value)) {
    const item = shape !== undefined && typeof shape === 'object' && 'list' in shape ? shape.list : shape === 'map' ? 'map' : undefined;
    return `[${value.map((v) => goJson(v, item)).join(',')}]`;
  }
  if (typeof value !== 'object') return JSON.stringify(value);
  const obj = value as Record<string, unknown>;
  if (shape === 'map') {
    const keys = Object.keys(obj).sort(compareBytes);
    return `{${keys.map((k) => `${goString(k)}:${goJson(obj[k], 'map')}`).join(',')}}`;
  }
  const fields = Array.isArray(shape) ? (shape as GoStruct) : [];
  const parts: string[] = [];
  for (const f of fields) {
    const v = obj[f.key];
    if (f.omit === 'empty' && isGoEmpty(v)) continue;
    if (f.omit === 'zero' && (v === undefined || v === '' || v === GO_ZERO_TIME)) continue;
    parts.push(`${goString(f.key)}:${goJson(v === undefined ? (f.zero ?? null) : v, f.shape)}`);
  }
  const known = new Set(fields.map((f) => f.key));
  for (const [k, v] of Object.entries(obj)) {
    if (!known.has(k) && v !== undefined) parts.push(`${goString(k)}:${goJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

const isGoEmpty = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  v === '' ||
  v === 0 ||
  v === false ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** Go's encoder escapes HTML-significant characters and the JS line separators. */
const goString = (s: string): string =>
  JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Go sorts map keys by their UTF-8 bytes. */
const compareBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

// ---------------------------------------------------------------------------------------------
// Encoding (`pkg/storage/driver/util.go`)

const GZIP_MAGIC = [0x1f, 0x8b, 0x08];
/** Guard against gzip bombs in a record read from a cluster. */
const MAX_DECODED_BYTES = 100 * 1024 * 1024;

/** base64(gzip level 9 (JSON)): the string Helm puts into `data.release` (before Kubernetes' own base64). */
export function encodeRelease(rel: HelmRelease): string {
  return gzipSync(Buffer.from(releaseToJson(rel), 'utf8'), { level: constants.Z_BEST_COMPRESSION }).toString('base64');
}

/** Inverse of {@link encodeRelease}; like Helm it also accepts base64 of plain (not gzipped) JSON. */
export function decodeRelease(encoded: string): HelmRelease {
  const bytes = strictBase64(encoded, 'release data');
  let text: string;
  if (GZIP_MAGIC.every((b, i) => bytes[i] === b)) {
    try {
      text = gunzipSync(bytes, { maxOutputLength: MAX_DECODED_BYTES }).toString('utf8');
    } catch (e) {
      // zlib's messages ("incorrect header check") quote no data
      throw corrupt(`release data: gzip stream is corrupt or larger than ${MAX_DECODED_BYTES} bytes (${(e as Error).message})`, e);
    }
  } else {
    text = bytes.toString('utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // no cause, no parser message: V8's quotes the text around the error, which is the record's data
    throw corrupt(`release data: not a JSON release record after base64${bytes[0] === 0x1f ? '+gzip' : ''} decoding`);
  }
  return checkRecord(parsed);
}

function strictBase64(s: string, what: string): Buffer {
  // Node's decoder silently skips invalid characters; Go's StdEncoding rejects them.
  if (typeof s !== 'string' || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw corrupt(`${what}: not valid base64 (standard alphabet, padded)`);
  }
  return Buffer.from(s, 'base64');
}

/** The fields every reader of a record relies on; the rest is carried along as decoded. */
function checkRecord(v: unknown): HelmRelease {
  const problems: string[] = [];
  const obj = isPlainObject(v) ? v : undefined;
  if (!obj) throw corrupt('release data: the JSON is not an object');
  if (typeof obj.name !== 'string' || obj.name === '') problems.push('name must be a non-empty string');
  if (!Number.isInteger(obj.version) || (obj.version as number) < 1) problems.push('version must be a positive integer');
  if (obj.namespace !== undefined && typeof obj.namespace !== 'string') problems.push('namespace must be a string');
  if (obj.manifest !== undefined && typeof obj.manifest !== 'string') problems.push('manifest must be a string');
  if (!isPlainObject(obj.info) || !RELEASE_STATUSES.includes(obj.info.status as ReleaseStatus)) {
    problems.push(`info.status must be one of ${RELEASE_STATUSES.join(', ')}`);
  }
  if (obj.hooks !== undefined && obj.hooks !== null && (!Array.isArray(obj.hooks) || !obj.hooks.every(isPlainObject))) {
    problems.push('hooks must be a list of objects');
  }
  if (problems.length) throw corrupt(`release data: ${problems.join('; ')}`);
  // Go's omitempty drops these when empty; the types promise strings.
  return { ...obj, namespace: obj.namespace ?? '', manifest: obj.manifest ?? '' } as unknown as HelmRelease;
}


// ---------------------------------------------------------------------------------------------
// The Secret (`pkg/storage/driver/secrets.go` newSecretsObject, `pkg/storage/storage.go` makeKey)

export const RELEASE_SECRET_TYPE = 'helm.sh/release.v1';
/** Labels Helm sets itself; users may not set them (`pkg/storage/driver/labels.go`). */
export const SYSTEM_LABELS = ['name', 'owner', 'status', 'version', 'createdAt', 'modifiedAt'] as const;

export const releaseSecretName = (name: string, revision: number): string => `sh.helm.release.v1.${name}.v${revision}`;

/** The selector of every revision of a release (`helm history`). */
export const releaseLabelSelector = (name: string): string => `name=${name},owner=helm`;

/** A type alias, not an interface, so it is assignable to index-signature object types. */
export type ReleaseSecret = {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  type: typeof RELEASE_SECRET_TYPE;
  data: { release: string };
};

export interface ReleaseSecretOptions {
  /** User labels (`helm install --labels`); system label names are refused. */
  labels?: Record<string, string>;
  /** Unix seconds; Helm sets `createdAt` on Create ... */
  createdAt?: number;
  /** ... and `modifiedAt` on Update. */
  modifiedAt?: number;
}

/** The Secret Helm 4 stores for `rel`: `data.release` = Kubernetes base64 of {@link encodeRelease}. */
export function releaseSecret(rel: HelmRelease, opts: ReleaseSecretOptions = {}): ReleaseSecret {
  if (!Number.isInteger(rel.version) || rel.version < 1) throw new Error(`release ${rel.name}: version must be a positive integer; got ${rel.version}`);
  const reserved = Object.keys(opts.labels ?? {}).filter((k) => (SYSTEM_LABELS as readonly string[]).includes(k));
  if (reserved.length) throw new Error(`release labels: ${reserved.join(', ')} ${reserved.length > 1 ? 'are' : 'is'} reserved for Helm (${SYSTEM_LABELS.join(', ')})`);
  const labels: Record<string, string> = {
    ...opts.labels,
    name: rel.name,
    owner: 'helm',
    status: rel.info.status,
    version: String(rel.version),
  };
  if (opts.createdAt !== undefined) labels.createdAt = String(Math.floor(opts.createdAt));
  if (opts.modifiedAt !== undefined) labels.modifiedAt = String(Math.floor(opts.modifiedAt));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: releaseSecretName(rel.name, rel.version), namespace: rel.namespace, labels },
    type: RELEASE_SECRET_TYPE,
    data: { release: Buffer.from(encodeRelease(rel), 'utf8').toString('base64') },
  };
}

/** Reads a release Secret as the API server returns it (JSON: `data` values are base64). */
export function releaseFromSecret(secret: { metadata?: { name?: string; namespace?: string }; data?: Record<string, string> }): HelmRelease {
  const where = `Secret ${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? '?'}`;
  const data = secret.data?.release;
  if (typeof data !== 'string') throw corrupt(`${where}: data.release is missing; not a Helm release record`);
  try {
    return decodeRelease(strictBase64(data, 'data.release').toString('utf8'));
  } catch (e) {
    throw corrupt(`${where}: ${(e as Error).message}`, e);
  }
}

/** A record that cannot be read; messages name where and why, never the data. */
const corrupt = (message: string, cause?: unknown): HelmSfnError => new HelmSfnError(ErrorName.ReleaseCorrupt, message, cause === undefined ? undefined : { cause });

// ---------------------------------------------------------------------------------------------
// History (`pkg/storage/storage.go` Last, Deployed, removeLeastRecent)

/** The least a history rule needs from a record. */
export interface RevisionInfo {
  version: number;
  info: { status: ReleaseStatus };
}

/** The highest revision (Helm's `Last`), whatever its status. */
export function latest<R extends RevisionInfo>(records: readonly R[]): R | undefined {
  return records.reduce<R | undefined>((best, r) => (best === undefined || r.version > best.version ? r : best), undefined);
}

/** The highest revision whose status is `deployed` (Helm's `Deployed`). */
export function lastDeployed<R extends RevisionInfo>(records: readonly R[]): R | undefined {
  return latest(records.filter((r) => r.info.status === 'deployed'));
}

export function nextRevision(records: readonly RevisionInfo[]): number {
  return (latest(records)?.version ?? 0) + 1;
}

/**
 * Records to delete before creating a new revision so that `historyMax` remain afterwards:
 * oldest first, never the last deployed one. `historyMax` 0 = unlimited (Helm: `MaxHistory > 0`
 * gates `removeLeastRecent(name, max-1)`).
 */
export function recordsToPrune<R extends RevisionInfo>(records: readonly R[], historyMax: number): R[] {
  if (historyMax <= 0) return [];
  const keep = historyMax - 1;
  const current = lastDeployed(records);
  const oldestFirst = [...records].sort((a, b) => a.version - b.version);
  const toDelete: R[] = [];
  for (const r of oldestFirst) {
    if (oldestFirst.length - toDelete.length <= keep) break;
    if (r.version !== current?.version) toDelete.push(r);
  }
  return toDelete;
}
