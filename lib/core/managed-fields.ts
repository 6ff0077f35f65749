/**
 * The client-side → server-side apply migration of managed fields, as client-go's
 * `csaupgrade.UpgradeManagedFieldsPatch` (v0.35.1) computes it and Helm 4 sends it before the
 * first server-side apply of an object a client-side apply managed (pkg/kube/client.go
 * `upgradeClientSideFieldManager`, with csa manager `helm` and ssa manager `helm`):
 *
 * the newest `Update` entry of the csa manager becomes the `Apply` entry of the ssa manager
 * (unless one exists), gets the union of both field sets, and every other `Update` entry of the
 * csa manager is dropped. The fields the csa manager owned are then owned by the applier, so a
 * field later left out of the manifest is removed instead of conflicting with ourselves.
 *
 * FieldsV1 sets follow sigs.k8s.io/structured-merge-diff: the rewritten entry is serialized in
 * its canonical order; the untouched entries come out as Go re-marshals them (keys sorted).
 */
import { compareGoStrings, goMarshal, isJsonObject, type Json, type JsonObject } from './go-json';

/** metav1.ManagedFieldsEntry as JSON. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: JsonObject;
  subresource?: string;
}

export type JsonPatchOperation = { op: 'replace'; path: string; value: Json };

// --- FieldsV1 sets (structured-merge-diff fieldpath) ---

type PathElement =
  | { type: 'field'; name: string }
  | { type: 'key'; fields: [string, Json][] }
  | { type: 'value'; value: Json }
  | { type: 'index'; index: number };

interface FieldSet {
  members: Map<string, PathElement>;
  children: Map<string, { pe: PathElement; set: FieldSet }>;
}

const emptySet = (): FieldSet => ({ members: new Map(), children: new Map() });

function parsePathElement(s: string): PathElement | undefined {
  if (s.length < 2) throw new Error('key must be 2 characters long:');
  if (s[1] !== ':') throw new Error(`missing colon: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return { type: 'field', name: body };
    case 'v':
      return { type: 'value', value: JSON.parse(body) as Json };
    case 'k': {
      const obj = JSON.parse(body) as JsonObject;
      const fields = Object.entries(obj).sort(([a], [b]) => compareGoStrings(a, b));
      return { type: 'key', fields };
    }
    case 'i':
      return { type: 'index', index: Number.parseInt(body, 10) };
    default:
      return undefined; // unknown kinds of path elements are dropped, as structured-merge-diff does
  }
}

/** SerializePathElement: the canonical text, also this module's identity for an element. */
function serializePathElement(pe: PathElement): string {
  switch (pe.type) {
    case 'field':
      return `f:${pe.name}`;
    case 'key':
      return `k:{${pe.fields.map(([n, v]) => `${goMarshal(n)}:${goMarshal(v)}`).join(',')}}`;
    case 'value':
      return `v:${goMarshal(pe.value)}`;
    case 'index':
      return `i:${pe.index}`;
  }
}

const TYPE_ORDER = { field: 0, key: 1, value: 2, index: 3 };

/** value.Compare: numbers < strings < booleans < lists < maps < null. */
function compareValues(a: Json, b: Json): number {
  const rank = (v: Json): number => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : Array.isArray(v) ? 3 : v === null ? 5 : 4);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number') return a < (b as number) ? -1 : a > (b as number) ? 1 : 0;
  if (typeof a === 'string') return compareGoStrings(a, b as string);
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a)) {
    const bl = b as Json[];
    for (let i = 0; i < Math.min(a.length, bl.length); i++) {
      const c = compareValues(a[i], bl[i]);
      if (c !== 0) return c;
    }
    return a.length - bl.length;
  }
  if (isJsonObject(a)) return compareFieldLists(Object.entries(a).sort(([x], [y]) => compareGoStrings(x, y)), Object.entries(b as JsonObject).sort(([x], [y]) => compareGoStrings(x, y)));
  return 0;
}

