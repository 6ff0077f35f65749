/**
 * Field ownership and server-side apply, simplified from sigs.k8s.io/structured-merge-diff:
 * an object is a set of leaf field paths; keyed lists (containers by name, ports by containerPort
 * + protocol, … as the OpenAPI's x-kubernetes-list-map-keys say, lib/core/patch-meta) are
 * associative, every other list is atomic. managedFields record which
 * manager owns which paths (FieldsV1 encoding); an Update takes ownership of what it changed,
 * an Apply owns exactly what it applied, conflicts are checked after merging and defaulting,
 * and fields a manager stops applying are removed unless someone else owns them.
 */
import { applyConflict, type StatusCause } from './errors';
import type { PatchSchema } from '../core/patch-meta';
import { applyKeysOf, isObject, itemKey, type Json, type JsonObject } from './patch';
import type { ManagedFieldsEntry } from './storage';

/** Path segments `f:<field>` or `k:<json key>` joined by newlines (never inside JSON). */
export type FieldPath = string;
const SEP = '\n';

/** Server-owned metadata: never tracked, never applied. */
const UNTRACKED_METADATA = new Set([
  'name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'generateName',
]);

export type Scope = 'main' | 'status';

function collect(value: Json, segments: string[], keys: string[] | undefined, schema: PatchSchema | undefined, out: Set<FieldPath>): void {
  if (Array.isArray(value)) {
    if (!keys || value.length === 0) {
      out.add(segments.join(SEP));
      return;
    }
    for (const item of value) {
      const itemSegs = [...segments, `k:${itemKey(item, keys)}`];
      out.add(itemSegs.join(SEP));
      if (isObject(item)) collectFields(item, itemSegs, schema, out);
    }
    return;
  }
  if (isObject(value) && Object.keys(value).length > 0) {
    collectFields(value, segments, schema, out);
    return;
  }
  out.add(segments.join(SEP));
}

function collectFields(obj: JsonObject, segments: string[], schema: PatchSchema | undefined, out: Set<FieldPath>): void {
  for (const [k, v] of Object.entries(obj)) {
    const field = schema?.field(k);
    collect(v, [...segments, `f:${k}`], applyKeysOf(schema, k), field && (field.schema.element() ?? field.schema), out);
  }
}

/**
 * The leaf paths of an object: everything but apiVersion/kind and server metadata; status only
 * in the status scope. `schema` is the kind's (undefined for custom resources: atomic lists).
 */
export function fieldPaths(obj: JsonObject, scope: Scope, hasStatusSubresource: boolean, schema?: PatchSchema): Set<FieldPath> {
  const out = new Set<FieldPath>();
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    const isStatus = k === 'status';
    if (hasStatusSubresource && (scope === 'status') !== isStatus) continue;
    if (k === 'metadata' && isObject(v)) {
      const meta = schema?.field('metadata')?.schema;
      for (const [mk, mv] of Object.entries(v)) {
        if (UNTRACKED_METADATA.has(mk)) continue;
        const field = meta?.field(mk);
        collect(mv, ['f:metadata', `f:${mk}`], applyKeysOf(meta, mk), field && (field.schema.element() ?? field.schema), out);
      }
      continue;
    }
    const field = schema?.field(k);
    collect(v, [`f:${k}`], applyKeysOf(schema, k), field && (field.schema.element() ?? field.schema), out);
  }
  return out;
}

/** Encodes paths as FieldsV1 (`{"f:spec":{"f:replicas":{}}}`, keyed items get `".": {}`). */
export function toFieldsV1(paths: Iterable<FieldPath>): object {
  const root: Record<string, object> = {};
  for (const path of paths) {
    let node = root;
    const segs = path.split(SEP);
    for (const seg of segs) node = (node[seg] ??= {}) as Record<string, object>;
    if (segs[segs.length - 1].startsWith('k:')) node['.'] = {};
  }
  return root;
}

export function fromFieldsV1(fields: object | undefined): Set<FieldPath> {
  const out = new Set<FieldPath>();
  const walk = (node: Record<string, object>, segs: string[]): void => {
    const children = Object.keys(node);
    if (children.length === 0 && segs.length) out.add(segs.join(SEP));
    for (const child of children) {
      if (child === '.') out.add(segs.join(SEP));
      else walk(node[child] as Record<string, object>, [...segs, child]);
    }
  };
  walk((fields ?? {}) as Record<string, object>, []);
  return out;
}

