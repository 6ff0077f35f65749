/**
 * Strategic merge patch, ported from k8s.io/apimachinery/pkg/util/strategicpatch/patch.go
 * (v0.35.1, the version Helm 4.1.4 builds with):
 *
 * - createThreeWayMergePatch: what Helm's client-side update sends (`CreateThreeWayMergePatch(
 *   original, modified, current, patchMeta, overwrite=true)`): deletions are what `original`
 *   (the previous release's object) has and `modified` (the new manifest) lacks; additions and
 *   changes are `modified` against `current` (the live object), so fields only `current` has
 *   (an HPA's replicas, a controller's annotations) are left alone.
 * - applyStrategicMergePatch: what the API server does with such a patch (`StrategicMergeMapPatch`).
 *
 * The code follows Go's structure closely, mutations included, so that the bytes match: list
 * items are sorted by `fmt.Sprintf("%v")` strings, `$setElementOrder`, `$retainKeys`,
 * `$deleteFromPrimitiveList` and `$patch: delete` directives are emitted where apimachinery
 * emits them. Inputs are copied first; callers' objects are never changed.
 */
import {
  cloneJson,
  compareGoStrings,
  deepEqual,
  goFormatV,
  goKind,
  hasKey,
  isJsonObject,
  put,
  type GoKind,
  type Json,
  type JsonObject,
} from './go-json';
import { PatchError, type PatchSchema } from './patch-meta';

const DIRECTIVE = '$patch';
const DELETE = 'delete';
const REPLACE = 'replace';
const MERGE = 'merge';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

interface DiffOptions {
  setElementOrder: boolean;
  ignoreChangesAndAdditions: boolean;
  ignoreDeletions: boolean;
  buildRetainKeysDirective: boolean;
}

interface MergeOptions {
  /** Apply `$deleteFromPrimitiveList` (server side) instead of carrying it along (merging two patches). */
  mergeParallelList: boolean;
  ignoreUnmatchedNulls: boolean;
}

// --- errors with apimachinery's messages (mergepatch/errors.go) ---

const goTypeOf = (v: Json | undefined): string =>
  v === undefined || v === null ? '<nil>' : { map: 'map[string]interface {}', slice: '[]interface {}', string: 'string', float64: 'float64', bool: 'bool', nil: '<nil>' }[goKind(v)];
const errBadArgType = (expected: 'map' | 'slice', actual: Json | undefined) =>
  new PatchError(`expected a ${expected === 'map' ? 'map[string]interface {}' : '[]interface {}'}, but received a ${goTypeOf(actual)}`);
const errNoMergeKey = (m: JsonObject, key: string) => new PatchError(`map: ${goFormatV(m)} does not contain declared merge key: ${key}`);
const errBadPatchType = (t: Json, m: JsonObject) => new PatchError(`unknown patch type: ${goFormatV(t)} in map: ${goFormatV(m)}`);
const errNoListOfLists = () => new PatchError('lists of lists are not supported');
const errBadPatchFormatForPrimitiveList = () => new PatchError('invalid patch format of primitive list');
const errBadPatchFormatForRetainKeys = () => new PatchError('invalid patch format of retainKeys');
const errBadPatchFormatForSetElementOrderList = () => new PatchError('invalid patch format of setElementOrder list');

const asMap = (v: Json | undefined): JsonObject => {
  if (!isJsonObject(v)) throw errBadArgType('map', v);
  return v;
};
const asSlice = (v: Json | undefined): Json[] => {
  if (!Array.isArray(v)) throw errBadArgType('slice', v);
  return v;
};
const isEmpty = (o: JsonObject): boolean => Object.keys(o).length === 0;

/** Go's `==` on two interface values holding decoded JSON (scalars only in practice). */
const goEquals = (a: Json | undefined, b: Json | undefined): boolean => (a ?? null) === (b ?? null);

// --- the three-way patch ---

/**
 * CreateThreeWayMergePatch(original, modified, current, schema, overwrite = true). The result is
 * a patch map; marshal it with goMarshal for the request body (`{}` means Helm sends nothing).
 */
