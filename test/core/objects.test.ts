import { annotationOf, describeRef, groupOf, isClusterScoped, refKey, refOf, type KubeObject } from '../../lib/core/objects';

const obj = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
});

describe('groupOf', () => {
  it.each([
    ['v1', ''],
    ['apps/v1', 'apps'],
    ['apiextensions.k8s.io/v1beta1', 'apiextensions.k8s.io'],
  ])('%s → "%s"', (apiVersion, group) => expect(groupOf(apiVersion)).toBe(group));
});

describe('refOf', () => {
  it.each([
    ['a namespaced object without namespace gets the default', obj('v1', 'ConfigMap', 'c'), 'ns1', 'ns1'],
    ['an explicit namespace wins', obj('v1', 'ConfigMap', 'c', 'other'), 'ns1', 'other'],
    ['an empty namespace is no namespace', obj('v1', 'ConfigMap', 'c', ''), 'ns1', 'ns1'],
    ['a Namespace has none', obj('v1', 'Namespace', 'n'), 'ns1', undefined],
    ['a ClusterRole has none, even if written', obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r', 'ns9'), 'ns1', undefined],
    ['a CRD has none', obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'w.example.com'), 'ns1', undefined],
    ['a custom kind named like a built-in is namespaced', obj('example.com/v1', 'Namespace', 'x'), 'ns1', 'ns1'],
    ['a custom resource is namespaced', obj('example.com/v1', 'Widget', 'w'), 'ns1', 'ns1'],
    ['no default, no namespace', obj('v1', 'ConfigMap', 'c'), undefined, undefined],
  ])('%s', (_, o, defaultNamespace, namespace) => {
    expect(refOf(o, defaultNamespace).namespace).toBe(namespace);
  });

  it.each([
    ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration'],
    ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration'],
    ['scheduling.k8s.io/v1', 'PriorityClass'],
    ['storage.k8s.io/v1', 'StorageClass'],
    ['v1', 'PersistentVolume'],
    ['networking.k8s.io/v1', 'IngressClass'],
    ['apiregistration.k8s.io/v1', 'APIService'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ])('%s %s is cluster-scoped', (apiVersion, kind) => expect(isClusterScoped(apiVersion, kind)).toBe(true));
});

describe('refKey: Helm\'s "same object" (group, kind, namespace, name; version ignored)', () => {
  const key = (o: KubeObject) => refKey(refOf(o, 'ns1'));
  it.each([
    ['another version of the group', obj('apps/v1', 'Deployment', 'd'), obj('apps/v1beta2', 'Deployment', 'd'), true],
    ['the defaulted namespace', obj('v1', 'ConfigMap', 'c'), obj('v1', 'ConfigMap', 'c', 'ns1'), true],
    ['another group', obj('apps/v1', 'Deployment', 'd'), obj('extensions/v1beta1', 'Deployment', 'd'), false],
    ['another kind', obj('v1', 'ConfigMap', 'x'), obj('v1', 'Secret', 'x'), false],
    ['another namespace', obj('v1', 'ConfigMap', 'c', 'a'), obj('v1', 'ConfigMap', 'c', 'b'), false],
    ['another name', obj('v1', 'ConfigMap', 'a'), obj('v1', 'ConfigMap', 'b'), false],
  ])('%s → same: %s', (_, a, b, same) => expect(key(a) === key(b)).toBe(same));
});

test('describeRef names objects with and without namespace', () => {
  expect(describeRef({ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', namespace: 'ns1' })).toBe('ConfigMap/ns1/c');
  expect(describeRef({ apiVersion: 'v1', kind: 'Namespace', name: 'n' })).toBe('Namespace/n');
});

test('annotationOf tells absent from empty', () => {
  const o: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { a: '' } } };
  expect(annotationOf(o, 'a')).toBe('');
  expect(annotationOf(o, 'b')).toBeUndefined();
  expect(annotationOf(obj('v1', 'ConfigMap', 'c'), 'a')).toBeUndefined();
});
