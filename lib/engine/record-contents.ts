/**
 * Between Helm's stored release record and our core types. The record is the source of truth
 * for every task after `prepare`: its manifest, its hooks and their last runs.
 */
import { ErrorName, HelmSfnError } from '../core/errors';
import { hookRef, restoreHook, type Hook, type HookEvent } from '../core/hooks';
import { parseObject, splitManifest, type ManifestDocument } from '../core/manifest';
import { groupHooks, hooksForEvent, type HookGroup } from '../core/ordering';
import type { HelmHook, HelmRelease } from '../core/release-record';
import type { KubeObject } from '../core/objects';
import type { Action, ReleaseContext } from '../core/contract';

/** Helm's field manager (cmd/helm ManagedFieldsManager): keeps ownership compatible with the helm CLI. */
export const FIELD_MANAGER = 'helm';

/** What this step is doing: an atomic recovery runs another action's states. */
export const effectiveAction = (ctx: ReleaseContext): Action => ctx.recovering ?? ctx.action;

/** Helm's stored hooks → ours, in stored order (the order Helm's execution sort starts from). */
export function hooksOf(rel: HelmRelease): Hook[] {
  return (rel.hooks ?? []).map((stored, index) => restoreHook(stored, index).hook);
}

/** The weight groups of one event, as the workflow walks them. */
export function hookGroups(rel: HelmRelease, event: HookEvent, ctx: ReleaseContext): HookGroup[] {
  return groupHooks(hooksForEvent(hooksOf(rel), event), ctx.options.hookMode);
}

export function resourcesOf(rel: HelmRelease): ManifestDocument[] {
  return rel.manifest?.trim() ? splitManifest(rel.manifest) : [];
}

/** The stored hook matching ours (same name and kind; Helm keys hooks the same way). */
export function storedHook(rel: HelmRelease, hook: Hook): HelmHook | undefined {
  return rel.hooks?.[hook.index] ?? rel.hooks?.find((h) => h.name === hook.name && h.kind === hook.kind);
}

/** The object a hook creates: its manifest, in its own namespace or the release's. */
export function hookObject(hook: Hook, namespace: string): KubeObject {
  const object = parseObject(hook.manifest, hook.path, hook.index);
  if (!object) throw new HelmSfnError(ErrorName.ChartRenderFailed, `hook ${hook.kind}/${hook.name} (${hook.path}): its manifest is empty`);
  const ref = hookRef(hook, namespace);
  return { ...object, metadata: { ...object.metadata, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
}