export function createThreeWayMergePatch(original: JsonObject, modified: JsonObject, current: JsonObject, schema: PatchSchema): JsonObject {
  const originalMap = cloneJson(original) ?? {};
  const modifiedMap = cloneJson(modified) ?? {};
  const currentMap = cloneJson(current) ?? {};
  // delta: current → modified without deletions; deletions: original → modified, deletions only;
  // the patch is delta applied onto deletions (strictly additive)
  const deltaMap = diffMaps(currentMap, modifiedMap, schema, { ignoreDeletions: true, setElementOrder: true, ignoreChangesAndAdditions: false, buildRetainKeysDirective: false });
  const deletionsMap = diffMaps(originalMap, modifiedMap, schema, { setElementOrder: true, ignoreChangesAndAdditions: true, ignoreDeletions: false, buildRetainKeysDirective: false });
  return mergeMap(deletionsMap, deltaMap, schema, { mergeParallelList: false, ignoreUnmatchedNulls: false });
}

/** CreateTwoWayMergePatch(original, modified, schema): kubectl's diff of two versions of one object. */
export function createTwoWayMergePatch(original: JsonObject, modified: JsonObject, schema: PatchSchema): JsonObject {
  return diffMaps(cloneJson(original) ?? {}, cloneJson(modified) ?? {}, schema, { setElementOrder: true, ignoreChangesAndAdditions: false, ignoreDeletions: false, buildRetainKeysDirective: false });
}

/** StrategicMergeMapPatch: the object the API server computes from the live object and a patch. */
export function applyStrategicMergePatch(original: JsonObject, patch: JsonObject, schema: PatchSchema): JsonObject {
  return mergeMap(cloneJson(original) ?? {}, cloneJson(patch) ?? {}, schema, { mergeParallelList: true, ignoreUnmatchedNulls: true });
}

// --- diff ---

function diffMaps(original: JsonObject, modified: JsonObject, schema: PatchSchema, opts: DiffOptions): JsonObject {
  const patch: JsonObject = {};
  const retainKeysList: Json[] = [];
  for (const key of Object.keys(modified)) {
    const modifiedValue = modified[key];
    if (opts.buildRetainKeysDirective && modifiedValue !== null) retainKeysList.push(key);
    if (!hasKey(original, key)) {
      if (!opts.ignoreChangesAndAdditions) put(patch, key, modifiedValue);
      continue;
    }
    const originalValue = original[key];
    if (key === DIRECTIVE) {
      if (typeof originalValue !== 'string' || typeof modifiedValue !== 'string') throw new PatchError(`invalid value for special key: ${DIRECTIVE}`);
      if (modifiedValue !== originalValue) put(patch, DIRECTIVE, modifiedValue);
      continue;
    }
    if (goKind(originalValue) !== goKind(modifiedValue)) {
      if (!opts.ignoreChangesAndAdditions) put(patch, key, modifiedValue);
      continue;
    }
    if (isJsonObject(originalValue)) handleMapDiff(key, originalValue, modifiedValue as JsonObject, patch, schema, opts);
    else if (Array.isArray(originalValue)) handleSliceDiff(key, originalValue, modifiedValue as Json[], patch, schema, opts);
    else replacePatchFieldIfNotEqual(key, originalValue, modifiedValue, patch, opts);
  }
  if (!opts.ignoreDeletions) for (const key of Object.keys(original)) if (!hasKey(modified, key)) put(patch, key, null);
  // $retainKeys goes out when something changed or the old map has fields the new one drops
  if (retainKeysList.length > 0 && (!isEmpty(patch) || hasAdditionalNewField(original, modified))) {
    put(patch, RETAIN_KEYS, sortScalars(retainKeysList));
  }
  return patch;
}

function handleMapDiff(key: string, originalValue: JsonObject, modifiedValue: JsonObject, patch: JsonObject, schema: PatchSchema, opts: DiffOptions): void {
  let lookup;
  try {
    lookup = schema.lookupStruct(key);
  } catch (e) {
    // no metadata for the field: harmless when the values are identical
    if (deepEqual(originalValue, modifiedValue)) return;
    throw e;
  }
  const [retainKeys, strategy] = extractRetainKeysPatchStrategy(lookup.meta.patchStrategies);
  if (strategy === REPLACE) {
    if (!opts.ignoreChangesAndAdditions) put(patch, key, modifiedValue);
    return;
  }
  const patchValue = diffMaps(originalValue, modifiedValue, lookup.schema, { ...opts, buildRetainKeysDirective: retainKeys });
  if (!isEmpty(patchValue)) put(patch, key, patchValue);
}

