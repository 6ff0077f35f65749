import type { Hook } from '../../lib/core/hooks';
import { compareHooks, compareKinds, groupHooks, hooksForEvent, INSTALL_ORDER, kindRank, sortByKind, UNINSTALL_ORDER } from '../../lib/core/ordering';
import { hook } from './builders';

describe('Helm 4 kind orders (pkg/release/v1/util/kind_sorter.go)', () => {
  it.each([
    [
      'InstallOrder',
      INSTALL_ORDER,
      'PriorityClass, Namespace, NetworkPolicy, ResourceQuota, LimitRange, PodSecurityPolicy, PodDisruptionBudget, ServiceAccount, Secret, SecretList, ConfigMap, StorageClass, PersistentVolume, PersistentVolumeClaim, CustomResourceDefinition, ClusterRole, ClusterRoleList, ClusterRoleBinding, ClusterRoleBindingList, Role, RoleList, RoleBinding, RoleBindingList, Service, DaemonSet, Pod, ReplicationController, ReplicaSet, Deployment, HorizontalPodAutoscaler, StatefulSet, Job, CronJob, IngressClass, Ingress, APIService, MutatingWebhookConfiguration, ValidatingWebhookConfiguration',
    ],
    [
      'UninstallOrder',
      UNINSTALL_ORDER,
      'ValidatingWebhookConfiguration, MutatingWebhookConfiguration, APIService, Ingress, IngressClass, Service, CronJob, Job, StatefulSet, HorizontalPodAutoscaler, Deployment, ReplicaSet, ReplicationController, Pod, DaemonSet, RoleBindingList, RoleBinding, RoleList, Role, ClusterRoleBindingList, ClusterRoleBinding, ClusterRoleList, ClusterRole, CustomResourceDefinition, PersistentVolumeClaim, PersistentVolume, StorageClass, ConfigMap, SecretList, Secret, ServiceAccount, PodDisruptionBudget, PodSecurityPolicy, LimitRange, ResourceQuota, NetworkPolicy, Namespace, PriorityClass',
    ],
  ])('%s is exact', (_, order, text) => expect(order.join(', ')).toBe(text));

  it('both hold the same kinds', () => expect([...UNINSTALL_ORDER].sort()).toEqual([...INSTALL_ORDER].sort()));
});

describe('kind ranking (lessByKind)', () => {
  it.each([
    ['PriorityClass', 0],
    ['Job', INSTALL_ORDER.indexOf('Job')],
    ['Widget', INSTALL_ORDER.length],
    ['job', INSTALL_ORDER.length],
  ])('kindRank(%s) = %d', (kind, rank) => expect(kindRank(kind, INSTALL_ORDER)).toBe(rank));

  it.each([
    ['Namespace', 'Deployment', -1],
    ['Deployment', 'Gadget', -1],
    ['Gadget', 'Widget', -1],
    ['Widget', 'Gadget', 1],
    ['Widget', 'Widget', 0],
    ['Job', 'Job', 0],
    ['ValidatingWebhookConfiguration', 'Gadget', -1],
  ])('compareKinds(%s, %s) has sign %d in InstallOrder', (a, b, sign) => expect(Math.sign(compareKinds(a, b, INSTALL_ORDER))).toBe(sign));

  it('sorts stably: equal kinds keep their input order; unknown kinds last, alphabetically', () => {
    const items = ['Widget:1', 'Deployment:1', 'Gadget:1', 'ConfigMap:1', 'Widget:2', 'Namespace:1', 'ConfigMap:2', 'Deployment:2'];
    expect(sortByKind(items, INSTALL_ORDER, (i) => i.split(':')[0])).toEqual([
      'Namespace:1', 'ConfigMap:1', 'ConfigMap:2', 'Deployment:1', 'Deployment:2', 'Gadget:1', 'Widget:1', 'Widget:2',
    ]);
    expect(sortByKind(items, UNINSTALL_ORDER, (i) => i.split(':')[0])).toEqual([
      'Deployment:1', 'Deployment:2', 'ConfigMap:1', 'ConfigMap:2', 'Namespace:1', 'Gadget:1', 'Widget:1', 'Widget:2',
    ]);
  });
});