/** `.spec.template.spec.containers[name="web"].image`, the way conflicts print paths. */
export function formatPath(path: FieldPath): string {
  return path
    .split(SEP)
    .map((seg) => {
      if (seg.startsWith('f:')) return `.${seg.slice(2)}`;
      const key = JSON.parse(seg.slice(2)) as Record<string, Json>;
      return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    })
    .join('');
}

function findItem(list: Json[], keyJson: string): number {
  const keys = Object.keys(JSON.parse(keyJson) as object);
  return list.findIndex((item) => itemKey(item, keys) === keyJson);
}

export function valueAt(obj: Json, path: FieldPath): Json | undefined {
  let cur: Json | undefined = obj;
  for (const seg of path.split(SEP)) {
    if (seg.startsWith('f:')) cur = isObject(cur) ? cur[seg.slice(2)] : undefined;
    else if (Array.isArray(cur)) {
      const i = findItem(cur, seg.slice(2));
      cur = i >= 0 ? cur[i] : undefined;
    } else cur = undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function removeAt(node: Json, segs: string[]): Json {
  const [seg, ...rest] = segs;
  if (seg.startsWith('f:') && isObject(node)) {
    const key = seg.slice(2);
    if (!(key in node)) return node;
    const out = { ...node };
    if (rest.length === 0) delete out[key];
    else {
      out[key] = removeAt(out[key], rest);
      if (isObject(out[key]) && Object.keys(out[key] as object).length === 0) delete out[key];
    }
    return out;
  }
  if (seg.startsWith('k:') && Array.isArray(node)) {
    const i = findItem(node, seg.slice(2));
    if (i < 0) return node;
    const out = [...node];
    if (rest.length === 0) out.splice(i, 1);
    else out[i] = removeAt(out[i], rest);
    return out;
  }
  return node;
}

export function removePaths(obj: JsonObject, paths: Iterable<FieldPath>): JsonObject {
  let out: Json = obj;
  for (const p of paths) out = removeAt(out, p.split(SEP));
  return out as JsonObject;
}

/** Merges an applied configuration into the live object: maps recurse, keyed lists merge by key, the rest replaces. */
export function applyMerge(live: Json | undefined, applied: Json, schema?: PatchSchema, keys?: string[]): Json {
  if (isObject(applied)) {
    const out: JsonObject = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) delete out[k];
      else {
        const field = schema?.field(k);
        out[k] = applyMerge(out[k], v, field && (field.schema.element() ?? field.schema), applyKeysOf(schema, k));
      }
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    if (!keys) return structuredClone(applied);
    const appliedIds = applied.map((i) => itemKey(i, keys));
    const merged = applied.map((item, n) => {
      const existing = live.find((l) => itemKey(l, keys) === appliedIds[n]);
      return applyMerge(existing, item, schema);
    });
    return [...merged, ...live.filter((l) => !appliedIds.includes(itemKey(l, keys)))];
  }
  return structuredClone(applied);
}

const sameEntry = (e: ManagedFieldsEntry, manager: string, operation: string, subresource?: string): boolean =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');

export function ownedBy(entries: ManagedFieldsEntry[] | undefined, manager: string, operation: 'Apply' | 'Update', subresource?: string): Set<FieldPath> {
  const e = (entries ?? []).find((x) => sameEntry(x, manager, operation, subresource));
  return fromFieldsV1(e?.fieldsV1);
}

const isItemMarker = (p: FieldPath): boolean => p.split(SEP).pop()!.startsWith('k:');

export interface Conflict {
  path: FieldPath;
  manager: ManagedFieldsEntry;
}

/** Applied leaves whose live value differs from the merged-and-defaulted one and that another manager owns. */
export function findConflicts(
  entries: ManagedFieldsEntry[] | undefined,
  manager: string,
  applied: Set<FieldPath>,
  live: JsonObject,
  result: JsonObject,
): Conflict[] {
  const out: Conflict[] = [];
  for (const path of applied) {
    if (isItemMarker(path)) continue;
    const before = valueAt(live, path);
    if (before === undefined || JSON.stringify(before) === JSON.stringify(valueAt(result, path))) continue;
    for (const e of entries ?? []) {
      if (e.manager === manager && e.operation === 'Apply') continue;
      if (fromFieldsV1(e.fieldsV1).has(path)) out.push({ path, manager: e });
    }
  }
  return out;
}

function describeManager(e: ManagedFieldsEntry): string {
  const name = JSON.stringify(e.manager) + (e.subresource ? ` with subresource ${JSON.stringify(e.subresource)}` : '');
  return e.operation === 'Update' ? `${name} using ${e.apiVersion}` : name;
}

/** The 409 of a conflicting apply (k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager/internal/conflict.go). */
export function conflictError(conflicts: Conflict[]) {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: formatPath(c.path),
  }));
  if (conflicts.length === 1) {
    return applyConflict(`Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0].manager)}: ${formatPath(conflicts[0].path)}`, causes);
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(describeManager(c.manager), [...(byManager.get(describeManager(c.manager)) ?? []), formatPath(c.path)]);
  const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`)]);
  return applyConflict(`Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`, causes);
}

interface Recording {
  manager: string;
  apiVersion: string;
  time: string;
  subresource?: string;
}

function withEntry(entries: ManagedFieldsEntry[], rec: Recording, operation: 'Apply' | 'Update', paths: Set<FieldPath>): ManagedFieldsEntry[] {
  const rest = entries.filter((e) => !sameEntry(e, rec.manager, operation, rec.subresource));
  if (paths.size === 0) return rest;
  const fieldsV1 = toFieldsV1([...paths].sort());
  const existing = entries.find((e) => sameEntry(e, rec.manager, operation, rec.subresource));
  // an unchanged field set keeps its entry (and time), so a no-op apply stays a no-op
  if (existing && JSON.stringify(existing.fieldsV1) === JSON.stringify(fieldsV1)) return entries;
  const entry: ManagedFieldsEntry = {
    manager: rec.manager,
    operation,
    apiVersion: rec.apiVersion,
    time: rec.time,
    fieldsType: 'FieldsV1',
    fieldsV1,
    ...(rec.subresource ? { subresource: rec.subresource } : {}),
  };
  const at = entries.findIndex((e) => sameEntry(e, rec.manager, operation, rec.subresource));
  if (at < 0) return [...rest, entry];
  const out = [...entries];
  out[at] = entry;
  return out;
}

function withoutPaths(entries: ManagedFieldsEntry[], drop: Set<FieldPath>, except?: ManagedFieldsEntry): ManagedFieldsEntry[] {
  if (drop.size === 0) return entries;
  return entries.flatMap((e) => {
    if (e === except) return [e];
    const owned = fromFieldsV1(e.fieldsV1);
    const kept = [...owned].filter((p) => !drop.has(p));
    if (kept.length === owned.size) return [e];
    return kept.length ? [{ ...e, fieldsV1: toFieldsV1(kept.sort()) }] : [];
  });
}

/** Ownership after a create/update/patch: the writer takes what it changed; removed fields lose all owners. */
export function recordUpdate(
  entries: ManagedFieldsEntry[] | undefined,
  before: Set<FieldPath>,
  after: Set<FieldPath>,
  changed: (p: FieldPath) => boolean,
  rec: Recording,
): ManagedFieldsEntry[] {
  const taken = new Set([...after].filter((p) => !before.has(p) || changed(p)));
  const removed = new Set([...before].filter((p) => !after.has(p)));
  if (taken.size === 0 && removed.size === 0) return entries ?? [];
  let out = withoutPaths(entries ?? [], new Set([...taken, ...removed]));
  const mine = ownedBy(entries, rec.manager, 'Update', rec.subresource);
  const owned = new Set([...mine, ...taken].filter((p) => !removed.has(p)));
  out = withEntry(out, rec, 'Update', owned);
  return out;
}

/** Ownership after an apply: the applier owns exactly `applied`; forced conflicts move to it. */
export function recordApply(entries: ManagedFieldsEntry[] | undefined, applied: Set<FieldPath>, forced: Conflict[], rec: Recording): ManagedFieldsEntry[] {
  const out = withoutPaths(entries ?? [], new Set(forced.map((c) => c.path)));
  return withEntry(out, rec, 'Apply', applied);
}

/** Paths `manager` applied before, no longer applies, and nobody else owns: they are removed from the object. */
export function pathsToRemove(entries: ManagedFieldsEntry[] | undefined, manager: string, applied: Set<FieldPath>, subresource?: string): Set<FieldPath> {
  const previous = ownedBy(entries, manager, 'Apply', subresource);
  const others = new Set<FieldPath>();
  for (const e of entries ?? []) if (!sameEntry(e, manager, 'Apply', subresource)) for (const p of fromFieldsV1(e.fieldsV1)) others.add(p);
  return new Set([...previous].filter((p) => !applied.has(p) && !others.has(p)));
}
