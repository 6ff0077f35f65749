/**
 * The three non-apply patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and an
 * approximate strategic merge patch (keyed lists by the `patchMergeKey`s of k8s.io/api, plus
 * the `$patch`, `$retainKeys`, `$setElementOrder` and `$deleteFromPrimitiveList` directives).
 * All functions are pure: they return a new value.
 */
import { badRequest } from './errors';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The merge key of a list field, from k8s.io/api struct tags; undefined = atomic list. */
export function mergeKeysFor(field: string, items: Json[]): string[] | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
    case 'secrets':
      return ['name'];
    case 'volumeMounts':
      return ['mountPath'];
    case 'conditions':
      return ['type'];
    case 'ownerReferences':
      return ['uid'];
    case 'hostAliases':
      return ['ip'];
    case 'ports':
      // container ports are keyed by containerPort, Service ports by port (both with protocol)
      return items.some((i) => isObject(i) && 'containerPort' in i) ? ['containerPort', 'protocol'] : ['port', 'protocol'];
    default:
      return undefined;
  }
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
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

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

function mergeKeyedList(field: string, target: Json[], patch: Json[]): Json[] {
  const keys = mergeKeysFor(field, [...target, ...patch]);
  if (!keys) {
    if (field === 'finalizers') return [...new Set([...(target as string[]), ...(patch as string[])])];
    return patch.filter((p) => !(isObject(p) && p.$patch));
  }
  const out = [...target];
  for (const item of patch) {
    const id = itemKey(item, keys);
    const index = out.findIndex((t) => itemKey(t, keys) === id);
    if (isObject(item) && item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (isObject(item) && item.$patch === 'replace') {
      const { $patch: _drop, ...rest } = item;
      if (index >= 0) out[index] = rest;
      else out.push(rest);
    } else if (index >= 0) out[index] = strategicMerge(out[index], item);
    else out.push(strategicMerge(null, item));
  }
  return out;
}

/** Strategic merge patch over built-in kinds. */
export function strategicMerge(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _drop, ...rest } = patch;
    return strategicMerge(null, rest);
  }
  if (patch.$patch === 'delete') return null;
  let out: JsonObject = isObject(target) ? { ...target } : {};
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys' || k === '$patch') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      if (Array.isArray(out[field])) out[field] = (out[field] as Json[]).filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeKeyedList(k, Array.isArray(out[k]) ? (out[k] as Json[]) : [], v);
    else out[k] = strategicMerge(out[k] ?? null, v);
  }
  if (Array.isArray(retain)) out = Object.fromEntries(Object.entries(out).filter(([k]) => retain.includes(k)));
  return out;
}
