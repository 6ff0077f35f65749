/**
 * Patch metadata of the built-in kinds — what apimachinery's `strategicpatch.PatchMetaFromStruct`
 * reads from the Go structs of k8s.io/api (`patchStrategy`, `patchMergeKey` tags) — and the
 * list types server-side apply reads from the OpenAPI, both from one generated table
 * (patch-meta-table.ts). Lookups fail with the messages of apimachinery's
 * `forkedjson.LookupPatchMetadataForStruct`, because Helm surfaces them ("failed to create
 * patch: merging an object in json but data type is not struct, instead is: map" is what a
 * client-side upgrade of a CRD whose schema changed fails with).
 */
import { DEFINITIONS, KINDS, KUBERNETES_VERSION } from './patch-meta-table';

export { KUBERNETES_VERSION };

/** A field's Go type, as far as patches care: a struct (definition), a map, a slice, or a scalar. */
export type Shape = { kind: 'struct'; definition: string } | { kind: 'map' } | { kind: 'slice'; element: Shape } | { kind: 'scalar' };

export interface FieldMeta {
  shape: Shape;
  /** `patchStrategy` split on ",": [], ["merge"], ["retainKeys"], ["merge", "retainKeys"], ["replace"]. */
  patchStrategies: string[];
  /** `patchMergeKey`; "" when none. */
  patchMergeKey: string;
  /** x-kubernetes-list-type (server-side apply). */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /** x-kubernetes-map-type of the field (server-side apply). */
  mapType?: 'atomic' | 'granular';
}

interface Definition {
  fields: Map<string, FieldMeta>;
  atomic: boolean;
}

/** A patch error with apimachinery's message (Helm prefixes "failed to create patch: "). */
export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

function parseShape(text: string): Shape {
  if (text === '{}') return { kind: 'map' };
  if (text.startsWith('[')) return { kind: 'slice', element: text === '[]' ? { kind: 'scalar' } : parseShape(text.slice(1, -1)) };
  return { kind: 'struct', definition: text };
}

