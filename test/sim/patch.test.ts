import { patchSchemaFor } from '../../lib/core/patch-meta';
import { jsonPatch, mergePatch, strategicMerge } from '../../lib/sim/patch';

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes on null and replaces lists', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3] })).toEqual({ a: 1, b: { d: 3, e: 4 }, l: [3] });
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, replace, remove, move, copy and test in order', () => {
    const doc = { spec: { replicas: 1, list: ['a'] }, metadata: { labels: { 'a/b': 'x' } } };
    const out = jsonPatch(doc, [
      { op: 'test', path: '/spec/replicas', value: 1 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/spec/list/-', value: 'b' },
      { op: 'add', path: '/spec/list/0', value: 'first' },
      { op: 'copy', from: '/spec/replicas', path: '/spec/copy' },
      { op: 'move', from: '/metadata/labels/a~1b', path: '/metadata/labels/c' },
      { op: 'remove', path: '/spec/copy' },
    ]);
    expect(out).toEqual({ spec: { replicas: 3, list: ['first', 'a', 'b'] }, metadata: { labels: { c: 'x' } } });
  });

  it('fails a test operation that does not hold, naming the path', () => {
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow('test operation for path /a failed');
  });

  it('fails to replace a missing key', () => {
    expect(() => jsonPatch({}, [{ op: 'replace', path: '/a', value: 2 }])).toThrow(/missing key "a"/);
  });
});

describe('strategic merge patch', () => {
  const podSchema = patchSchemaFor('v1', 'Pod')!;
  const pod = { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }], tolerations: [{ key: 't' }] } };

  it('merges containers by name and replaces lists without a merge key', () => {
    expect(strategicMerge(pod, { spec: { containers: [{ name: 'b', image: 'z' }], tolerations: [{ key: 'u' }] } }, podSchema)).toEqual({
      spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'z' }], tolerations: [{ key: 'u' }] },
    });
  });

  it('honours $patch: delete on list items and the $setElementOrder directive', () => {
    const patch = { spec: { containers: [{ name: 'a', $patch: 'delete' }], '$setElementOrder/containers': [{ name: 'b' }] } };
    expect(strategicMerge(pod, patch, podSchema)).toEqual({
      spec: { containers: [{ name: 'b', image: 'y' }], tolerations: [{ key: 't' }] },
    });
  });

  it('replaces a map marked $patch: replace', () => {
    expect(strategicMerge({ data: { a: '1', b: '2' } }, { data: { $patch: 'replace', c: '3' } }, patchSchemaFor('v1', 'ConfigMap')!)).toEqual({ data: { c: '3' } });
  });

  it('keeps only $retainKeys, deletes from primitive lists and merges finalizers as a set', () => {
    const target = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } }, metadata: { finalizers: ['a', 'b', 'x'] } };
    const patch = {
      spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } },
      metadata: { finalizers: ['b', 'c'], '$deleteFromPrimitiveList/finalizers': ['x'] },
    };
    expect(strategicMerge(target, patch, patchSchemaFor('apps/v1', 'Deployment')!)).toEqual({
      spec: { strategy: { type: 'Recreate' } },
      metadata: { finalizers: ['a', 'b', 'c'] },
    });
  });

  it('merges Service ports by port, keeping what the server defaulted', () => {
    const svc = { spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] } };
    expect(strategicMerge(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } }, patchSchemaFor('v1', 'Service')!)).toEqual({
      spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 9090 }, { port: 443 }] },
    });
  });

  it('answers a malformed patch with 400 and apimachinery\'s message', () => {
    expect(() => strategicMerge(pod, { spec: { containers: [{ image: 'no-name' }] } }, podSchema)).toThrow(/does not contain declared merge key: name/);
  });
});