function handleSliceDiff(key: string, originalValue: Json[], modifiedValue: Json[], patch: JsonObject, schema: PatchSchema, opts: DiffOptions): void {
  let lookup;
  try {
    lookup = schema.lookupSlice(key);
  } catch (e) {
    if (deepEqual(originalValue, modifiedValue)) return;
    throw e;
  }
  const [retainKeys, strategy] = extractRetainKeysPatchStrategy(lookup.meta.patchStrategies);
  if (strategy !== MERGE) {
    replacePatchFieldIfNotEqual(key, originalValue, modifiedValue, patch, opts);
    return;
  }
  const [addList, deletionList, setOrderList] = diffLists(originalValue, modifiedValue, lookup.schema, lookup.meta.patchMergeKey, {
    ...opts,
    buildRetainKeysDirective: retainKeys,
  });
  if (addList.length > 0) put(patch, key, addList);
  if (deletionList.length > 0) put(patch, `${DELETE_FROM_PRIMITIVE_LIST}/${key}`, deletionList);
  if (setOrderList.length > 0) put(patch, `${SET_ELEMENT_ORDER}/${key}`, setOrderList);
}

function replacePatchFieldIfNotEqual(key: string, original: Json, modified: Json, patch: JsonObject, opts: DiffOptions): void {
  if (opts.ignoreChangesAndAdditions || deepEqual(original, modified)) return;
  put(patch, key, modified);
}

function hasAdditionalNewField(original: JsonObject, modified: JsonObject): boolean {
  return Object.keys(original).some((k) => original[k] !== null && !hasKey(modified, k));
}

/** Returns [additions and changes (+ `$patch: delete` items for maps), scalar deletions, $setElementOrder]. */
function diffLists(original: Json[], modified: Json[], schema: PatchSchema, mergeKey: string, opts: DiffOptions): [Json[], Json[], Json[]] {
  if (original.length === 0) {
    if (modified.length === 0 || opts.ignoreChangesAndAdditions) return [[], [], []];
    return [modified, [], []];
  }
  const kind = sliceElementKind(original, modified);
  if (kind === 'slice') throw errNoListOfLists();
  if (kind === 'map') {
    const [changes, deletions] = diffListsOfMaps(original, modified, schema, mergeKey, opts);
    let patchList = normalizeSliceOrder(changes, modified, mergeKey, kind);
    const orderSame = isOrderSame(original, modified, mergeKey);
    patchList = [...patchList, ...deletions];
    let setOrderList: Json[] = [];
    if (
      opts.setElementOrder &&
      ((!opts.ignoreChangesAndAdditions && (patchList.length > 0 || !orderSame)) || (!opts.ignoreDeletions && patchList.length > 0))
    ) {
      setOrderList = modified.map((v) => ({ [mergeKey]: (v as JsonObject)[mergeKey] ?? null }));
    }
    return [patchList, [], setOrderList];
  }
  const [additions, deletions] = diffListsOfScalars(original, modified, opts);
  const patchList = normalizeSliceOrder(additions, modified, mergeKey, kind);
  // diffListsOfScalars sorted `original` in place (as Go does), so an unsorted but unchanged
  // list still gets a $setElementOrder in the delta
  const setOrderList =
    opts.setElementOrder && ((!opts.ignoreDeletions && deletions.length > 0) || (!opts.ignoreChangesAndAdditions && !deepEqual(original, modified)))
      ? modified
      : [];
  return [patchList, deletions, setOrderList];
}

function isOrderSame(original: Json[], modified: Json[], mergeKey: string): boolean {
  if (original.length !== modified.length) return false;
  return modified.every((item, i) => mergeKeyValueEqual(original[i], item, mergeKey));
}