describe('hook order within an event: weight, name, kind rank, path, index', () => {
  it.each<[string, Partial<Hook> & { name: string }, Partial<Hook> & { name: string }]>([
    ['lower weight first', { name: 'z', weight: -1 }, { name: 'a', weight: 0 }],
    ['then name, byte-wise', { name: 'h-b-w0' }, { name: 'h-badweight' }],
    ['upper case sorts before lower case', { name: 'Z' }, { name: 'a' }],
    ['same weight and name: ServiceAccount before Job', { name: 'x', kind: 'ServiceAccount', apiVersion: 'v1' }, { name: 'x', kind: 'Job' }],
    ['same weight and name: known kinds before custom ones', { name: 'x', kind: 'Job' }, { name: 'x', kind: 'Widget' }],
    ['same weight and name: custom kinds alphabetically', { name: 'x', kind: 'Gadget' }, { name: 'x', kind: 'Widget' }],
    ['then template path', { name: 'x', path: 'c/charts/sub/templates/a.yaml' }, { name: 'x', path: 'c/templates/a.yaml' }],
    ['then document index', { name: 'x', index: 1 }, { name: 'x', index: 2 }],
  ])('%s', (_, first, second) => {
    expect(compareHooks(hook(first), hook(second))).toBeLessThan(0);
    expect(compareHooks(hook(second), hook(first))).toBeGreaterThan(0);
  });

  const hooks = [
    hook({ name: 'zz-cm', kind: 'ConfigMap', apiVersion: 'v1', index: 0 }),
    hook({ name: 'aa-job', kind: 'Job', index: 1 }),
    hook({ name: 'pod-w-1', kind: 'Pod', apiVersion: 'v1', weight: -1, index: 2 }),
    hook({ name: 'aa-job', kind: 'ServiceAccount', apiVersion: 'v1', index: 3 }),
    hook({ name: 'job-w5', kind: 'Job', weight: 5, index: 4 }),
    hook({ name: 'post-job', kind: 'Job', events: ['post-install'], index: 5 }),
    hook({ name: 'both', kind: 'ConfigMap', apiVersion: 'v1', events: ['pre-install', 'post-install'], weight: 9, index: 6 }),
  ];
  const names = (hs: Hook[]) => hs.map((h) => `${h.kind}/${h.name}`);

  it('selects the event\'s hooks in Helm\'s order, whatever the input order', () => {
    const expected = ['Pod/pod-w-1', 'ServiceAccount/aa-job', 'Job/aa-job', 'ConfigMap/zz-cm', 'Job/job-w5', 'ConfigMap/both'];
    expect(names(hooksForEvent(hooks, 'pre-install'))).toEqual(expected);
    expect(names(hooksForEvent([...hooks].reverse(), 'pre-install'))).toEqual(expected);
    expect(names(hooksForEvent(hooks, 'post-install'))).toEqual(['Job/post-job', 'ConfigMap/both']);
    expect(hooksForEvent(hooks, 'test')).toEqual([]);
  });

  it('returns a hook listing the event twice twice, as Helm runs it twice', () => {
    const twice = hook({ name: 'twice', events: ['pre-upgrade', 'pre-upgrade'] });
    expect(hooksForEvent([twice], 'pre-upgrade')).toEqual([twice, twice]);
  });

  it.each([
    ['weight-groups', [[-1, ['Pod/pod-w-1']], [0, ['ServiceAccount/aa-job', 'Job/aa-job', 'ConfigMap/zz-cm']], [5, ['Job/job-w5']], [9, ['ConfigMap/both']]]],
    ['sequential', [[-1, ['Pod/pod-w-1']], [0, ['ServiceAccount/aa-job']], [0, ['Job/aa-job']], [0, ['ConfigMap/zz-cm']], [5, ['Job/job-w5']], [9, ['ConfigMap/both']]]],
  ] as const)('groupHooks in %s mode', (mode, expected) => {
    const groups = groupHooks(hooksForEvent(hooks, 'pre-install'), mode);
    expect(groups.map((g) => [g.weight, names(g.hooks)])).toEqual(expected);
  });

  it('groupHooks of nothing is nothing', () => expect(groupHooks([], 'weight-groups')).toEqual([]));
});
