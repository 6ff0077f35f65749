/**
 * From a rendered chart (or a stored release) to the ordered plan of one action: hook groups per
 * event, objects to apply, objects to delete — Helm 4's rules, without touching a cluster.
 */
import { ErrorName, HelmSfnError } from './errors';
import { classifyManifest, effectiveDeletePolicies, hookRef, type Hook, type HookEvent } from './hooks';
import { joinManifest, splitManifest, type ManifestDocument, type SplitOptions } from './manifest';
import { annotationOf, describeRef, refKey, refOf, type ObjectRef } from './objects';
import { groupHooks, hooksForEvent, sortByKind, UNINSTALL_ORDER, type HookGroup, type HookMode } from './ordering';

export const RELEASE_ACTIONS = ['install', 'upgrade', 'rollback', 'uninstall', 'test'] as const;
export type ReleaseAction = (typeof RELEASE_ACTIONS)[number];

/** The hook events each action runs, in execution order (`pkg/action/<action>.go`). */
export const EVENTS_BY_ACTION: Readonly<Record<ReleaseAction, readonly HookEvent[]>> = {
  install: ['pre-install', 'post-install'],
  upgrade: ['pre-upgrade', 'post-upgrade'],
  rollback: ['pre-rollback', 'post-rollback'],
  uninstall: ['pre-delete', 'post-delete'],
  test: ['test'],
};

export const RESOURCE_POLICY_ANNOTATION = 'helm.sh/resource-policy';
const KEEP = 'keep';

export interface PlanInput {
  action: ReleaseAction;
  release: string;
  namespace: string;
  /**
   * install/upgrade: `helm template` output (hooks included). rollback: the target revision's
   * stored `release.manifest`; uninstall/test: the last revision's. Stored manifests hold no
   * hooks: pass the record's hooks in `hooks`.
   */
  manifest: string;
  /** The stored release's hooks (see `restoreHook`); when given, `manifest` must hold no hook. */
  hooks?: readonly Hook[];
  /** upgrade and rollback: the manifest of the release's last revision (what may be deleted). */
  previousManifest?: string;
  /** @default 'weight-groups' */
  hookMode?: HookMode;
  /** Skip every hook event of the action (Helm's `--no-hooks`). */
  noHooks?: boolean;
  limits?: SplitOptions;
}

export interface ReleasePlan {
  action: ReleaseAction;
  release: string;
  namespace: string;
  hookMode: HookMode;
  /** The action's events in execution order; empty when `noHooks`. */
  hooks: Partial<Record<HookEvent, HookGroup[]>>;
  /** install only: CRDs from the chart's `crds/` directories, applied before any hook. */
  crds: ObjectRef[];
  /** Objects to apply, in InstallOrder. */
  resources: ObjectRef[];
  /** Objects to delete, in order: upgrade/rollback what left the chart, uninstall everything. */
  deletions: ObjectRef[];
  /** Objects not deleted because of `helm.sh/resource-policy`. */
  kept: ObjectRef[];
  warnings: string[];
  /** The regular resources in Helm's `release.manifest` format: what the new record stores. */
  releaseManifest: string;
  /** Every hook of the release in Helm's stored order: what the new record stores. */
  releaseHooks: Hook[];
}

/**
 * Plans one action.
 * @throws HelmSfnError ChartRenderFailed for an invalid manifest; InvalidInput when upgrade or
 *   rollback lack `previousManifest`
 */
export function planRelease(input: PlanInput): ReleasePlan {
  const { action, namespace } = input;
  const hookMode = input.hookMode ?? 'weight-groups';
  const classified = classifyManifest(splitManifest(input.manifest, input.limits));
  if (input.hooks && classified.hooks.length > 0) {
    throw new HelmSfnError(ErrorName.ChartRenderFailed, 'manifest: holds hook documents while hooks were given separately (a stored release manifest holds regular resources only)');
  }
  const releaseHooks = input.hooks ? [...input.hooks] : classified.hooks;
  const warnings = [...classified.warnings];
  const refsOf = (docs: readonly ManifestDocument[]) => docs.map((d) => refOf(d.object, namespace));

  const applies = action === 'install' || action === 'upgrade' || action === 'rollback';
  const resources = applies ? refsOf(classified.resources) : [];
  warnings.push(...duplicates(resources));
  if (classified.crds.length > 0 && action !== 'install') {
    warnings.push(`${classified.crds.length} CRD document(s) from crds/ ignored: Helm installs them on install only, never upgrades or deletes them`);
  }

  const removal = removalOf(input, classified.resources);
  warnings.push(...removal.warnings);

  return {
    action,
    release: input.release,
    namespace,
    hookMode,
    hooks: input.noHooks ? {} : hookPhases(releaseHooks, action, hookMode),
    crds: action === 'install' ? refsOf(classified.crds) : [],
    resources,
    deletions: removal.deletions,
    kept: removal.kept,
    warnings,
    releaseManifest: joinManifest(classified.resources),
    releaseHooks,
  };
}

function hookPhases(hooks: readonly Hook[], action: ReleaseAction, mode: HookMode): Partial<Record<HookEvent, HookGroup[]>> {
  return Object.fromEntries(EVENTS_BY_ACTION[action].map((event) => [event, groupHooks(hooksForEvent(hooks, event), mode)]));
}

interface Removal {
  deletions: ObjectRef[];
  kept: ObjectRef[];
  warnings: string[];
}

