/**
 * Decoder for the protobuf request bodies typed Go clients send (Helm's release storage,
 * Helm's DeleteOptions, `kubectl create secret|configmap|namespace`). Wire format: the magic
 * "k8s\0", then runtime.Unknown{typeMeta=1{apiVersion=1, kind=2}, raw=2, contentEncoding=3,
 * contentType=4}. Field numbers from k8s.io/api and k8s.io/apimachinery `generated.proto`.
 * Responses are always JSON, so there is no encoder.
 */
import { badRequest, unsupportedMediaType } from './errors';

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type FieldType = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'json' | Schema | { map: 'string' | 'bytes' };

interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: boolean;
  /** Go pointer fields (`*bool`, `*int64`): present means set, even to a zero value. */
  pointer?: boolean;
}

type Schema = Record<number, FieldSpec>;

const f = (name: string, type: FieldType, extra: Partial<FieldSpec> = {}): FieldSpec => ({ name, type, ...extra });

const TIME: FieldType = 'time';
const STRING_MAP: FieldType = { map: 'string' };
const BYTES_MAP: FieldType = { map: 'bytes' };

const OWNER_REFERENCE: Schema = {
  1: f('kind', 'string'),
  3: f('name', 'string'),
  4: f('uid', 'string'),
  5: f('apiVersion', 'string'),
  6: f('controller', 'bool', { pointer: true }),
  7: f('blockOwnerDeletion', 'bool', { pointer: true }),
};

const MANAGED_FIELDS_ENTRY: Schema = {
  1: f('manager', 'string'),
  2: f('operation', 'string'),
  3: f('apiVersion', 'string'),
  4: f('time', TIME),
  6: f('fieldsType', 'string'),
  7: f('fieldsV1', { 1: f('raw', 'json') }),
  8: f('subresource', 'string'),
};

const OBJECT_META: Schema = {
  1: f('name', 'string'),
  2: f('generateName', 'string'),
  3: f('namespace', 'string'),
  4: f('selfLink', 'string'),
  5: f('uid', 'string'),
  6: f('resourceVersion', 'string'),
  7: f('generation', 'int'),
  8: f('creationTimestamp', TIME),
  9: f('deletionTimestamp', TIME),
  10: f('deletionGracePeriodSeconds', 'int', { pointer: true }),
  11: f('labels', STRING_MAP),
  12: f('annotations', STRING_MAP),
  13: f('ownerReferences', OWNER_REFERENCE, { repeated: true }),
  14: f('finalizers', 'string', { repeated: true }),
  17: f('managedFields', MANAGED_FIELDS_ENTRY, { repeated: true }),
};

const OBJECT_REFERENCE: Schema = {
  1: f('kind', 'string'),
  2: f('namespace', 'string'),
  3: f('name', 'string'),
  4: f('uid', 'string'),
  5: f('apiVersion', 'string'),
  6: f('resourceVersion', 'string'),
  7: f('fieldPath', 'string'),
};

const SCHEMAS: Record<string, Schema> = {
  Secret: {
    1: f('metadata', OBJECT_META),
    2: f('data', BYTES_MAP),
    3: f('type', 'string'),
    4: f('stringData', STRING_MAP),
    5: f('immutable', 'bool', { pointer: true }),
  },
  ConfigMap: {
    1: f('metadata', OBJECT_META),
    2: f('data', STRING_MAP),
    3: f('binaryData', BYTES_MAP),
    4: f('immutable', 'bool', { pointer: true }),
  },
  Namespace: {
    1: f('metadata', OBJECT_META),
    2: f('spec', { 1: f('finalizers', 'string', { repeated: true }) }),
    3: f('status', { 1: f('phase', 'string') }),
  },
  ServiceAccount: {
    1: f('metadata', OBJECT_META),
    2: f('secrets', OBJECT_REFERENCE, { repeated: true }),
    3: f('imagePullSecrets', { 1: f('name', 'string') }, { repeated: true }),
    4: f('automountServiceAccountToken', 'bool', { pointer: true }),
  },
  DeleteOptions: {
    1: f('gracePeriodSeconds', 'int', { pointer: true }),
    2: f('preconditions', { 1: f('uid', 'string', { pointer: true }), 2: f('resourceVersion', 'string', { pointer: true }) }),
    3: f('orphanDependents', 'bool', { pointer: true }),
    4: f('propagationPolicy', 'string', { pointer: true }),
    5: f('dryRun', 'string', { repeated: true }),
  },
};