function diffListsOfScalars(original: Json[], modified: Json[], opts: DiffOptions): [Json[], Json[]] {
  const originalScalars = sortScalars(original); // in place, like Go
  const modifiedScalars = sortScalars([...modified]);
  const addList: Json[] = [];
  const deletionList: Json[] = [];
  let oi = 0;
  let mi = 0;
  for (;;) {
    const originalInBounds = oi < originalScalars.length;
    const modifiedInBounds = mi < modifiedScalars.length;
    if (!originalInBounds && !modifiedInBounds) break;
    const originalString = originalInBounds ? goFormatV(originalScalars[oi]) : '';
    const modifiedString = modifiedInBounds ? goFormatV(modifiedScalars[mi]) : '';
    const c = compareGoStrings(originalString, modifiedString);
    if (originalInBounds && modifiedInBounds && c === 0) {
      oi++;
      mi++;
    } else if (!originalInBounds || (modifiedInBounds && c > 0)) {
      if (!opts.ignoreChangesAndAdditions) addList.push(modifiedScalars[mi]);
      mi++;
    } else {
      if (!opts.ignoreDeletions) deletionList.push(originalScalars[oi]);
      oi++;
    }
  }
  return [addList, deduplicateScalars(deletionList)];
}

function diffListsOfMaps(original: Json[], modified: Json[], schema: PatchSchema, mergeKey: string, opts: DiffOptions): [Json[], Json[]] {
  const patch: Json[] = [];
  const deletionList: Json[] = [];
  const originalSorted = sortMergeListByKey(original, mergeKey);
  const modifiedSorted = sortMergeListByKey(modified, mergeKey);
  let oi = 0;
  let mi = 0;
  for (;;) {
    const originalInBounds = oi < originalSorted.length;
    const modifiedInBounds = mi < modifiedSorted.length;
    if (!originalInBounds && !modifiedInBounds) break;
    let originalElement: JsonObject | undefined;
    let modifiedElement: JsonObject | undefined;
    let originalKeyString = '';
    let modifiedKeyString = '';
    if (originalInBounds) {
      originalElement = mapWithMergeKey(originalSorted[oi], mergeKey);
      originalKeyString = goFormatV(originalElement[mergeKey]);
    }
    if (modifiedInBounds) {
      modifiedElement = mapWithMergeKey(modifiedSorted[mi], mergeKey);
      modifiedKeyString = goFormatV(modifiedElement[mergeKey]);
    }
    const both = originalInBounds && modifiedInBounds;
    const c = compareGoStrings(originalKeyString, modifiedKeyString);
    if (both && c === 0) {
      const patchValue = diffMaps(originalElement!, modifiedElement!, schema, opts);
      if (!isEmpty(patchValue)) {
        put(patchValue, mergeKey, modifiedElement![mergeKey]);
        patch.push(patchValue);
      }
      oi++;
      mi++;
    } else if (!originalInBounds || (both && c > 0)) {
      if (!opts.ignoreChangesAndAdditions) patch.push(modifiedElement!);
      mi++;
    } else {
      if (!opts.ignoreDeletions) deletionList.push({ [mergeKey]: originalElement![mergeKey], [DIRECTIVE]: DELETE });
      oi++;
    }
  }
  return [patch, deletionList];
}

