import { goMarshal, type JsonObject } from '../../lib/core/go-json';
import { applyJsonMergePatch, createMergePatch, createThreeWayJsonMergePatch } from '../../lib/core/json-merge-patch';

const widget = (spec: object, meta: object = {}): JsonObject => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', ...meta }, spec }) as JsonObject;

describe('two-way JSON merge patch (evanphx/json-patch CreateMergePatch, Helm\'s default for custom resources)', () => {
  it.each<[string, JsonObject, JsonObject, string]>([
    ['a changed value, a removed key and a replaced list', widget({ size: 1, color: 'red', tags: ['a', 'b'] }), widget({ size: 2, tags: ['b'] }), '{"spec":{"color":null,"size":2,"tags":["b"]}}'],
    ['nested maps diff key by key', widget({ a: { b: 1, c: 2 } }), widget({ a: { b: 1, c: 3, d: 4 } }), '{"spec":{"a":{"c":3,"d":4}}}'],
    ['a type change replaces', widget({ a: { b: 1 } }), widget({ a: 'flat' }), '{"spec":{"a":"flat"}}'],
    ['no change', widget({ a: [1, { b: 2 }] }), widget({ a: [1, { b: 2 }] }), '{}'],
    ['labels Helm adds to the new manifest', widget({}), widget({}, { labels: { 'app.kubernetes.io/managed-by': 'Helm' } }), '{"metadata":{"labels":{"app.kubernetes.io/managed-by":"Helm"}}}'],
  ])('%s', (_name, original, modified, expected) => {
    expect(goMarshal(createMergePatch(original, modified))).toBe(expected);
  });

  it('ignores the live object: what others changed in the cluster is neither kept nor reverted', () => {
    // (no current argument at all: a field an editor changed stays changed when the chart did not change it)
    expect(createMergePatch(widget({ size: 1 }), widget({ size: 1 }))).toEqual({});
  });
});

describe('three-way JSON merge patch (apimachinery CreateThreeWayJSONMergePatch, Helm 4 --take-ownership)', () => {
  it('takes additions and changes from live → new manifest and deletions from previous → new manifest', () => {
    const original = widget({ size: 1, color: 'red' });
    const modified = widget({ size: 2 });
    const current = widget({ size: 1, color: 'red', owner: 'ops' });
    expect(goMarshal(createThreeWayJsonMergePatch(original, modified, current))).toBe('{"spec":{"color":null,"size":2}}');
  });

  it('reverts a live change of a field the manifest sets and keeps fields only the cluster has', () => {
    const manifest = widget({ size: 3 });
    expect(goMarshal(createThreeWayJsonMergePatch(manifest, manifest, widget({ size: 1, extra: 'x' })))).toBe('{"spec":{"size":3}}');
  });

  it('keeps an explicitly empty map as a value', () => {
    expect(goMarshal(createThreeWayJsonMergePatch(widget({}), widget({ opts: {} }), widget({})))).toBe('{"spec":{"opts":{}}}');
  });

  it('fails when apiVersion, kind or name would change (kubectl\'s preconditions)', () => {
    expect(() => createThreeWayJsonMergePatch(widget({}), { ...widget({}), kind: 'Gadget' }, widget({}))).toThrow(/^precondition failed for: map\[kind:Gadget\]/);
    expect(() => createThreeWayJsonMergePatch(widget({}), widget({}, { name: 'other' }), widget({}))).toThrow(/precondition failed/);
  });
});

describe('applying a JSON merge patch (RFC 7386, the API server\'s side)', () => {
  it.each<[string, object, object, object]>([
    ['merges objects, deletes on null, replaces lists', { a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3] }, { a: 1, b: { d: 3, e: 4 }, l: [3] }],
    ['prunes nulls inside a value it sets', { a: 1 }, { n: { x: null, y: 1 } }, { a: 1, n: { y: 1 } }],
    ['a non-object patch replaces the document', { a: 1 }, [1, 2], [1, 2]],
  ])('%s', (_name, target, patch, expected) => {
    expect(applyJsonMergePatch(target as JsonObject, patch as JsonObject)).toEqual(expected);
  });

  it('does not change its inputs', () => {
    const target = { a: { b: 1 } };
    applyJsonMergePatch(target, { a: { b: null } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});
