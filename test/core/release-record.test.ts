import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import {
  decodeRelease,
  encodeRelease,
  HelmRelease,
  isPending,
  lastDeployed,
  latest,
  nextRevision,
  RELEASE_STATUSES,
  recordsToPrune,
  releaseFromSecret,
  releaseLabelSelector,
  releaseSecret,
  releaseSecretName,
  ReleaseStatus,
  releaseToJson,
} from '../../lib/core/release-record';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'helm4');
const readJson = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
const helmSecret = readJson('release-secret-r1-v1.json');
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** The JSON text Helm itself wrote into the fixture Secret. */
const helmJsonText = gunzipSync(Buffer.from(Buffer.from(helmSecret.data.release, 'base64').toString(), 'base64')).toString();

function minimalRelease(over: Partial<HelmRelease> = {}): HelmRelease {
  return {
    name: 'web',
    info: { status: 'deployed', description: 'Install complete' },
    chart: { metadata: { name: 'c', version: '1.0.0', apiVersion: 'v2' }, lock: null, templates: [], values: null, schema: null, schemamodtime: '0001-01-01T00:00:00Z', files: null },
    manifest: '',
    version: 3,
    namespace: 'prod',
    ...over,
  };
}

describe('the Helm 4 fixture Secret', () => {
  const rel = releaseFromSecret(helmSecret);

  it('decodes to exactly the decoded record', () => {
    expect(rel).toEqual(readJson('release-r1-v1.json'));
  });

  it('re-serialises to the identical JSON text Helm wrote', () => {
    expect(releaseToJson(rel)).toBe(helmJsonText);
  });

  it('survives our own Secret encoding unchanged', () => {
    const again = releaseSecret(rel, { modifiedAt: 1795470152 });
    expect(releaseFromSecret(again)).toEqual(rel);
    const { name, namespace, labels } = helmSecret.metadata;
    expect(again.metadata).toEqual({ name, namespace, labels });
    expect(again.type).toBe(helmSecret.type);
  });
});

it('release-rel-v1-decoded.json (never-run hooks, output log policies) round-trips', () => {
  const rel = readJson('release-rel-v1-decoded.json');
  const encoded = encodeRelease(rel);
  expect(encoded.startsWith('H4sI')).toBe(true); // base64 of the gzip magic, like Helm's
  expect(decodeRelease(encoded)).toEqual(rel);
  expect(releaseToJson(decodeRelease(encoded))).toBe(JSON.stringify(rel));
});

describe('Go-compatible JSON', () => {
  it('writes struct fields in Go declaration order, whatever the object key order', () => {
    const rel = minimalRelease();
    const shuffled = { namespace: rel.namespace, version: rel.version, manifest: 'm', chart: rel.chart, info: { status: 'deployed' as const, first_deployed: 't' }, name: rel.name };
    expect(Object.keys(JSON.parse(releaseToJson(shuffled)))).toEqual(['name', 'info', 'chart', 'manifest', 'version', 'namespace']);
    expect(Object.keys(JSON.parse(releaseToJson(shuffled)).info)).toEqual(['first_deployed', 'status']);
  });

  it('omits empty optional fields and zero times, and writes the fields Go always writes', () => {
    const rel = minimalRelease({
      config: {},
      hooks: [{ name: 'h', kind: 'Job', path: 'c/templates/h.yaml', manifest: 'x', events: ['pre-install'], last_run: { phase: '', started_at: '0001-01-01T00:00:00Z' }, weight: 0, delete_policies: [] }],
      info: { status: 'deployed', description: '', deleted: '' },
      chart: { metadata: { name: 'c', deprecated: false }, lock: null, templates: null, values: null, schema: null, files: null },
    });
    const json = JSON.parse(releaseToJson(rel));
    expect(json.config).toBeUndefined();
    expect(json.info).toEqual({ status: 'deployed' });
    expect(json.hooks[0]).toEqual({ name: 'h', kind: 'Job', path: 'c/templates/h.yaml', manifest: 'x', events: ['pre-install'], last_run: { phase: '' } });
    expect(json.chart).toEqual({ metadata: { name: 'c' }, lock: null, templates: null, values: null, schema: null, schemamodtime: '0001-01-01T00:00:00Z', files: null });
  });

  it('sorts map keys byte-wise (values, config, annotations) and escapes <, >, & like Go', () => {
    const rel = minimalRelease({ config: { b: { z: 1, a: 2 }, a: [{ y: 1, x: 2 }], '10': 1, '9': 2 }, manifest: 'a<b>&c' });
    const text = releaseToJson(rel);
    expect(text).toContain('"config":{"10":1,"9":2,"a":[{"x":2,"y":1}],"b":{"a":2,"z":1}}');
    expect(text).toContain('"manifest":"a\\u003cb\\u003e\\u0026c"');
    expect(JSON.parse(text).manifest).toBe('a<b>&c');
  });

  it('keeps fields it does not know (a newer Helm) after the known ones', () => {
    const rel = { ...minimalRelease(), future: { z: 1, a: 2 }, info: { status: 'deployed' as const, future_info: true } };
    const back = decodeRelease(encodeRelease(rel));
    expect(back).toEqual(rel);
    expect(releaseToJson(rel).endsWith('"namespace":"prod","future":{"z":1,"a":2}}')).toBe(true);
    expect(releaseToJson(rel)).toContain('"info":{"status":"deployed","future_info":true}');
  });
});