function mapWithMergeKey(item: Json, mergeKey: string): JsonObject {
  const m = asMap(item);
  if (!hasKey(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
  return m;
}

/** sortMergeListsByNameArray(…, recurse=false): scalars deduplicated and sorted, maps sorted by merge key. */
function sortMergeListByKey(list: Json[], mergeKey: string): Json[] {
  if (list.length === 0) return list;
  if (sliceElementKind(list) !== 'map') return sortScalars(deduplicateScalars([...list]));
  const keyOf = (v: Json) => goFormatV((v as JsonObject)[mergeKey]);
  return [...list].sort((a, b) => compareGoStrings(keyOf(a), keyOf(b)));
}

// --- merge ---

function mergeMap(original: JsonObject | null, patch: JsonObject, schema: PatchSchema, opts: MergeOptions): JsonObject {
  if (hasKey(patch, DIRECTIVE)) return handleDirectiveInMergeMap(patch[DIRECTIVE], patch);
  const out = original ?? {};
  applyRetainKeysDirective(out, patch, opts);
  mergePatchIntoOriginal(out, patch, schema, opts);
  for (const patchKey of Object.keys(patch)) {
    const patchV = patch[patchKey];
    let key = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      if (!opts.mergeParallelList) {
        // merging two patches: the deletion list travels as it is
        put(out, patchKey, patchV);
        continue;
      }
      key = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete out[key];
      if (opts.ignoreUnmatchedNulls) continue;
    }
    if (!hasKey(out, key) || goKind(out[key]) !== goKind(patchV)) {
      // absent or of another type: take the patch value, without directives
      if (!isDeleteList) {
        if (opts.ignoreUnmatchedNulls) discardNullValuesFromPatch(patchV);
        setWithoutDirectives(out, key, patchV);
      }
      continue;
    }
    const current = out[key];
    if (isJsonObject(current)) {
      const { schema: sub, meta } = schema.lookupStruct(key);
      const [, strategy] = extractRetainKeysPatchStrategy(meta.patchStrategies);
      put(out, key, strategy !== REPLACE ? mergeMap(current, asMap(patchV), sub, opts) : asMap(patchV));
    } else if (Array.isArray(current)) {
      const { schema: sub, meta } = schema.lookupSlice(key);
      const [, strategy] = extractRetainKeysPatchStrategy(meta.patchStrategies);
      put(out, key, mergeSliceHandler(current, patchV, sub, strategy, meta.patchMergeKey, isDeleteList, opts));
    } else {
      setWithoutDirectives(out, key, patchV);
    }
  }
  return out;
}

function setWithoutDirectives(o: JsonObject, key: string, value: Json): void {
  const [v, keep] = removeDirectives(value);
  if (keep) put(o, key, v);
  else delete o[key];
}

function handleDirectiveInMergeMap(directive: Json, patch: JsonObject): JsonObject {
  if (directive === REPLACE) {
    // the patch replaces the map as it is
    delete patch[DIRECTIVE];
    return patch;
  }
  if (directive === DELETE) return {};
  throw errBadPatchType(directive, patch);
}

function discardNullValuesFromPatch(v: Json): void {
  if (isJsonObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else discardNullValuesFromPatch(v[k]);
    }
  } else if (Array.isArray(v)) v.forEach(discardNullValuesFromPatch);
}

/** Removes `$patch` maps (and list items); other `$…` keys stay, as in Go. Returns [value, keep]. */
function removeDirectives(obj: Json): [Json, boolean] {
  if (isJsonObject(obj)) {
    if (hasKey(obj, DIRECTIVE)) return [null, false];
    for (const k of Object.keys(obj)) setWithoutDirectives(obj, k, obj[k]);
    return [obj, true];
  }
  if (Array.isArray(obj)) {
    const res: Json[] = [];
    for (const v of obj) {
      const [nv, keep] = removeDirectives(v);
      if (keep) res.push(nv);
    }
    return [res, true];
  }
  return [obj, true];
}

function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST) throw errBadPatchFormatForPrimitiveList();
    throw errBadPatchFormatForSetElementOrderList();
  }
  return s.slice(slash + 1);
}

function applyRetainKeysDirective(original: JsonObject, patch: JsonObject, opts: MergeOptions): void {
  if (!hasKey(patch, RETAIN_KEYS)) return;
  const retainKeysInPatch = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!opts.mergeParallelList) {
    // merging two patches: both must carry the same directive
    if (hasKey(original, RETAIN_KEYS)) {
      if (!deepEqual(original[RETAIN_KEYS], retainKeysInPatch)) {
        throw new PatchError(`${goFormatV(original[RETAIN_KEYS])} and ${goFormatV(retainKeysInPatch)} are not deep equal: this may happen when calculating the 3-way diff patch`);
      }
    } else put(original, RETAIN_KEYS, retainKeysInPatch);
    return;
  }
  if (!Array.isArray(retainKeysInPatch)) throw errBadPatchFormatForRetainKeys();
  const retained = new Set(retainKeysInPatch);
  for (const k of Object.keys(patch)) {
    if (patch[k] === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!retained.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!retained.has(k)) delete original[k];
}