/** `name:shape[!strategy][@key][#listType[=keys]][#mapType]` (see patch-meta-table.ts). */
function parseField(entry: string): [string, FieldMeta] {
  const m = /^([^:]+):([^!@#]+)(?:!([^@#]+))?(?:@([^#]+))?(?:#(atomic|set|map)(?:=([^#]+))?)?(?:#(atomic|granular))?$/.exec(entry);
  if (!m) throw new Error(`patch-meta-table: bad field entry ${entry}`);
  const [, name, shape, strategy, key, listOrMapType, keys, mapType] = m;
  const meta: FieldMeta = { shape: parseShape(shape), patchStrategies: strategy ? strategy.split(',') : [], patchMergeKey: key ?? '' };
  // one `#type` after a list shape is its list type; after a map or struct it is the map type
  if (listOrMapType && meta.shape.kind === 'slice') meta.listType = listOrMapType as FieldMeta['listType'];
  else if (listOrMapType) meta.mapType = listOrMapType as FieldMeta['mapType'];
  if (keys) meta.listMapKeys = keys.split(',');
  if (mapType) meta.mapType = mapType as FieldMeta['mapType'];
  return [name, meta];
}

const parsed = new Map<string, Definition>();

function definition(name: string): Definition {
  let d = parsed.get(name);
  if (!d) {
    const text = DEFINITIONS[name];
    if (text === undefined) throw new Error(`patch-meta-table: no definition ${name}`);
    const entries = text.split(' ').filter(Boolean);
    d = { atomic: entries[0] === '#atomic', fields: new Map(entries.filter((e) => e !== '#atomic').map(parseField)) };
    parsed.set(name, d);
  }
  return d;
}

/** The Go type name in messages: `apps.v1.DeploymentSpec` → `DeploymentSpec`. */
const goTypeName = (def: string): string => def.slice(def.lastIndexOf('.') + 1);

/** `reflect.Kind.String()` of a shape; scalars are reported as strings (their JSON form). */
const goKindName = (shape: Shape): string => ({ struct: 'struct', map: 'map', slice: 'slice', scalar: 'string' })[shape.kind];

export interface PatchLookup {
  schema: PatchSchema;
  meta: FieldMeta;
}

/**
 * One level of a kind's structure: `strategicpatch.LookupPatchMeta` over PatchMetaFromStruct.
 * Fields of scalar type are not in the table, so looking one up fails like an unknown field;
 * apimachinery only looks up fields whose values are maps or lists, where Go fails too.
 */
export class PatchSchema {
  constructor(readonly shape: Shape) {}

  /** `Name()`: the Go kind of this level (used in "cannot merge lists without merge key for …"). */
  name(): string {
    return goKindName(this.shape);
  }

  /** The field's own type and patch metadata (LookupPatchMetadataForStruct). */
  lookupStruct(key: string): PatchLookup {
    if (this.shape.kind !== 'struct') {
      throw new PatchError(`merging an object in json but data type is not struct, instead is: ${goKindName(this.shape)}`);
    }
    const def = definition(this.shape.definition);
    // encoding/json matches field names exactly first, then case-insensitively
    let meta = def.fields.get(key);
    if (!meta) {
      const folded = key.toLowerCase();
      for (const [name, m] of def.fields) if (!meta && name.toLowerCase() === folded) meta = m;
    }
    if (!meta) throw new PatchError(`unable to find api field in struct ${goTypeName(this.shape.definition)} for the json field "${key}"`);
    return { schema: new PatchSchema(meta.shape), meta };
  }

  /** The element type of a list field and the field's patch metadata (LookupPatchMetadataForSlice). */
  lookupSlice(key: string): PatchLookup {
    const { schema, meta } = this.lookupStruct(key);
    if (schema.shape.kind !== 'slice') throw new PatchError(`expected slice or array type, but got: ${goKindName(this.shape)}`);
    if (schema.shape.element.kind === 'slice') throw new PatchError('unexpected slice of slice');
    return { schema: new PatchSchema(schema.shape.element), meta };
  }

  /** A field's metadata by exact name, without failing (server-side apply: unknown fields are granular maps or atomic lists). */
  field(key: string): PatchLookup | undefined {
    if (this.shape.kind !== 'struct') return undefined;
    const meta = definition(this.shape.definition).fields.get(key);
    return meta && { schema: new PatchSchema(meta.shape), meta };
  }

  /** The schema of a list field's items, when the field is a list. */
  element(): PatchSchema | undefined {
    return this.shape.kind === 'slice' ? new PatchSchema(this.shape.element) : undefined;
  }

  /** True for a struct marked x-kubernetes-map-type: atomic (server-side apply owns it whole). */
  isAtomicStruct(): boolean {
    return this.shape.kind === 'struct' && definition(this.shape.definition).atomic;
  }
}

/**
 * The schema of a built-in kind, or undefined for kinds Helm handles as unstructured (custom
 * resources, apiextensions v1beta1 CRDs, APIService): those get JSON merge patches.
 */
export function patchSchemaFor(apiVersion: string, kind: string): PatchSchema | undefined {
  const root = KINDS[`${apiVersion}/${kind}`];
  return root === undefined ? undefined : new PatchSchema({ kind: 'struct', definition: root });
}

/** Helm's client-side update patch type for a kind (pkg/kube/client.go createPatch). */
export function clientSidePatchType(apiVersion: string, kind: string): 'strategic' | 'merge' {
  return patchSchemaFor(apiVersion, kind) ? 'strategic' : 'merge';
}

/**
 * How server-side apply treats a list (kube-openapi schemaconv): the x-kubernetes-list-type, or
 * without one, a `merge` patch strategy makes it associative (keyed by the merge key) or a set.
 * Returns the key fields, [] for a set, undefined for an atomic list.
 */
export function applyListKeys(meta: FieldMeta): string[] | undefined {
  if (meta.listType === 'map') return meta.listMapKeys ?? [];
  if (meta.listType === 'set') return [];
  if (meta.listType === 'atomic') return undefined;
  if (meta.patchStrategies.includes('merge')) return meta.patchMergeKey ? [meta.patchMergeKey] : [];
  return undefined;
}