describe('decodeRelease', () => {
  it('accepts plain (not gzipped) JSON, as Helm does', () => {
    const rel = minimalRelease();
    expect(decodeRelease(b64(JSON.stringify(rel)))).toEqual(rel);
  });

  it.each([
    ['not base64', '%%%not base64%%%', /release data: not valid base64/],
    ['unpadded base64', 'abc', /not valid base64/],
    ['corrupt gzip', b64(Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5, 6, 7])), /gzip stream is corrupt/],
    ['not JSON', b64('hello'), /not a JSON release record/],
    ['a JSON array', b64('[1,2]'), /the JSON is not an object/],
    ['no name/version', b64('{"info":{"status":"deployed"}}'), /name must be a non-empty string; version must be a positive integer/],
    ['an unknown status', b64('{"name":"a","version":1,"info":{"status":"happy"}}'), /info\.status must be one of unknown, deployed/],
    ['hooks not a list', b64('{"name":"a","version":1,"info":{"status":"failed"},"hooks":{}}'), /hooks must be a list of objects/],
  ])('rejects %s with a clear error', (_what, input, message) => {
    expect(() => decodeRelease(input)).toThrow(message);
  });

  it('names the Secret when its data is missing or not base64', () => {
    expect(() => releaseFromSecret({ metadata: { name: 'x', namespace: 'n' }, data: {} })).toThrow('Secret n/x: data.release is missing');
    expect(() => releaseFromSecret({ metadata: { name: 'x', namespace: 'n' }, data: { release: '!!' } })).toThrow('Secret n/x: data.release: not valid base64');
  });
});

describe('releaseSecret', () => {
  it('builds the Secret Helm would write, with system labels after user labels', () => {
    const s = releaseSecret(minimalRelease(), { labels: { team: 'web' }, createdAt: 1700000000.9 });
    expect(s).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'helm.sh/release.v1',
      metadata: { name: 'sh.helm.release.v1.web.v3', namespace: 'prod', labels: { team: 'web', name: 'web', owner: 'helm', status: 'deployed', version: '3', createdAt: '1700000000' } },
    });
    expect(s.metadata.labels.modifiedAt).toBeUndefined();
    expect(Buffer.from(s.data.release, 'base64').toString().startsWith('H4sI')).toBe(true);
  });

  it('refuses user labels that Helm reserves', () => {
    expect(() => releaseSecret(minimalRelease(), { labels: { owner: 'me', status: 'x' } })).toThrow(
      'release labels: owner, status are reserved for Helm (name, owner, status, version, createdAt, modifiedAt)',
    );
  });

  it('names keys and selectors like Helm', () => {
    expect(releaseSecretName('my-site', 12)).toBe('sh.helm.release.v1.my-site.v12');
    expect(releaseLabelSelector('my-site')).toBe('name=my-site,owner=helm');
  });
});

describe('history', () => {
  const rec = (version: number, status: ReleaseStatus) => ({ version, info: { status } });

  it('isPending is true only for the three pending-* statuses', () => {
    expect(RELEASE_STATUSES.filter(isPending)).toEqual(['pending-install', 'pending-upgrade', 'pending-rollback']);
  });

  it('latest, lastDeployed and nextRevision follow Helm', () => {
    const h = [rec(2, 'deployed'), rec(4, 'failed'), rec(1, 'superseded'), rec(3, 'deployed')];
    expect(latest(h)?.version).toBe(4);
    expect(lastDeployed(h)?.version).toBe(3);
    expect(nextRevision(h)).toBe(5);
    expect(latest([])).toBeUndefined();
    expect(lastDeployed([rec(1, 'failed')])).toBeUndefined();
    expect(nextRevision([])).toBe(1);
  });

  const five = [rec(5, 'failed'), rec(1, 'superseded'), rec(3, 'deployed'), rec(2, 'superseded'), rec(4, 'superseded')];
  it.each([
    [0, five, []],
    [10, five, []],
    [6, five, []],
    [5, five, [1]],
    [3, five, [1, 2, 4]],
    [1, five, [1, 2, 4, 5]],
    [2, [rec(1, 'failed'), rec(2, 'failed'), rec(3, 'failed')], [1, 2]],
  ])('historyMax %i prunes oldest first, never the deployed one', (max, records, expected) => {
    expect(recordsToPrune(records, max).map((r) => r.version)).toEqual(expected);
  });
});

describe('a corrupt record', () => {
  it('is ReleaseCorrupt naming the Secret, and never quotes its data', () => {
    const secret = (text: string) => ({ metadata: { name: 'sh.helm.release.v1.db.v3', namespace: 'prod' }, data: { release: b64(b64(text)) } });
    let thrown: unknown;
    try {
      releaseFromSecret(secret('{"name":"db","password":"hunter2"'));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ name: 'ReleaseCorrupt', message: 'Secret prod/sh.helm.release.v1.db.v3: release data: not a JSON release record after base64 decoding' });
    const chain = [thrown, (thrown as Error).cause, ((thrown as Error).cause as Error | undefined)?.cause];
    expect(chain.map((e) => String((e as Error | undefined)?.message))).not.toContainEqual(expect.stringContaining('hunter2'));
    expect(() => releaseFromSecret(secret('[1]'))).toThrow(expect.objectContaining({ name: 'ReleaseCorrupt', cause: expect.objectContaining({ name: 'ReleaseCorrupt' }) }));
  });
});