/** Applies each `$setElementOrder/<list>` with its list: merge, then order by directive, patch, live list. */
function mergePatchIntoOriginal(original: JsonObject, patch: JsonObject, schema: PatchSchema, opts: MergeOptions): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER) || !hasKey(patch, key)) continue;
    const setElementOrderInPatch = patch[key];
    if (!opts.mergeParallelList) {
      if (hasKey(original, key)) {
        if (!deepEqual(original[key], setElementOrderInPatch)) throw errBadPatchFormatForSetElementOrderList();
      } else put(original, key, setElementOrderInPatch);
    }
    delete patch[key];
    const setOrder = asSlice(setElementOrderInPatch);
    const originalKey = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = hasKey(original, originalKey);
    const foundPatch = hasKey(patch, originalKey);
    const originalFieldValue = foundOriginal ? asSlice(original[originalKey]) : [];
    const patchFieldValue = foundPatch ? asSlice(patch[originalKey]) : [];
    const { schema: sub, meta } = schema.lookupSlice(originalKey);
    const [, strategy] = extractRetainKeysPatchStrategy(meta.patchStrategies);
    const mergeKey = meta.patchMergeKey;
    validatePatchWithSetOrderList(patchFieldValue, setOrder, mergeKey);
    let merged: Json[];
    if (foundOriginal && !foundPatch) merged = originalFieldValue;
    else if (!foundOriginal && foundPatch) merged = removeDirectives(patchFieldValue)[0] as Json[];
    else if (foundOriginal && foundPatch) merged = mergeSliceHandler(originalFieldValue, patchFieldValue, sub, strategy, mergeKey, false, opts);
    else continue;
    const [patchItems, serverOnlyItems] = mergeKey === '' ? partitionPrimitivesByPresentInList(merged, setOrder) : partitionMapsByPresentInList(merged, setOrder, mergeKey);
    const kind = sliceElementKind(originalFieldValue, patchFieldValue);
    put(original, originalKey, normalizeElementOrder(patchItems, serverOnlyItems, setOrder, originalFieldValue, mergeKey, kind));
    delete patch[originalKey];
  }
}

function validatePatchWithSetOrderList(patchList: Json[], setOrderList: Json[], mergeKey: string): void {
  if (setOrderList.length === 0 || patchList.length === 0) return;
  const nonDeleteList = mergeKey ? extractToDeleteItems(patchList)[0] : patchList;
  let p = 0;
  let s = 0;
  while (p < nonDeleteList.length && s < setOrderList.length) {
    if (isJsonObject(nonDeleteList[p]) && hasKey(nonDeleteList[p] as JsonObject, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(nonDeleteList[p], setOrderList[s], mergeKey)) p++;
    s++;
  }
  if (p < nonDeleteList.length && s >= setOrderList.length) {
    throw new PatchError(`The order in patch list:\n${goFormatV(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormatV(setOrderList)}\n`);
  }
}

function mergeSliceHandler(original: Json[], patch: Json, schema: PatchSchema, strategy: string, mergeKey: string, isDeleteList: boolean, opts: MergeOptions): Json[] {
  const typedPatch = asSlice(patch);
  // deletion lists are merged whatever the field's strategy
  if (strategy === MERGE || isDeleteList) return mergeSlice(original, typedPatch, schema, mergeKey, opts, isDeleteList);
  return typedPatch;
}

function mergeSlice(original: Json[], patch: Json[], schema: PatchSchema, mergeKey: string, opts: MergeOptions, isDeleteList: boolean): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);
  let merged: Json[];
  if (kind !== 'map') {
    if (opts.mergeParallelList && isDeleteList) return deleteFromSlice(original, patch);
    merged = deduplicateScalars([...original, ...patch]);
  } else {
    if (mergeKey === '') throw new PatchError(`cannot merge lists without merge key for ${schema.name()}`);
    [original, patch] = mergeSliceWithSpecialElements(original, patch, mergeKey);
    merged = mergeSliceWithoutSpecialElements(original, patch, mergeKey, schema, opts);
  }
  const [patchItems, serverOnlyItems] = mergeKey === '' ? partitionPrimitivesByPresentInList(merged, patch) : partitionMapsByPresentInList(merged, patch, mergeKey);
  return normalizeElementOrder(patchItems, serverOnlyItems, patch, original, mergeKey, kind);
}