function compareFieldLists(a: [string, Json][], b: [string, Json][]): number {
  for (let i = 0; ; i++) {
    if (i >= a.length && i >= b.length) return 0;
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const c = compareGoStrings(a[i][0], b[i][0]) || compareValues(a[i][1], b[i][1]);
    if (c !== 0) return c;
  }
}

/** PathElement.Compare: fields < keys < values < indexes, then within the type. */
function comparePathElements(a: PathElement, b: PathElement): number {
  if (a.type !== b.type) return TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
  switch (a.type) {
    case 'field':
      return compareGoStrings(a.name, (b as typeof a).name);
    case 'key':
      return compareFieldLists(a.fields, (b as typeof a).fields);
    case 'value':
      return compareValues(a.value, (b as typeof a).value);
    case 'index':
      return a.index - (b as typeof a).index;
  }
}

/** Set.FromJSON: `{}` or `{".": {}}` marks a member, other keys are children. */
function parseFieldSet(fields: JsonObject | undefined): FieldSet {
  const read = (node: JsonObject): { set?: FieldSet; member: boolean } => {
    let set: FieldSet | undefined;
    let member = false;
    for (const [key, value] of Object.entries(node)) {
      if (key === '.') {
        member = true;
        continue;
      }
      const pe = parsePathElement(key);
      if (!pe) continue;
      const id = serializePathElement(pe);
      const child = read(isJsonObject(value) ? value : {});
      if (child.member) (set ??= emptySet()).members.set(id, pe);
      if (child.set) {
        set ??= emptySet();
        const existing = set.children.get(id);
        set.children.set(id, { pe, set: existing ? unionSets(existing.set, child.set) : child.set });
      }
    }
    return { set, member: member || set === undefined };
  };
  return read(fields ?? {}).set ?? emptySet();
}

function unionSets(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { members: new Map([...a.members, ...b.members]), children: new Map(a.children) };
  for (const [id, child] of b.children) {
    const mine = out.children.get(id);
    out.children.set(id, mine ? { pe: mine.pe, set: unionSets(mine.set, child.set) } : child);
  }
  return out;
}

/** Set.ToJSON: members and children merged in path-element order, "." first where a child is also a member. */
function serializeFieldSet(set: FieldSet): string {
  const emit = (s: FieldSet, includeSelf: boolean): string => {
    const parts: string[] = [];
    if (includeSelf && (s.members.size > 0 || s.children.size > 0)) parts.push('".":{}');
    const entries = [
      ...[...s.members].map(([id, pe]) => ({ id, pe, child: s.children.get(id), member: true })),
      ...[...s.children].filter(([id]) => !s.members.has(id)).map(([id, c]) => ({ id, pe: c.pe, child: c, member: false })),
    ].sort((x, y) => comparePathElements(x.pe, y.pe));
    for (const e of entries) {
      const name = goMarshal(e.id);
      parts.push(e.child ? `${name}:{${emit(e.child.set, e.member)}}` : `${name}:{}`);
    }
    return parts.join(',');
  };
  return `{${emit(set, false)}}`;
}

// --- the upgrade ---

const sameEntry = (e: ManagedFieldsEntry, manager: string, operation: string, subresource: string) =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === subresource;

/** An entry as Go decodes and re-encodes it: time in whole seconds (UTC), FieldsV1 kept as raw JSON. */
interface DecodedEntry {
  entry: ManagedFieldsEntry;
  /** The FieldsV1 bytes Go would write back. */
  fieldsV1Raw?: string;
}

const rfc3339 = (time: string): string => new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');

