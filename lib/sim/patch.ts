/**
 * The three non-apply patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
 * strategic merge patch. Merge and strategic merge patches are lib/core's (the same code
 * helm-sfn computes client-side patches with), over the patch metadata of the built-in kinds in
 * lib/core/patch-meta. All functions are pure: they return a new value.
 */
import { type Json, type JsonObject, isJsonObject } from '../core/go-json';
import { applyJsonMergePatch } from '../core/json-merge-patch';
import { applyListKeys, PatchError, type PatchSchema } from '../core/patch-meta';
import { applyStrategicMergePatch } from '../core/strategic-merge-patch';
import { badRequest } from './errors';

export type { Json, JsonObject };

export const isObject = isJsonObject;

/**
 * The key fields of a list for server-side apply, from the list field's metadata (undefined =
 * atomic). Sets are treated as atomic lists here.
 */
export function applyKeysOf(schema: PatchSchema | undefined, field: string): string[] | undefined {
  const lookup = schema?.field(field);
  const keys = lookup && applyListKeys(lookup.meta);
  return keys && keys.length > 0 ? keys : undefined;
}

/** The identity of a keyed list item; `protocol` defaults to TCP as the API server defaults it. */
export function itemKey(item: Json, keys: string[]): string {
  const obj = isObject(item) ? item : {};
  const id: Record<string, Json> = {};
  for (const k of keys) {
    const v = obj[k] ?? (k === 'protocol' ? 'TCP' : undefined);
    if (v !== undefined) id[k] = v;
  }
  return JSON.stringify(id);
}

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export const mergePatch = (target: Json, patch: Json): Json => applyJsonMergePatch(target, patch);

const unescapePointer = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~');

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`json patch: invalid pointer "${pointer}"`);
  return pointer.slice(1).split('/').map(unescapePointer);
}

function getAt(doc: Json, path: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObject(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

/** Returns the document with `value` added at `path` (or removed when value is undefined). */
function setAt(doc: Json, path: string[], value: Json | undefined, mode: 'add' | 'replace' | 'remove'): Json {
  if (path.length === 0) return value ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(doc)) {
    const arr = [...doc];
    const index = head === '-' ? arr.length : Number(head);
    if (!Number.isInteger(index) || index < 0 || index > arr.length) throw badRequest(`json patch: index ${head} out of range`);
    if (rest.length) arr[index] = setAt(arr[index], rest, value, mode);
    else if (mode === 'add') arr.splice(index, 0, value as Json);
    else if (index >= arr.length) throw badRequest(`json patch: index ${head} out of range`);
    else if (mode === 'remove') arr.splice(index, 1);
    else arr[index] = value as Json;
    return arr;
  }
  if (!isObject(doc)) throw badRequest(`json patch: path segment "${head}" does not exist`);
  const obj = { ...doc };
  if (rest.length) {
    if (!(head in obj)) throw badRequest(`json patch: path segment "${head}" does not exist`);
    obj[head] = setAt(obj[head], rest, value, mode);
  } else if (mode === 'remove') {
    if (!(head in obj)) throw badRequest(`json patch: cannot remove missing key "${head}"`);
    delete obj[head];
  } else {
    if (mode === 'replace' && !(head in obj)) throw badRequest(`json patch: cannot replace missing key "${head}"`);
    obj[head] = value as Json;
  }
  return obj;
}

/** RFC 6902 add/remove/replace/move/copy/test. */
export function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('json patch: the body must be a JSON array of operations');
  let out = structuredClone(doc);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw badRequest('json patch: each operation needs "op" and "path"');
    const path = parsePointer(raw.path);
    switch (raw.op) {
      case 'add':
      case 'replace':
        out = setAt(out, path, structuredClone(raw.value ?? null), raw.op);
        break;
      case 'remove':
        out = setAt(out, path, undefined, 'remove');
        break;
      case 'move':
      case 'copy': {
        const from = parsePointer(String(raw.from));
        const value = getAt(out, from);
        if (value === undefined) throw badRequest(`json patch: "from" path ${raw.from} does not exist`);
        if (raw.op === 'move') out = setAt(out, from, undefined, 'remove');
        out = setAt(out, path, structuredClone(value), 'add');
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(out, path)) !== JSON.stringify(raw.value)) throw badRequest(`json patch: test operation for path ${raw.path} failed`);
        break;
      default:
        throw badRequest(`json patch: unknown operation "${raw.op}"`);
    }
  }
  return out;
}

const isDirectiveKey = (k: string): boolean =>
  k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/');

/** Drops directives a patch left in newly added subtrees; decoding into the Go types drops them too. */
function withoutDirectiveKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(withoutDirectiveKeys);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!isDirectiveKey(k)) out[k] = withoutDirectiveKeys(x);
  return out;
}

/** Strategic merge patch over a built-in kind, as the API server applies it; a malformed patch is a 400. */
export function strategicMerge(target: Json, patch: Json, schema: PatchSchema): Json {
  if (!isObject(patch)) throw badRequest('strategic merge patch: the body must be a JSON object');
  try {
    return withoutDirectiveKeys(applyStrategicMergePatch(isObject(target) ? target : {}, patch, schema));
  } catch (e) {
    if (e instanceof PatchError) throw badRequest(e.message);
    throw e;
  }
}