/** Applies `$patch: delete` items; `$patch: replace` makes the patch's plain items the whole list. */
function mergeSliceWithSpecialElements(original: Json[], patch: Json[], mergeKey: string): [Json[], Json[]] {
  const plain: Json[] = [];
  let replace = false;
  let out = original;
  for (const v of patch) {
    const typedV = v as JsonObject;
    if (!hasKey(typedV, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    const directive = typedV[DIRECTIVE];
    if (directive === DELETE) {
      if (!hasKey(typedV, mergeKey)) throw errNoMergeKey(typedV, mergeKey);
      out = deleteMatchingEntries(out, mergeKey, typedV[mergeKey]);
    } else if (directive === REPLACE) replace = true;
    else if (directive === MERGE) throw new PatchError('merging lists cannot yet be specified in the patch');
    else throw errBadPatchType(directive, typedV);
  }
  return replace ? [plain, []] : [out, plain];
}

function deleteMatchingEntries(original: Json[], mergeKey: string, mergeValue: Json): Json[] {
  let out = original;
  for (;;) {
    const found = findMapInSliceBasedOnKeyValue(out, mergeKey, mergeValue);
    if (!found) return out;
    out = [...out.slice(0, found.index), ...out.slice(found.index + 1)];
  }
}

function mergeSliceWithoutSpecialElements(original: Json[], patch: Json[], mergeKey: string, schema: PatchSchema, opts: MergeOptions): Json[] {
  const out = [...original];
  for (const v of patch) {
    const typedV = v as JsonObject;
    if (!hasKey(typedV, mergeKey)) throw errNoMergeKey(typedV, mergeKey);
    const found = findMapInSliceBasedOnKeyValue(out, mergeKey, typedV[mergeKey]);
    if (found) out[found.index] = mergeMap(found.map, typedV, schema, opts);
    else out.push(v);
  }
  return out;
}

function deleteFromSlice(current: Json[], toDelete: Json[]): Json[] {
  return current.filter((v) => !toDelete.some((d) => goEquals(d, v)));
}

function findMapInSliceBasedOnKeyValue(m: Json[], key: string, value: Json): { map: JsonObject; index: number } | undefined {
  for (let i = 0; i < m.length; i++) {
    const typedV = m[i];
    if (!isJsonObject(typedV)) throw new PatchError(`value for key ${i} is not a map`);
    if (hasKey(typedV, key) && goEquals(typedV[key], value)) return { map: typedV, index: i };
  }
  return undefined;
}

// --- ordering ---

function partitionPrimitivesByPresentInList(original: Json[], partitionBy: Json[]): [Json[], Json[]] {
  const patch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const v of original) (partitionBy.some((p) => goEquals(p, v)) ? patch : serverOnly).push(v);
  return [patch, serverOnly];
}

function partitionMapsByPresentInList(original: Json[], partitionBy: Json[], mergeKey: string): [Json[], Json[]] {
  const patch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const v of original) {
    const typedV = asMap(v);
    if (!hasKey(typedV, mergeKey)) throw errNoMergeKey(typedV, mergeKey);
    (findMapInSliceBasedOnKeyValue(partitionBy, mergeKey, typedV[mergeKey]) ? patch : serverOnly).push(v);
  }
  return [patch, serverOnly];
}

/** Patch items in patch order and server-only items in live order, interleaved by live order. */
function normalizeElementOrder(patch: Json[], serverOnly: Json[], patchOrder: Json[], serverOrder: Json[], mergeKey: string, kind: GoKind): Json[] {
  const sortedPatch = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const sortedServerOnly = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(sortedServerOnly, sortedPatch, serverOrder, mergeKey, kind);
}

