/**
 * The protobuf form of the Swagger 2.0 document (`openapi_v2.Document` of google/gnostic's
 * OpenAPIv2.proto), which kubectl ≤ 1.26 asks for with
 * `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`. It encodes the subset
 * openapi.ts emits: info, paths with operations and parameters, responses and schemas. Maps are
 * repeated Named* {name=1, value=2} entries; `x-` keys become vendor extensions whose value is
 * Any{yaml=2}, the YAML text clients unmarshal.
 */
import { stringify } from 'yaml';

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

type Json = Record<string, any>;

/** A protobuf message under construction (proto3: zero values are simply not written). */
class Message {
  private readonly parts: Buffer[] = [];

  private key(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  private varint(n: number): void {
    const bytes: number[] = [];
    while (n > 0x7f) {
      bytes.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    bytes.push(n);
    this.parts.push(Buffer.from(bytes));
  }

  bytes(field: number, value: Buffer): this {
    this.key(field, 2);
    this.varint(value.length);
    this.parts.push(value);
    return this;
  }

  string(field: number, value: unknown): this {
    return typeof value === 'string' && value !== '' ? this.bytes(field, Buffer.from(value, 'utf8')) : this;
  }

  strings(field: number, values: unknown): this {
    for (const v of Array.isArray(values) ? values : []) this.string(field, v);
    return this;
  }

  bool(field: number, value: unknown): this {
    if (value === true) {
      this.key(field, 0);
      this.varint(1);
    }
    return this;
  }

  message(field: number, value: Message | undefined): this {
    return value ? this.bytes(field, value.toBuffer()) : this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Repeated NamedX {name=1, value=2} of a JSON object's entries. */
function named(m: Message, field: number, entries: [string, unknown][], encode: (v: any) => Message | undefined): void {
  for (const [name, value] of entries) m.message(field, new Message().string(1, name).message(2, encode(value)));
}

const extensions = (o: Json): [string, unknown][] => Object.entries(o).filter(([k]) => k.startsWith('x-'));

/** NamedAny vendor extensions: Any{yaml=2}. */
function vendorExtensions(m: Message, field: number, o: Json): void {
  named(m, field, extensions(o), (v) => new Message().string(2, stringify(v)));
}

function schema(s: Json | undefined): Message | undefined {
  if (!s) return undefined;
  const m = new Message().string(1, s.$ref).string(2, s.format).string(4, s.description).strings(19, s.required);
  if (typeof s.additionalProperties === 'boolean') m.message(21, new Message().bool(2, s.additionalProperties));
  else if (s.additionalProperties) m.message(21, new Message().message(1, schema(s.additionalProperties)));
  if (s.type) m.message(22, new Message().strings(1, [s.type].flat()));
  if (s.items) m.message(23, new Message().message(1, schema(s.items)));
  if (s.properties) {
    const props = new Message();
    named(props, 1, Object.entries(s.properties), schema);
    m.message(25, props);
  }
  vendorExtensions(m, 31, s);
  return m;
}

/** ParametersItem: a body parameter, a non-body one (query/path/header) or a $ref. */
function parameter(p: Json): Message {
  if (p.$ref) return new Message().message(2, new Message().string(1, p.$ref));
  if (p.in === 'body') {
    const body = new Message().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required).message(5, schema(p.schema));
    return new Message().message(1, new Message().message(1, body));
  }
  // all four sub-schemas start required=1, in=2, description=3, name=4; query and formData then have allow_empty_value=5
  const query = p.in === 'query' || p.in === 'formData';
  const sub = new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
  sub.string(query ? 6 : 5, p.type).string(query ? 7 : 6, p.format).bool(query ? 20 : 19, p.uniqueItems);
  const oneof = { header: 1, formData: 2, query: 3, path: 4 }[p.in as string] ?? 3;
  return new Message().message(1, new Message().message(2, new Message().message(oneof, sub)));
}

function operation(op: Json | undefined): Message | undefined {
  if (!op) return undefined;
  const m = new Message().strings(1, op.tags).string(2, op.summary).string(3, op.description).string(5, op.operationId).strings(6, op.produces).strings(7, op.consumes);
  for (const p of op.parameters ?? []) m.message(8, parameter(p));
  const responses = new Message();
  named(responses, 1, Object.entries(op.responses ?? {}), (r: Json) =>
    r.$ref
      ? new Message().message(2, new Message().string(1, r.$ref))
      : new Message().message(1, new Message().string(1, r.description).message(2, r.schema ? new Message().message(1, schema(r.schema)) : undefined)),
  );
  m.message(9, responses).strings(10, op.schemes).bool(11, op.deprecated);
  vendorExtensions(m, 13, op);
  return m;
}

function pathItem(item: Json): Message {
  const m = new Message().string(1, item.$ref);
  (['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const).forEach((verb, i) => m.message(i + 2, operation(item[verb])));
  for (const p of item.parameters ?? []) m.message(9, parameter(p));
  vendorExtensions(m, 10, item);
  return m;
}

const encoded = new WeakMap<Json, Buffer>();

/** Encodes a Swagger 2.0 document built by openapi.ts as gnostic's `openapi_v2.Document` (once per document). */
export function encodeOpenapiV2(doc: Json): Buffer {
  let bytes = encoded.get(doc);
  if (!bytes) encoded.set(doc, (bytes = encodeDocument(doc)));
  return bytes;
}

function encodeDocument(doc: Json): Buffer {
  const info = new Message().string(1, doc.info?.title).string(2, doc.info?.version).string(3, doc.info?.description);
  const paths = new Message();
  named(paths, 2, Object.entries(doc.paths ?? {}), pathItem);
  const definitions = new Message();
  named(definitions, 1, Object.entries(doc.definitions ?? {}), schema);
  const m = new Message().string(1, doc.swagger).message(2, info).string(3, doc.host).string(4, doc.basePath).strings(5, doc.schemes);
  m.strings(6, doc.consumes).strings(7, doc.produces).message(8, paths).message(9, definitions);
  vendorExtensions(m, 16, doc);
  return m.toBuffer();
}
