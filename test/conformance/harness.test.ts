/**
 * The conformance harness itself: its differences are exact (diff utilities, normalization), and
 * two runs of the real helm on fresh clusters compare equal at every step, so every difference
 * conformance.test.ts reports comes from helm-sfn, not from the harness or the sim's timing.
 */
import { CORPUS } from './corpus';
import { diffJson, diffManifests, diffText } from './diff';
import { layoutOf, normalizeObject } from './lifecycle';
import { describeStep, runCorpus } from './run';

describe('diffJson', () => {
  it('names each differing leaf by path, absent on one side as undefined', () => {
    expect(diffJson({ a: 1, b: { c: [1, 2] }, d: 'x', 'x-k': true }, { a: 1, b: { c: [1, 3, 4] }, 'x-k': false })).toEqual([
      { at: '.b.c[1]', helm: '2', sfn: '3' },
      { at: '.b.c[2]', helm: undefined, sfn: '4' },
      { at: '.d', helm: '"x"', sfn: undefined },
      { at: '["x-k"]', helm: 'true', sfn: 'false' },
    ]);
  });

  it('diffs multi-line strings by lines', () => {
    expect(diffJson({ m: 'a\nb\nc' }, { m: 'a\nB\nc' })).toEqual([{ at: '.m @@ helm line 2, helm-sfn line 2', helm: '  a\n- b', sfn: '  a\n+ B' }]);
  });
});

describe('diffText', () => {
  it('is empty for equal texts and gives hunks with one line of context otherwise', () => {
    expect(diffText('x\ny', 'x\ny')).toEqual([]);
    expect(diffText('a\nb\nc\nd\ne\nf\ng\nh', 'a\nb\nc\nd\ne\nf\ng\nh\ni')).toEqual([{ at: 'text @@ helm line 9, helm-sfn line 9', helm: undefined, sfn: '  h\n+ i' }]);
  });
});

describe('diffManifests', () => {
  const doc = (source: string, body: string) => `---\n# Source: ${source}\n${body}\n`;
  const cm = (name: string, v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: ${v}`;

  it('reports a comment-only document one side dropped, and changed fields by document', () => {
    const helm = doc('c/templates/a.yaml', cm('a', 'v')) + doc('c/templates/pdb.yaml', '# not for DaemonSets');
    const sfn = doc('c/templates/a.yaml', cm('a', 'w'));
    expect(diffManifests(helm, sfn)).toEqual([
      { at: 'document c/templates/pdb.yaml (comments only)', helm: 'present (2 lines)' },
      { at: 'document c/templates/a.yaml ConfigMap/a .data.k', helm: '"v"', sfn: '"w"' },
    ]);
  });

  it('reports the order when only the order differs', () => {
    const a = doc('c/templates/a.yaml', cm('a', 'v'));
    const b = doc('c/templates/b.yaml', cm('b', 'v'));
    expect(diffManifests(a + b, b + a)[0].at).toMatch(/^document order/);
  });
});

describe('normalizeObject', () => {
  it('drops what the server assigns, including copies of the uid, and keeps managedFields but their times', () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'j',
        uid: 'u-1',
        resourceVersion: '7',
        generation: 1,
        creationTimestamp: 't',
        labels: { 'controller-uid': 'u-1' },
        ownerReferences: [{ kind: 'X', name: 'x', uid: 'u-0' }],
        managedFields: [{ manager: 'helm', operation: 'Apply', time: 't', fieldsV1: {} }],
      },
      spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } } },
      status: { succeeded: 1 },
    };
    expect(normalizeObject(job)).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'j',
        labels: { 'controller-uid': '<own uid>' },
        ownerReferences: [{ kind: 'X', name: 'x', uid: '<owner uid>' }],
        managedFields: [{ manager: 'helm', operation: 'Apply', fieldsV1: {} }],
      },
      spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': '<own uid>' } } },
    });
  });

  it("replaces a Service's allocated addresses, not a headless Service's None", () => {
    const svc = (clusterIP: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP, clusterIPs: [clusterIP], ports: [{ port: 80, nodePort: 30001 }] } });
    expect(normalizeObject(svc('10.96.0.11'))).toMatchObject({ spec: { clusterIP: '<allocated>', clusterIPs: ['<allocated>'], ports: [{ port: 80, nodePort: '<allocated>' }] } });
    expect(normalizeObject(svc('None'))).toMatchObject({ spec: { clusterIP: 'None', clusterIPs: ['None'] } });
  });
});

it('layoutOf keeps a time layout, not its value nor its precision', () => {
  expect(layoutOf('2026-11-27T07:37:00.123456789Z')).toBe('D-D-DTD:D:DZ');
  expect(layoutOf('2026-11-27T07:37:00Z')).toBe('D-D-DTD:D:DZ');
  expect(layoutOf('2026-11-27T07:37:00.5+01:00')).toBe('D-D-DTD:D:D+D:D');
  expect(layoutOf('1764228420')).toBe('D');
});

describe('helm against helm', () => {
  // hooks in six events (weights, pre-delete, post-rollback), CRDs in crds/, a Deployment
  const velero = CORPUS.find((c) => c.name === 'velero')!;

  it('two runs of the real helm leave the same thing after every step', async () => {
    const [result] = await runCorpus([velero], { tools: ['helm', 'helm'] });
    expect(result.error).toBeUndefined();
    expect(result.steps.map((s) => `${s.step}: ${describeStep(s) || 'equal'}`)).toEqual(['install', 'upgrade', 'test', 'rollback', 'uninstall'].map((s) => `${s}: equal`));
  }, 300_000);
});