export const PROTOBUF_KINDS = Object.keys(SCHEMAS);

interface RawField {
  no: number;
  wire: number;
  varint?: bigint;
  bytes?: Buffer;
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw badRequest('protobuf: truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 70n) throw badRequest('protobuf: varint too long');
    }
  }

  take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw badRequest('protobuf: truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  field(): RawField {
    const tag = Number(this.varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    switch (wire) {
      case 0:
        return { no, wire, varint: this.varint() };
      case 1:
        return { no, wire, bytes: this.take(8) };
      case 2:
        return { no, wire, bytes: this.take(Number(this.varint())) };
      case 5:
        return { no, wire, bytes: this.take(4) };
      default:
        throw badRequest(`protobuf: unsupported wire type ${wire}`);
    }
  }
}

function readAll(buf: Buffer): RawField[] {
  const r = new Reader(buf);
  const out: RawField[] = [];
  while (!r.done()) out.push(r.field());
  return out;
}

function decodeTime(buf: Buffer): string | undefined {
  let seconds = 0;
  for (const fl of readAll(buf)) if (fl.no === 1) seconds = Number(BigInt.asIntN(64, fl.varint ?? 0n));
  return seconds ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : undefined;
}

function decodeMapEntry(buf: Buffer, valueType: 'string' | 'bytes'): [string, string] {
  let key = '';
  let value = '';
  for (const fl of readAll(buf)) {
    if (fl.no === 1) key = fl.bytes!.toString('utf8');
    if (fl.no === 2) value = valueType === 'bytes' ? fl.bytes!.toString('base64') : fl.bytes!.toString('utf8');
  }
  return [key, value];
}

function decodeValue(fl: RawField, type: FieldType): unknown {
  if (type === 'string') return fl.bytes!.toString('utf8');
  if (type === 'bytes') return fl.bytes!.toString('base64');
  if (type === 'int') return Number(BigInt.asIntN(64, fl.varint ?? 0n));
  if (type === 'bool') return fl.varint !== 0n;
  if (type === 'time') return decodeTime(fl.bytes!);
  if (type === 'json') return JSON.parse(fl.bytes!.toString('utf8') || '{}');
  return decodeMessage(fl.bytes!, type as Schema);
}

const isZero = (v: unknown): boolean => v === '' || v === 0 || v === false || v === undefined;

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fl of readAll(buf)) {
    const spec = schema[fl.no];
    if (!spec) continue; // fields the sim has no table for are dropped, like an older server would
    if (typeof spec.type === 'object' && 'map' in spec.type) {
      const [k, v] = decodeMapEntry(fl.bytes!, spec.type.map as 'string' | 'bytes');
      out[spec.name] = { ...((out[spec.name] as object) ?? {}), [k]: v };
      continue;
    }
    const value = decodeValue(fl, spec.type);
    if (spec.repeated) out[spec.name] = [...((out[spec.name] as unknown[]) ?? []), value];
    else if (spec.pointer || !isZero(value)) out[spec.name] = value;
  }
  if (schema === MANAGED_FIELDS_ENTRY && out.fieldsV1) out.fieldsV1 = (out.fieldsV1 as { raw?: object }).raw ?? {};
  return out;
}

/** Decodes a "k8s\0"-prefixed body into a JSON object with apiVersion and kind. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (!body.subarray(0, 4).equals(PROTOBUF_MAGIC)) throw badRequest('protobuf: missing "k8s\\0" prefix');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  for (const fl of readAll(body.subarray(4))) {
    if (fl.no === 1) {
      for (const tm of readAll(fl.bytes!)) {
        if (tm.no === 1) apiVersion = tm.bytes!.toString('utf8');
        if (tm.no === 2) kind = tm.bytes!.toString('utf8');
      }
    }
    if (fl.no === 2) raw = fl.bytes;
  }
  const schema = SCHEMAS[kind];
  if (!schema) throw unsupportedMediaType(['application/json', 'application/yaml', `application/vnd.kubernetes.protobuf (sim: ${PROTOBUF_KINDS.join(', ')} only; got ${kind || 'no kind'})`]);
  return { apiVersion, kind, ...decodeMessage(raw ?? Buffer.alloc(0), schema) };
}
