/**
 * Decoder for the protobuf request bodies typed Go clients send (Helm's release storage,
 * Helm's DeleteOptions, `kubectl create secret|configmap|namespace|deployment|job|cronjob|
 * service|priorityclass|pdb|clusterrole|role|clusterrolebinding|rolebinding|ingress` and
 * `kubectl run`). Fields outside these tables are dropped. Wire format: the magic
 * "k8s\0", then runtime.Unknown{typeMeta=1{apiVersion=1, kind=2}, raw=2, contentEncoding=3,
 * contentType=4}. Field numbers from k8s.io/api and k8s.io/apimachinery `generated.proto`.
 * Responses are always JSON, so there is no encoder.
 */
import { badRequest, unsupportedMediaType } from './errors';

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type MapValue = 'string' | 'bytes' | 'quantity';
type FieldType = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'json' | 'intOrString' | Schema | { map: MapValue };

interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: boolean;
  /** Go pointer fields (`*bool`, `*int64`): present means set, even to a zero value. */
  pointer?: boolean;
  /** An embedded struct whose fields JSON inlines into the parent (`json:",inline"`). */
  inline?: boolean;
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

const LABEL_SELECTOR: Schema = {
  1: f('matchLabels', STRING_MAP),
  2: f('matchExpressions', { 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', { repeated: true }) }, { repeated: true }),
};

// k8s.io/api/core/v1 generated.proto: the container and pod fields kubectl's generators set
const CONTAINER: Schema = {
  1: f('name', 'string'),
  2: f('image', 'string'),
  3: f('command', 'string', { repeated: true }),
  4: f('args', 'string', { repeated: true }),
  5: f('workingDir', 'string'),
  6: f('ports', { 1: f('name', 'string'), 2: f('hostPort', 'int'), 3: f('containerPort', 'int'), 4: f('protocol', 'string'), 5: f('hostIP', 'string') }, { repeated: true }),
  7: f('env', { 1: f('name', 'string'), 2: f('value', 'string') }, { repeated: true }),
  8: f('resources', { 1: f('limits', { map: 'quantity' }), 2: f('requests', { map: 'quantity' }) }),
  9: f('volumeMounts', { 1: f('name', 'string'), 2: f('readOnly', 'bool'), 3: f('mountPath', 'string'), 4: f('subPath', 'string') }, { repeated: true }),
  13: f('terminationMessagePath', 'string'),
  14: f('imagePullPolicy', 'string'),
  16: f('stdin', 'bool'),
  17: f('stdinOnce', 'bool'),
  18: f('tty', 'bool'),
  20: f('terminationMessagePolicy', 'string'),
};

const POD_SPEC: Schema = {
  2: f('containers', CONTAINER, { repeated: true }),
  3: f('restartPolicy', 'string'),
  4: f('terminationGracePeriodSeconds', 'int', { pointer: true }),
  5: f('activeDeadlineSeconds', 'int', { pointer: true }),
  6: f('dnsPolicy', 'string'),
  7: f('nodeSelector', STRING_MAP),
  8: f('serviceAccountName', 'string'),
  10: f('nodeName', 'string'),
  15: f('imagePullSecrets', { 1: f('name', 'string') }, { repeated: true }),
  16: f('hostname', 'string'),
  17: f('subdomain', 'string'),
  19: f('schedulerName', 'string'),
  20: f('initContainers', CONTAINER, { repeated: true }),
};

const POD_TEMPLATE: Schema = { 1: f('metadata', OBJECT_META), 2: f('spec', POD_SPEC) };

// k8s.io/api/batch/v1 generated.proto
const JOB_SPEC: Schema = {
  1: f('parallelism', 'int', { pointer: true }),
  2: f('completions', 'int', { pointer: true }),
  3: f('activeDeadlineSeconds', 'int', { pointer: true }),
  4: f('selector', LABEL_SELECTOR),
  5: f('manualSelector', 'bool', { pointer: true }),
  6: f('template', POD_TEMPLATE),
  7: f('backoffLimit', 'int', { pointer: true }),
  8: f('ttlSecondsAfterFinished', 'int', { pointer: true }),
  9: f('completionMode', 'string', { pointer: true }),
  10: f('suspend', 'bool', { pointer: true }),
};

// k8s.io/api/rbac/v1 generated.proto
const POLICY_RULE: Schema = {
  1: f('verbs', 'string', { repeated: true }),
  2: f('apiGroups', 'string', { repeated: true }),
  3: f('resources', 'string', { repeated: true }),
  4: f('resourceNames', 'string', { repeated: true }),
  5: f('nonResourceURLs', 'string', { repeated: true }),
};
const ROLE_BINDING: Schema = {
  1: f('metadata', OBJECT_META),
  2: f('subjects', { 1: f('kind', 'string'), 2: f('apiGroup', 'string'), 3: f('name', 'string'), 4: f('namespace', 'string') }, { repeated: true }),
  3: f('roleRef', { 1: f('apiGroup', 'string'), 2: f('kind', 'string'), 3: f('name', 'string') }),
};

// k8s.io/api/networking/v1 generated.proto
const INGRESS_BACKEND: Schema = {
  3: f('resource', { 1: f('apiGroup', 'string', { pointer: true }), 2: f('kind', 'string'), 3: f('name', 'string') }),
  4: f('service', { 1: f('name', 'string'), 2: f('port', { 1: f('name', 'string'), 2: f('number', 'int') }) }),
};
const INGRESS_RULE: Schema = {
  1: f('host', 'string'),
  2: f('ingressRuleValue', { 1: f('http', { 1: f('paths', { 1: f('path', 'string'), 2: f('backend', INGRESS_BACKEND), 3: f('pathType', 'string', { pointer: true }) }, { repeated: true }) }) }, { inline: true }),
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
  Pod: { 1: f('metadata', OBJECT_META), 2: f('spec', POD_SPEC) },
  // k8s.io/api/apps/v1 generated.proto
  Deployment: {
    1: f('metadata', OBJECT_META),
    2: f('spec', {
      1: f('replicas', 'int', { pointer: true }),
      2: f('selector', LABEL_SELECTOR),
      3: f('template', POD_TEMPLATE),
      4: f('strategy', { 1: f('type', 'string'), 2: f('rollingUpdate', { 1: f('maxUnavailable', 'intOrString'), 2: f('maxSurge', 'intOrString') }) }),
      5: f('minReadySeconds', 'int'),
      6: f('revisionHistoryLimit', 'int', { pointer: true }),
      7: f('paused', 'bool'),
      9: f('progressDeadlineSeconds', 'int', { pointer: true }),
    }),
  },
  Job: { 1: f('metadata', OBJECT_META), 2: f('spec', JOB_SPEC) },
  CronJob: {
    1: f('metadata', OBJECT_META),
    2: f('spec', {
      1: f('schedule', 'string'),
      2: f('startingDeadlineSeconds', 'int', { pointer: true }),
      3: f('concurrencyPolicy', 'string'),
      4: f('suspend', 'bool', { pointer: true }),
      5: f('jobTemplate', { 1: f('metadata', OBJECT_META), 2: f('spec', JOB_SPEC) }),
      6: f('successfulJobsHistoryLimit', 'int', { pointer: true }),
      7: f('failedJobsHistoryLimit', 'int', { pointer: true }),
      8: f('timeZone', 'string', { pointer: true }),
    }),
  },
  Service: {
    1: f('metadata', OBJECT_META),
    2: f('spec', {
      1: f('ports', { 1: f('name', 'string'), 2: f('protocol', 'string'), 3: f('port', 'int'), 4: f('targetPort', 'intOrString'), 5: f('nodePort', 'int') }, { repeated: true }),
      2: f('selector', STRING_MAP),
      3: f('clusterIP', 'string'),
      4: f('type', 'string'),
      5: f('externalIPs', 'string', { repeated: true }),
      7: f('sessionAffinity', 'string'),
      8: f('loadBalancerIP', 'string'),
      11: f('externalName', 'string'),
    }),
  },
  // k8s.io/api/scheduling/v1, policy/v1, rbac/v1 and networking/v1: `kubectl create priorityclass|pdb|clusterrole|role|clusterrolebinding|rolebinding|ingress`
  PriorityClass: {
    1: f('metadata', OBJECT_META),
    2: f('value', 'int'),
    3: f('globalDefault', 'bool'),
    4: f('description', 'string'),
    5: f('preemptionPolicy', 'string', { pointer: true }),
  },
  PodDisruptionBudget: {
    1: f('metadata', OBJECT_META),
    2: f('spec', {
      1: f('minAvailable', 'intOrString'),
      2: f('selector', LABEL_SELECTOR),
      3: f('maxUnavailable', 'intOrString'),
      4: f('unhealthyPodEvictionPolicy', 'string', { pointer: true }),
    }),
  },
  ClusterRole: {
    1: f('metadata', OBJECT_META),
    2: f('rules', POLICY_RULE, { repeated: true }),
    3: f('aggregationRule', { 1: f('clusterRoleSelectors', LABEL_SELECTOR, { repeated: true }) }),
  },
  Role: { 1: f('metadata', OBJECT_META), 2: f('rules', POLICY_RULE, { repeated: true }) },
  ClusterRoleBinding: ROLE_BINDING,
  RoleBinding: ROLE_BINDING,
  Ingress: {
    1: f('metadata', OBJECT_META),
    2: f('spec', {
      1: f('defaultBackend', INGRESS_BACKEND),
      2: f('tls', { 1: f('hosts', 'string', { repeated: true }), 2: f('secretName', 'string') }, { repeated: true }),
      3: f('rules', INGRESS_RULE, { repeated: true }),
      4: f('ingressClassName', 'string', { pointer: true }),
    }),
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

function decodeMapEntry(buf: Buffer, valueType: MapValue): [string, string] {
  let key = '';
  let value = '';
  for (const fl of readAll(buf)) {
    if (fl.no === 1) key = fl.bytes!.toString('utf8');
    if (fl.no === 2) value = valueType === 'bytes' ? fl.bytes!.toString('base64') : valueType === 'quantity' ? decodeQuantity(fl.bytes!) : fl.bytes!.toString('utf8');
  }
  return [key, value];
}

/** resource.Quantity{string=1}, e.g. "500m". */
function decodeQuantity(buf: Buffer): string {
  return readAll(buf).find((fl) => fl.no === 1)?.bytes?.toString('utf8') ?? '';
}

/** intstr.IntOrString{type=1 (0 int, 1 string), intVal=2, strVal=3}: a number or a string. */
function decodeIntOrString(buf: Buffer): number | string {
  const fields = readAll(buf);
  const isString = fields.some((fl) => fl.no === 1 && fl.varint === 1n);
  if (isString) return fields.find((fl) => fl.no === 3)?.bytes?.toString('utf8') ?? '';
  return Number(fields.find((fl) => fl.no === 2)?.varint ?? 0n);
}

function decodeValue(fl: RawField, type: FieldType): unknown {
  if (type === 'string') return fl.bytes!.toString('utf8');
  if (type === 'bytes') return fl.bytes!.toString('base64');
  if (type === 'int') return Number(BigInt.asIntN(64, fl.varint ?? 0n));
  if (type === 'bool') return fl.varint !== 0n;
  if (type === 'time') return decodeTime(fl.bytes!);
  if (type === 'json') return JSON.parse(fl.bytes!.toString('utf8') || '{}');
  if (type === 'intOrString') return decodeIntOrString(fl.bytes!);
  return decodeMessage(fl.bytes!, type as Schema);
}

const isZero = (v: unknown): boolean => v === '' || v === 0 || v === false || v === undefined;

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fl of readAll(buf)) {
    const spec = schema[fl.no];
    if (!spec) continue; // fields the sim has no table for are dropped, like an older server would
    if (typeof spec.type === 'object' && 'map' in spec.type) {
      const [k, v] = decodeMapEntry(fl.bytes!, spec.type.map);
      out[spec.name] = { ...((out[spec.name] as object) ?? {}), [k]: v };
      continue;
    }
    const value = decodeValue(fl, spec.type);
    if (spec.inline) Object.assign(out, value);
    else if (spec.repeated) out[spec.name] = [...((out[spec.name] as unknown[]) ?? []), value];
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
