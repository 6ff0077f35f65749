import { decodeProtobuf, PROTOBUF_MAGIC } from '../../lib/sim/protobuf';

/** A minimal protobuf writer, enough to build what Go's typed clients send. */
const varint = (n: number): Buffer => {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
};
const field = (no: number, value: Buffer | string | number | boolean): Buffer => {
  if (typeof value === 'number' || typeof value === 'boolean') return Buffer.concat([varint((no << 3) | 0), varint(Number(value))]);
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((no << 3) | 2), varint(bytes.length), bytes]);
};
const msg = (...fields: Buffer[]): Buffer => Buffer.concat(fields);
const entry = (k: string, v: string | Buffer) => msg(field(1, k), field(2, v));
const wrap = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([PROTOBUF_MAGIC, msg(field(1, msg(field(1, apiVersion), field(2, kind))), field(2, raw), field(3, ''), field(4, ''))]);

describe('protobuf request bodies', () => {
  it('decodes a Helm release Secret, dropping Go zero values', () => {
    const meta = msg(
      field(1, 'sh.helm.release.v1.r1.v1'),
      field(2, ''),
      field(3, ''),
      field(7, 0),
      field(8, msg(field(1, 0), field(2, 0))),
      field(11, entry('owner', 'helm')),
      field(11, entry('name', 'r1')),
    );
    const secret = msg(field(1, meta), field(2, entry('release', Buffer.from('H4sI-not-really'))), field(3, 'helm.sh/release.v1'));
    expect(decodeProtobuf(wrap('v1', 'Secret', secret))).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sh.helm.release.v1.r1.v1', labels: { owner: 'helm', name: 'r1' } },
      data: { release: Buffer.from('H4sI-not-really').toString('base64') },
      type: 'helm.sh/release.v1',
    });
  });

  it('decodes DeleteOptions, keeping pointer fields set to zero values', () => {
    const opts = msg(field(1, 0), field(4, 'Background'), field(2, msg(field(1, 'uid-1'))));
    expect(decodeProtobuf(wrap('v1', 'DeleteOptions', opts))).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Background',
      preconditions: { uid: 'uid-1' },
    });
  });

  it('decodes a Namespace with timestamps and owner references', () => {
    const owner = msg(field(1, 'Job'), field(3, 'j'), field(4, 'u'), field(5, 'batch/v1'), field(6, true));
    const meta = msg(field(1, 'team-a'), field(8, msg(field(1, 1700000000))), field(13, owner), field(14, 'kubernetes'));
    expect(decodeProtobuf(wrap('v1', 'Namespace', msg(field(1, meta), field(2, msg(field(1, 'kubernetes'))))))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'team-a',
        creationTimestamp: '2023-11-14T22:13:20Z',
        ownerReferences: [{ kind: 'Job', name: 'j', uid: 'u', apiVersion: 'batch/v1', controller: true }],
        finalizers: ['kubernetes'],
      },
      spec: { finalizers: ['kubernetes'] },
    });
  });

  it('answers 415 for kinds it has no table for', () => {
    expect(() => decodeProtobuf(wrap('apps/v1', 'StatefulSet', Buffer.alloc(0)))).toThrow(/unknown format.*got StatefulSet/);
  });

  it('rejects a body without the k8s prefix and truncated messages', () => {
    expect(() => decodeProtobuf(Buffer.from('{}'))).toThrow(/missing "k8s\\0" prefix/);
    expect(() => decodeProtobuf(Buffer.concat([PROTOBUF_MAGIC, Buffer.from([0x12, 0x05, 0x01])]))).toThrow(/truncated/);
  });
});
