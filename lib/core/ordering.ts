/**
 * Helm 4's orders: kinds for applying and deleting (`pkg/release/v1/util/kind_sorter.go`) and
 * hooks within an event (`pkg/action/hooks.go` `hookByWeight`).
 */
import type { Hook, HookEvent } from './hooks';

/** `kind_sorter.go` `InstallOrder` (v4: the webhook configurations are known kinds since v4.0.0). */
export const INSTALL_ORDER: readonly string[] = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

/** `kind_sorter.go` `UninstallOrder`; used only to delete regular resources on uninstall. */
export const UNINSTALL_ORDER: readonly string[] = [
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'Ingress',
  'IngressClass',
  'Service',
  'CronJob',
  'Job',
  'StatefulSet',
  'HorizontalPodAutoscaler',
  'Deployment',
  'ReplicaSet',
  'ReplicationController',
  'Pod',
  'DaemonSet',
  'RoleBindingList',
  'RoleBinding',
  'RoleList',
  'Role',
  'ClusterRoleBindingList',
  'ClusterRoleBinding',
  'ClusterRoleList',
  'ClusterRole',
  'CustomResourceDefinition',
  'PersistentVolumeClaim',
  'PersistentVolume',
  'StorageClass',
  'ConfigMap',
  'SecretList',
  'Secret',
  'ServiceAccount',
  'PodDisruptionBudget',
  'PodSecurityPolicy',
  'LimitRange',
  'ResourceQuota',
  'NetworkPolicy',
  'Namespace',
  'PriorityClass',
];

/**
 * Go compares strings byte-wise; JavaScript compares UTF-16 units. They agree on everything but
 * astral characters, which Kubernetes names, kinds and chart paths do not contain.
 */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Index of `kind` in `order`; every unknown kind (custom resources included) gets `order.length`. */
export function kindRank(kind: string, order: readonly string[]): number {
  const rank = order.indexOf(kind);
  return rank < 0 ? order.length : rank;
}

/** `lessByKind`: known kinds by rank, unknown kinds after them, alphabetically. */
export function compareKinds(a: string, b: string, order: readonly string[]): number {
  const byRank = kindRank(a, order) - kindRank(b, order);
  if (byRank !== 0) return byRank;
  return kindRank(a, order) === order.length ? compareStrings(a, b) : 0;
}

/** Stable sort by kind (`sort.SliceStable` in `sortManifestsByKind` / `sortHooksByKind`). */
export function sortByKind<T>(items: readonly T[], order: readonly string[], kindOf: (item: T) => string): T[] {
  return [...items].sort((a, b) => compareKinds(kindOf(a), kindOf(b), order));
}

/**
 * The order hooks of one event run in. Helm stable-sorts the stored (kind-sorted, then path and
 * document order) list by weight, then name; spelled out as one key so any input order gives the
 * same result: weight, name (byte-wise), kind rank in InstallOrder, template path, document index.
 */
export function compareHooks(a: Hook, b: Hook): number {
  return (
    a.weight - b.weight ||
    compareStrings(a.name, b.name) ||
    compareKinds(a.kind, b.kind, INSTALL_ORDER) ||
    compareStrings(a.path, b.path) ||
    a.index - b.index
  );
}

/**
 * Hooks that run on `event`, in execution order. A hook that lists the event twice is returned
 * twice, as Helm appends it once per listing (`execHookWithDelayedShutdown`) and runs it twice.
 */
export function hooksForEvent(hooks: readonly Hook[], event: HookEvent): Hook[] {
  return hooks.flatMap((h) => h.events.filter((e) => e === event).map(() => h)).sort(compareHooks);
}

export const HOOK_MODES = ['weight-groups', 'sequential'] as const;
/**
 * `weight-groups`: hooks of equal weight run as one group (created in order, polled together).
 * `sequential`: one hook per group, Helm's exact behaviour.
 */
export type HookMode = (typeof HOOK_MODES)[number];

export interface HookGroup {
  weight: number;
  hooks: Hook[];
}

/** Cuts hooks already in execution order into the groups the workflow runs one after another. */
export function groupHooks(orderedHooks: readonly Hook[], mode: HookMode): HookGroup[] {
  const groups: HookGroup[] = [];
  for (const hook of orderedHooks) {
    const last = groups.at(-1);
    if (mode === 'weight-groups' && last?.weight === hook.weight) last.hooks.push(hook);
    else groups.push({ weight: hook.weight, hooks: [hook] });
  }
  return groups;
}
