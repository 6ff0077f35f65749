/**
 * JSON merge patch (RFC 7386), as Helm's client-side update uses it for custom resources and
 * other kinds it has no Go struct for:
 *
 * - createMergePatch: evanphx/json-patch v5 `CreateMergePatch(original, modified)`, Helm's default
 *   for unstructured objects — a two-way diff, so changes made in the cluster since are not seen.
 * - createThreeWayJsonMergePatch: apimachinery `jsonmergepatch.CreateThreeWayJSONMergePatch`
 *   with kubectl's preconditions, used by Helm 4 for `--take-ownership`.
 * - applyJsonMergePatch: what the API server does with a merge patch.
 */
import { stringify } from 'yaml';
import { cloneJson, deepEqual, goFormatV, goKind, hasKey, isJsonObject, put, type Json, type JsonObject } from './go-json';
import { PatchError } from './patch-meta';

/** getDiff: new and changed values, null for removed keys; nested objects diffed, lists replaced. */
export function createMergePatch(original: JsonObject, modified: JsonObject): JsonObject {
  const into: JsonObject = {};
  for (const key of Object.keys(modified)) {
    const bv = modified[key];
    if (!hasKey(original, key) || goKind(original[key]) !== goKind(bv)) {
      put(into, key, cloneJson(bv));
      continue;
    }
    const av = original[key];
    if (isJsonObject(av)) {
      const dst = createMergePatch(av, bv as JsonObject);
      if (Object.keys(dst).length > 0) put(into, key, dst);
    } else if (!deepEqual(av, bv)) put(into, key, cloneJson(bv));
  }
  for (const key of Object.keys(original)) if (!hasKey(modified, key)) put(into, key, null);
  return into;
}

/**
 * RFC 7386 as evanphx/json-patch `MergePatch` applies it (the API server's merge patch): objects
 * merge recursively, null removes a key, anything else replaces; nulls inside newly set values
 * are pruned.
 */
export function applyJsonMergePatch(target: Json, patch: Json): Json {
  if (Array.isArray(patch)) return pruneNulls(cloneJson(patch));
  if (!isJsonObject(patch)) return cloneJson(patch);
  if (!isJsonObject(target)) return pruneNulls(cloneJson(patch));
  return mergeDocs(cloneJson(target), cloneJson(patch));
}

function mergeDocs(doc: JsonObject, patch: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = hasKey(doc, k) ? doc[k] : null;
    if (cur === null || !isJsonObject(cur)) put(doc, k, pruneNulls(v));
    else put(doc, k, isJsonObject(v) ? mergeDocs(cur, v) : v);
  }
  return doc;
}

function pruneNulls(v: Json): Json {
  if (isJsonObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else pruneNulls(v[k]);
    }
  } else if (Array.isArray(v)) v.forEach(pruneNulls);
  return v;
}

/** keepOrDeleteNullInObj: only the nulls (deletions), or everything but the nulls. */
function keepOrDeleteNull(m: JsonObject, keepNull: boolean): JsonObject {
  const out: JsonObject = {};
  for (const [key, val] of Object.entries(m)) {
    if (val === null) {
      if (keepNull) put(out, key, null);
    } else if (isJsonObject(val)) {
      // an explicitly empty map is a value, not an empty patch
      if (Object.keys(val).length === 0) {
        if (!keepNull) put(out, key, val);
        continue;
      }
      const sub = keepOrDeleteNull(val, keepNull);
      if (Object.keys(sub).length > 0) put(out, key, sub);
    } else if (!keepNull) put(out, key, val);
  }
  return out;
}

/** mergepatch.HasConflicts: both patches touch a key with different values. */
function hasConflicts(left: Json, right: Json): boolean {
  if (isJsonObject(left)) {
    if (!isJsonObject(right)) return true;
    return Object.keys(left).some((k) => hasKey(right, k) && hasConflicts(left[k], right[k]));
  }
  if (Array.isArray(left)) {
    if (!Array.isArray(right) || left.length !== right.length) return true;
    return left.some((v, i) => hasConflicts(v, right[i]));
  }
  return !deepEqual(left, right);
}

const toYaml = (v: Json): string => stringify(v, { sortMapEntries: true, indentSeq: false });

/**
 * CreateThreeWayJSONMergePatch(original, modified, current) with Helm's preconditions
 * (apiVersion, kind and metadata.name unchanged): additions and changes from current to
 * modified, deletions from original to modified.
 */
export function createThreeWayJsonMergePatch(original: JsonObject, modified: JsonObject, current: JsonObject): JsonObject {
  const addAndChange = keepOrDeleteNull(createMergePatch(current ?? {}, modified ?? {}), false);
  const deletions = keepOrDeleteNull(createMergePatch(original ?? {}, modified ?? {}), true);
  if (hasConflicts(addAndChange, deletions)) {
    throw new PatchError(`patch:\n${toYaml(addAndChange)}\nconflicts with changes made from original to current:\n${toYaml(deletions)}\n`);
  }
  const patch = mergeDisjoint(deletions, addAndChange);
  const metadata = patch.metadata;
  if (hasKey(patch, 'apiVersion') || hasKey(patch, 'kind') || (isJsonObject(metadata) && hasKey(metadata, 'name'))) {
    throw new PatchError(`precondition failed for: ${goFormatV(patch)}`);
  }
  return patch;
}

/** jsonpatch.MergePatch(deletions, additions) once they are known not to conflict. */
function mergeDisjoint(doc: JsonObject, patch: JsonObject): JsonObject {
  return mergeDocs(cloneJson(doc), cloneJson(patch));
}
