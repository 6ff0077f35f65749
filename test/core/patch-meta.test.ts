import { compareGoStrings, goFormatV, goMarshal } from '../../lib/core/go-json';
import { applyListKeys, clientSidePatchType, KUBERNETES_VERSION, patchSchemaFor } from '../../lib/core/patch-meta';

const field = (apiVersion: string, kind: string, ...path: string[]) => {
  let schema = patchSchemaFor(apiVersion, kind)!;
  let meta;
  for (const [i, key] of path.entries()) {
    const lookup = i < path.length - 1 && schema.lookupStruct(key).schema.shape.kind === 'slice' ? schema.lookupSlice(key) : schema.lookupStruct(key);
    schema = lookup.schema;
    meta = lookup.meta;
  }
  return meta!;
};

describe('patch metadata of the built-in kinds (generated from the Kubernetes OpenAPI)', () => {
  it('is the table of the Kubernetes version Helm 4.1.4 builds with', () => {
    expect(KUBERNETES_VERSION).toBe('v1.35.0');
  });

  it.each<[string, string, string, string[], string[], string]>([
    ['containers by name', 'apps/v1', 'Deployment', ['spec', 'template', 'spec', 'containers'], ['merge'], 'name'],
    ['env by name', 'apps/v1', 'Deployment', ['spec', 'template', 'spec', 'containers', 'env'], ['merge'], 'name'],
    ['container ports by containerPort', 'v1', 'Pod', ['spec', 'containers', 'ports'], ['merge'], 'containerPort'],
    ['Service ports by port', 'v1', 'Service', ['spec', 'ports'], ['merge'], 'port'],
    ['volumes by name, keeping only the given source', 'v1', 'Pod', ['spec', 'volumes'], ['merge', 'retainKeys'], 'name'],
    ['tolerations atomic', 'v1', 'Pod', ['spec', 'tolerations'], [], ''],
    ['args atomic', 'v1', 'Pod', ['spec', 'containers', 'args'], [], ''],
    ['Deployment strategy retainKeys', 'apps/v1', 'Deployment', ['spec', 'strategy'], ['retainKeys'], ''],
    ['finalizers a set', 'v1', 'ConfigMap', ['metadata', 'finalizers'], ['merge'], ''],
    ['ownerReferences by uid', 'batch/v1', 'Job', ['metadata', 'ownerReferences'], ['merge'], 'uid'],
  ])('%s', (_name, apiVersion, kind, path, strategies, mergeKey) => {
    const meta = field(apiVersion, kind, ...path);
    expect([meta.patchStrategies, meta.patchMergeKey]).toEqual([strategies, mergeKey]);
  });

  it('gives server-side apply its list keys: container ports by containerPort and protocol', () => {
    expect(applyListKeys(field('v1', 'Pod', 'spec', 'containers', 'ports'))).toEqual(['containerPort', 'protocol']);
    expect(applyListKeys(field('v1', 'Pod', 'spec', 'tolerations'))).toBeUndefined();
  });

  it.each([
    ['apps/v1', 'Deployment', 'strategic'],
    ['v1', 'ConfigMap', 'strategic'],
    // apiextensions v1 CRDs are typed in Helm's scheme: strategic merge patch, not JSON merge
    ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'strategic'],
    ['apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition', 'merge'],
    ['example.com/v1', 'Widget', 'merge'],
    ['apiregistration.k8s.io/v1', 'APIService', 'merge'],
  ])('%s %s is updated client-side with a %s patch', (apiVersion, kind, type) => {
    expect(clientSidePatchType(apiVersion, kind)).toBe(type);
  });

  it('fails lookups with apimachinery\'s messages', () => {
    const pod = patchSchemaFor('v1', 'Pod')!;
    expect(() => pod.lookupStruct('spec').schema.lookupStruct('nope')).toThrow('unable to find api field in struct PodSpec for the json field "nope"');
    expect(() => pod.lookupStruct('metadata').schema.lookupStruct('labels').schema.lookupStruct('x')).toThrow(
      'merging an object in json but data type is not struct, instead is: map',
    );
    expect(() => pod.lookupSlice('spec')).toThrow('expected slice or array type, but got: struct');
  });
});

describe('Go behaviours the patches depend on', () => {
  it('marshals like encoding/json: sorted keys, HTML-safe strings', () => {
    expect(goMarshal({ b: '<a&b>', a: [1, 1.5, null, true] })).toBe('{"a":[1,1.5,null,true],"b":"\\u003ca\\u0026b\\u003e"}');
  });

  it.each<[unknown, string]>([
    [80, '80'],
    [123456, '123456'],
    [1000000, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    ['s', 's'],
    [null, '<nil>'],
    [{ b: 1, a: 'x' }, 'map[a:x b:1]'],
  ])('formats %p with %%v as %p', (value, text) => {
    expect(goFormatV(value as never)).toBe(text);
  });

  it('orders strings by code point, as Go compares UTF-8 bytes', () => {
    expect(compareGoStrings('\u{1F600}', '\uFF01')).toBe(1);
    expect(compareGoStrings('a', 'b')).toBe(-1);
  });
});