function removalOf(input: PlanInput, target: readonly ManifestDocument[]): Removal {
  switch (input.action) {
    case 'upgrade':
    case 'rollback': {
      if (input.previousManifest === undefined) {
        throw new HelmSfnError(ErrorName.InvalidInput, `previousManifest: required for ${input.action} (the last revision's manifest)`);
      }
      const previous = classifyManifest(splitManifest(input.previousManifest, input.limits)).resources;
      return leftTheChart(previous, target, input.namespace);
    }
    case 'uninstall':
      return uninstallDeletions(target, input.namespace);
    case 'install':
    case 'test':
      return { deletions: [], kept: [], warnings: [] };
  }
}

/**
 * Upgrade/rollback (`pkg/kube/client.go` `Update`): every previous object absent from the target
 * (same group, kind, namespace, name) is deleted, in the stored manifest's (InstallOrder)
 * order, unless its `helm.sh/resource-policy` is exactly `keep` — no trimming or case folding
 * here, unlike uninstall. Helm reads that annotation from the live object; a plan can only read
 * the previous manifest, so the task that deletes must look at the live object too.
 */
function leftTheChart(previous: readonly ManifestDocument[], target: readonly ManifestDocument[], namespace: string): Removal {
  const staying = new Set(target.map((d) => refKey(refOf(d.object, namespace))));
  const removal: Removal = { deletions: [], kept: [], warnings: [] };
  for (const doc of previous) {
    const ref = refOf(doc.object, namespace);
    if (staying.has(refKey(ref))) continue;
    const policy = annotationOf(doc.object, RESOURCE_POLICY_ANNOTATION);
    if (policy === KEEP) {
      removal.kept.push(ref);
      removal.warnings.push(`${describeRef(ref)} left the chart but is kept (${RESOURCE_POLICY_ANNOTATION}: keep)`);
      continue;
    }
    if (policy !== undefined && policy.trim().toLowerCase() === KEEP) {
      removal.warnings.push(`${describeRef(ref)}: ${RESOURCE_POLICY_ANNOTATION} "${policy}" is not exactly "keep", so an upgrade deletes it (as Helm does)`);
    }
    removal.deletions.push(ref);
  }
  return removal;
}

/**
 * Uninstall (`pkg/action/uninstall.go` `deleteRelease`, `resource_policy.go`
 * `filterManifestsToKeep`): every resource in UninstallOrder, except those whose
 * `helm.sh/resource-policy` is `keep` (trimmed, case-insensitive). Quirk: any other value keeps
 * the object too, silently in Helm; here it is reported.
 */
function uninstallDeletions(resources: readonly ManifestDocument[], namespace: string): Removal {
  const removal: Removal = { deletions: [], kept: [], warnings: [] };
  for (const doc of sortByKind(resources, UNINSTALL_ORDER, (d) => d.object.kind)) {
    const ref = refOf(doc.object, namespace);
    const policy = annotationOf(doc.object, RESOURCE_POLICY_ANNOTATION);
    if (policy === undefined) {
      removal.deletions.push(ref);
    } else if (policy.trim().toLowerCase() === KEEP) {
      removal.kept.push(ref);
      removal.warnings.push(`${describeRef(ref)} is kept (${RESOURCE_POLICY_ANNOTATION}: keep)`);
    } else {
      removal.kept.push(ref);
      removal.warnings.push(`${describeRef(ref)} is kept: Helm neither deletes nor reports an object whose ${RESOURCE_POLICY_ANNOTATION} is "${policy}"`);
    }
  }
  return removal;
}

function duplicates(refs: readonly ObjectRef[]): string[] {
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const ref of refs) {
    const key = refKey(ref);
    if (seen.has(key)) warnings.push(`${describeRef(ref)} appears more than once in the manifest; the last one wins`);
    seen.add(key);
  }
  return warnings;
}

/** Hook, resource and deletion entries of the CLI's `plan` JSON. */
export interface PlanJsonHook {
  kind: string;
  name: string;
  namespace?: string;
  path: string;
  deletePolicies: string[];
  outputLogPolicies: string[];
}

export interface PlanJsonObject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface PlanJson {
  action: ReleaseAction;
  release: string;
  namespace: string;
  hookMode: HookMode;
  hooks: Partial<Record<HookEvent, { weight: number; hooks: PlanJsonHook[] }[]>>;
  /** Present only when the install applies CRDs from `crds/`. */
  crds?: PlanJsonObject[];
  resources: PlanJsonObject[];
  deletions: PlanJsonObject[];
  warnings: string[];
}

const jsonObject = (ref: ObjectRef): PlanJsonObject => ({ kind: ref.kind, name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) });

/** The `plan` command's JSON (namespaces resolved, delete policies effective). Cluster-scoped objects have no `namespace`. */
export function planToJson(plan: ReleasePlan): PlanJson {
  const hookJson = (hook: Hook): PlanJsonHook => ({
    ...jsonObject(hookRef(hook, plan.namespace)),
    path: hook.path,
    deletePolicies: effectiveDeletePolicies(hook),
    outputLogPolicies: hook.outputLogPolicies,
  });
  const hooks = Object.fromEntries(
    Object.entries(plan.hooks).map(([event, groups]) => [event, groups.map((g) => ({ weight: g.weight, hooks: g.hooks.map(hookJson) }))]),
  );
  return {
    action: plan.action,
    release: plan.release,
    namespace: plan.namespace,
    hookMode: plan.hookMode,
    hooks,
    ...(plan.crds.length > 0 ? { crds: plan.crds.map(jsonObject) } : {}),
    resources: plan.resources.map(jsonObject),
    deletions: plan.deletions.map(jsonObject),
    warnings: plan.warnings,
  };
}