function mergeSortedSlice(left: Json[], right: Json[], serverOrder: Json[], mergeKey: string, kind: GoKind): Json[] {
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = index(serverOrder, left[i], mergeKey, kind);
      const ri = index(serverOrder, right[j], mergeKey, kind);
      // a left item goes first only when both are in the live list and it came first there
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function index(list: Json[], value: Json, mergeKey: string, kind: GoKind): number {
  const valueOf = (item: Json): Json | undefined => (kind === 'map' ? (isJsonObject(item) ? item[mergeKey] : undefined) : item);
  const wanted = valueOf(value);
  return list.findIndex((v) => goEquals(valueOf(v), wanted));
}

function extractToDeleteItems(list: Json[]): [Json[], Json[]] {
  const nonDelete: Json[] = [];
  const toDelete: Json[] = [];
  for (const v of list) {
    const m = asMap(v);
    (hasKey(m, DIRECTIVE) && m[DIRECTIVE] === DELETE ? toDelete : nonDelete).push(v);
  }
  return [nonDelete, toDelete];
}

/** Sorts `toSort` by the positions of its items in `order` (stable); `$patch: delete` items go last. */
function normalizeSliceOrder(toSort: Json[], order: Json[], mergeKey: string, kind: GoKind): Json[] {
  let items = toSort;
  let toDelete: Json[] = [];
  if (kind === 'map') {
    validateMergeKeyInLists(mergeKey, items, order);
    [items, toDelete] = extractToDeleteItems(items);
  }
  const positions = new Map<Json, number>(items.map((item) => [item, index(order, item, mergeKey, kind)]));
  const sorted = [...items].sort((a, b) => {
    const ia = positions.get(a)!;
    const ib = positions.get(b)!;
    return ia >= 0 && ib >= 0 ? ia - ib : 0;
  });
  return [...sorted, ...toDelete];
}

function validateMergeKeyInLists(mergeKey: string, ...lists: Json[][]): void {
  for (const list of lists) {
    for (const item of list) {
      const m = asMap(item);
      if (!hasKey(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
    }
  }
}

function mergeKeyValueEqual(left: Json, right: Json, mergeKey: string): boolean {
  if (mergeKey === '') return goEquals(left, right);
  const l = asMap(left);
  const r = asMap(right);
  if (!hasKey(l, mergeKey)) throw errNoMergeKey(l, mergeKey);
  if (!hasKey(r, mergeKey)) throw errNoMergeKey(r, mergeKey);
  return goEquals(l[mergeKey], r[mergeKey]);
}

// --- scalars and element types ---

/** Sorts in place by `%v` string, like Go's sortScalars. */
function sortScalars(s: Json[]): Json[] {
  return s.sort((a, b) => compareGoStrings(goFormatV(a), goFormatV(b)));
}

/** Go's in-place deduplication: a duplicate is overwritten by the last element (order changes). */
function deduplicateScalars(s: Json[]): Json[] {
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (goEquals(s[i], s[j])) {
        s[j] = s[length];
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

function sliceElementKind(...slices: Json[][]): GoKind {
  let prev: GoKind | undefined;
  for (const s of slices) {
    for (const v of s) {
      const k = goKind(v);
      if (prev === undefined) {
        if (k === 'slice') throw errNoListOfLists();
        prev = k;
      } else if (prev !== k) {
        throw new PatchError(`list element types are not identical: ${goFormatV(slices)}`);
      }
    }
  }
  if (prev === undefined) throw new PatchError('no elements in any of the given slices');
  return prev;
}

/** [retainKeys?, the other strategy] from `patchStrategy` (extractRetainKeysPatchStrategy). */
function extractRetainKeysPatchStrategy(strategies: string[]): [boolean, string] {
  if (strategies.length === 0) return [false, ''];
  if (strategies.length === 1) return strategies[0] === 'retainKeys' ? [true, ''] : [false, strategies[0]];
  if (strategies.length === 2) {
    if (strategies[0] === 'retainKeys') return [true, strategies[1]];
    if (strategies[1] === 'retainKeys') return [true, strategies[0]];
  }
  throw new PatchError(`unexpected patch strategy: ${goFormatV(strategies)}`);
}