function upgradedManagedFields(entries: DecodedEntry[], csaManager: string, ssaManager: string, subresource: string): DecodedEntry[] {
  const out = entries.map((d) => ({ entry: { ...d.entry }, fieldsV1Raw: d.fieldsV1Raw }));
  let target = out.findIndex((d) => sameEntry(d.entry, ssaManager, 'Apply', subresource));
  if (target < 0) {
    // no Apply entry yet: the most recent csa Update entry (the first) becomes it
    target = out.findIndex((d) => sameEntry(d.entry, csaManager, 'Update', subresource));
    if (target < 0) return out;
    out[target].entry.operation = 'Apply';
    out[target].entry.manager = ssaManager;
  }
  const ssa = out[target];
  const csa = out.find((d) => sameEntry(d.entry, csaManager, 'Update', subresource) && d.entry.apiVersion === ssa.entry.apiVersion);
  let fields = parseFieldSet(ssa.entry.fieldsV1);
  if (csa) fields = unionSets(fields, parseFieldSet(csa.entry.fieldsV1));
  ssa.fieldsV1Raw = serializeFieldSet(fields);
  ssa.entry.fieldsV1 = JSON.parse(ssa.fieldsV1Raw) as JsonObject;
  return out.filter((d) => !sameEntry(d.entry, csaManager, 'Update', subresource));
}

/** json.Marshal of []metav1.ManagedFieldsEntry: struct field order, empty fields left out. */
function marshalEntries(entries: DecodedEntry[]): string {
  if (entries.length === 0) return 'null';
  const one = ({ entry, fieldsV1Raw }: DecodedEntry): string => {
    const parts: string[] = [];
    const add = (name: string, raw: string | undefined) => raw !== undefined && parts.push(`"${name}":${raw}`);
    add('manager', entry.manager ? goMarshal(entry.manager) : undefined);
    add('operation', entry.operation ? goMarshal(entry.operation) : undefined);
    add('apiVersion', entry.apiVersion ? goMarshal(entry.apiVersion) : undefined);
    add('time', entry.time ? goMarshal(rfc3339(entry.time)) : undefined);
    add('fieldsType', entry.fieldsType ? goMarshal(entry.fieldsType) : undefined);
    add('fieldsV1', fieldsV1Raw);
    add('subresource', entry.subresource ? goMarshal(entry.subresource) : undefined);
    return `{${parts.join(',')}}`;
  };
  return `[${entries.map(one).join(',')}]`;
}

export interface ManagedFieldsUpgrade {
  /** The JSON patch body (RFC 6902) Helm sends with content type application/json-patch+json. */
  body: string;
  /** The managed fields after the upgrade. */
  managedFields: ManagedFieldsEntry[];
}

/**
 * UpgradeManagedFieldsPatch(obj, csaManagers, ssaManager): undefined when nothing is to be done
 * (no entry of a csa manager), else the patch that replaces metadata.managedFields and, to fail
 * on a concurrent change, metadata.resourceVersion with its current value.
 */
export function upgradeManagedFieldsPatch(
  obj: { metadata: { managedFields?: ManagedFieldsEntry[]; resourceVersion?: string } },
  csaManagers: readonly string[],
  ssaManager: string,
  subresource = '',
): ManagedFieldsUpgrade | undefined {
  const original: DecodedEntry[] = (obj.metadata.managedFields ?? []).map((entry) => ({
    entry,
    // the unstructured → typed conversion re-marshals FieldsV1 from a map: keys come out sorted
    fieldsV1Raw: entry.fieldsV1 === undefined ? undefined : goMarshal(entry.fieldsV1),
  }));
  if (obj.metadata.managedFields === undefined) return undefined;
  let upgraded = original;
  for (const csa of csaManagers) upgraded = upgradedManagedFields(upgraded, csa, ssaManager, subresource);
  if (marshalEntries(upgraded) === marshalEntries(original)) return undefined;
  const body = `[{"op":"replace","path":"/metadata/managedFields","value":${marshalEntries(upgraded)}},{"op":"replace","path":"/metadata/resourceVersion","value":${goMarshal(obj.metadata.resourceVersion ?? '')}}]`;
  return { body, managedFields: upgraded.map((d) => d.entry) };
}
