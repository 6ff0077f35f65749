/**
 * Regular resources: applied in InstallOrder by Helm 4's apply method (same-kind runs in
 * parallel, like Helm's `perform`), deletion in UninstallOrder with the keep policy, and readiness/gone checks.
 */
import { mapLimit } from '../core/concurrency';
import type { ApplyCursor, ReleaseContext, TaskInput, TaskOutput, WaitCursor } from '../core/contract';
import { ErrorName, HelmSfnError, isHelmSfnError } from '../core/errors';
import { classifyManifest } from '../core/hooks';
import { joinManifest, type ManifestDocument } from '../core/manifest';
import { describeRef, MANAGED_BY_LABEL, ownershipConflict, RELEASE_NAME_ANNOTATION, RELEASE_NAMESPACE_ANNOTATION, refKey, refOf, type KubeObject, type ObjectRef } from '../core/objects';
import { planRelease, RESOURCE_POLICY_ANNOTATION } from '../core/plan';
import { lastDeployed, type HelmRelease } from '../core/release-record';
import { goMarshal, type JsonObject } from '../core/go-json';
import { createMergePatch, createThreeWayJsonMergePatch } from '../core/json-merge-patch';
import { upgradeManagedFieldsPatch } from '../core/managed-fields';
import { patchSchemaFor } from '../core/patch-meta';
import { createThreeWayMergePatch } from '../core/strategic-merge-patch';
import { pollDelaySeconds, watchSeconds } from '../core/polling';
import { resourceReady } from '../core/readiness';
import type { EngineDeps } from './deps';
import { FIELD_MANAGER, effectiveAction, resourcesOf } from './record-contents';
import { currentRecord, storeFor } from './release-store';
import { watchUntil } from './watch';

/** Objects per task invocation: big charts resume from the cursor in the next invocation. */
const BATCH = 200;
/** Objects named in a waiting/timeout message. */
const SHOWN = 5;

export async function applyResources({ ctx, apply }: TaskInput<'applyResources'>, deps: EngineDeps): Promise<ApplyCursor> {
  const rel = await currentRecord(ctx, deps);
  const docs = classifyManifest(resourcesOf(rel)).resources; // InstallOrder
  const method = await applyMethodOf(rel, ctx, deps);
  const end = Math.min(docs.length, apply.next + BATCH);
  for (const run of sameKindRuns(docs.slice(apply.next, end))) await mapLimit(run, (doc) => applyOwned(doc, ctx, method, deps));
  return { next: end, total: docs.length, done: end >= docs.length };
}

/**
 * How this revision's objects reach the cluster (Helm 4 pkg/kube/client.go): server-side apply,
 * or client-side — POST, then three-way patches against the previous revision's objects.
 */
interface ApplyMethod {
  readonly serverSide: boolean;
  /** The previous revision's objects by refKey: a client-side patch's `original`. */
  readonly previous: Map<string, KubeObject>;
  /** csa → ssa: the `helm` client-side manager's fields move to its Apply entry first. */
  readonly upgradeManagedFields: boolean;
}

async function applyMethodOf(rel: HelmRelease, ctx: ReleaseContext, deps: EngineDeps): Promise<ApplyMethod> {
  const serverSide = rel.apply_method === 'ssa';
  // a previous revision pruned since is no baseline; any other failure must not pass for "no baseline"
  const prior =
    ctx.previousRevision === undefined
      ? undefined
      : await storeFor(ctx, deps)
          .get(ctx.release, ctx.namespace, ctx.previousRevision)
          .catch((e: unknown) => {
            if (isHelmSfnError(e, ErrorName.ReleaseNotFound)) return undefined;
            throw e;
          });
  const previous = new Map(
    (prior ? resourcesOf(prior) : []).map((d) => {
      const ref = refOf(d.object, ctx.namespace);
      // as Helm's resource builder reads the manifest: namespaced objects in the release namespace
      return [refKey(ref), ref.namespace ? { ...d.object, metadata: { ...d.object.metadata, namespace: ref.namespace } } : d.object];
    }),
  );
  // Helm 4 migrates client-side managed fields on an upgrade from a csa revision, and on every server-side rollback
  const upgradeManagedFields = serverSide && (effectiveAction(ctx) === 'rollback' || (prior !== undefined && prior.apply_method !== 'ssa'));
  return { serverSide, previous, upgradeManagedFields };
}

/**
 * Uninstall: everything the release owns, in UninstallOrder (keep policy honoured).
 * Upgrade and rollback: what left the chart (see `removedObjects`). Install: nothing.
 */
export async function deleteResources({ ctx }: TaskInput<'deleteResources'>, deps: EngineDeps): Promise<TaskOutput<'deleteResources'>> {
  const action = effectiveAction(ctx);
  if (action === 'install' || action === 'test') return { deleted: 0, kept: [] };
  const rel = await currentRecord(ctx, deps);
  let refs: ObjectRef[];
  let kept: ObjectRef[];
  if (action === 'uninstall') {
    const manifest = joinManifest([...resourcesOf(rel), ...(await leftovers(rel, ctx, deps))]);
    ({ deletions: refs, kept } = planRelease({ action, release: ctx.release, namespace: ctx.namespace, manifest }));
  } else {
    ({ refs, kept } = await removedObjects(rel, ctx, deps));
  }
  let deleted = 0;
  for (const run of sameKindRuns(refs)) deleted += (await mapLimit(run, (ref) => deps.kube.delete(ref))).filter(Boolean).length;
  const keptNames = kept.map(describeRef);
  if (keptNames.length) deps.logger.info('resources kept due to the resource policy', { kept: keptNames });
  return { deleted, kept: keptNames };
}

/**
 * Objects the release owned before this revision that the new manifest lacks (pkg/kube
 * client.go Update). Candidates come from the previous revision, the last deployed one and every
 * revision after it — failed upgrades may have created objects the deployed one never had
 * (docs/semantics.md#deliberate-differences-from-helm, 11; Helm diffs against the deployed revision only and leaves those behind)
 * — and each is checked live: gone, owned by someone else, or annotated
 * `helm.sh/resource-policy: keep` ⇒ left alone.
 */
async function removedObjects(rel: HelmRelease, ctx: ReleaseContext, deps: EngineDeps): Promise<{ refs: ObjectRef[]; kept: ObjectRef[] }> {
  const earlier = (await storeFor(ctx, deps).revisions(ctx.release, ctx.namespace)).filter((r) => r.version < rel.version);
  const deployed = lastDeployed(earlier);
  const sources = earlier.filter((r) => r.version === ctx.previousRevision || !deployed || r.version >= deployed.version);
  const target = new Set(resourcesOf(rel).map((d) => refKey(refOf(d.object, ctx.namespace))));
  const candidates = new Map<string, ObjectRef>();
  for (const source of sources) {
    for (const doc of resourcesOf(source.read())) {
      const ref = refOf(doc.object, ctx.namespace);
      if (!target.has(refKey(ref))) candidates.set(refKey(ref), ref);
    }
  }
  const looks = await mapLimit([...candidates.values()], async (ref) => ({ ref, live: await deps.kube.get(ref) }));
  const owned = looks.filter(({ live }) => live?.metadata.annotations?.['meta.helm.sh/release-name'] === ctx.release);
  // Helm compares the live annotation exactly (pkg/action/resource_policy.go on upgrade)
  const keep = ({ live }: (typeof owned)[number]) => live?.metadata.annotations?.[RESOURCE_POLICY_ANNOTATION] === 'keep';
  return { refs: owned.filter((o) => !keep(o)).map((o) => o.ref), kept: owned.filter(keep).map((o) => o.ref) };
}

/**
 * Uninstall: objects of revisions since the last deployed one (and of that one) that the
 * release's latest record does not name but that are still there with this release's ownership
 * — what a failed upgrade created or had not pruned yet. Helm deletes only the latest record's
 * objects and leaves these behind; so that an uninstall leaves nothing, they go too.
 */
async function leftovers(rel: HelmRelease, ctx: ReleaseContext, deps: EngineDeps): Promise<ManifestDocument[]> {
  const earlier = (await storeFor(ctx, deps).revisions(ctx.release, ctx.namespace)).filter((r) => r.version < rel.version);
  const deployed = lastDeployed(earlier);
  const named = new Set(resourcesOf(rel).map((d) => refKey(refOf(d.object, ctx.namespace))));
  const found = new Map<string, ManifestDocument>();
  for (const source of earlier.filter((r) => !deployed || r.version >= deployed.version)) {
    for (const doc of resourcesOf(source.read())) {
      const key = refKey(refOf(doc.object, ctx.namespace));
      if (!named.has(key)) found.set(key, doc);
    }
  }
  const docs = [...found.values()];
  const lives = await mapLimit(docs, (doc) => deps.kube.get(refOf(doc.object, ctx.namespace)));
  return docs.filter((_, i) => lives[i]?.metadata.annotations?.['meta.helm.sh/release-name'] === ctx.release);
}

/**
 * One poll of the release's resources, ready (after apply) or gone (after delete): a look, then
 * (some pending) a watch of those until they are all ready or gone or the window ends, then a
 * last look, which gives the verdict (lib/engine/watch.ts).
 */
export async function checkResources({ ctx, wait }: TaskInput<'checkResources'>, deps: EngineDeps): Promise<WaitCursor> {
  const rel = await currentRecord(ctx, deps);
  const action = wait.mode === 'gone' ? 'uninstall' : 'install';
  const plan = planRelease({ action, release: ctx.release, namespace: ctx.namespace, manifest: rel.manifest ?? '' });
  const refs = wait.mode === 'gone' ? plan.deletions : plan.resources;
  const startedAt = wait.startedAt ?? deps.clock().toISOString();
  const elapsed = () => (deps.clock().getTime() - Date.parse(startedAt)) / 1000;
  const done = (live: KubeObject | undefined) => (wait.mode === 'gone' ? live === undefined : resourceReady(live).state === 'ready');

  let pending = await pendingResources(refs, wait.mode, deps);
  const seconds = pending.length ? watchSeconds(elapsed(), ctx.options.timeoutSeconds, ctx.options.pollSeconds) : 0;
  if (seconds > 0) {
    const watched = pending.map((p) => p.ref);
    const outcome = await watchUntil(watched, seconds, (live) => watched.every((r) => done(live.get(refKey(r)))), deps);
    deps.logger.debug('watched resources', { mode: wait.mode, pending: watched.length, outcome });
    pending = await pendingResources(watched, wait.mode, deps);
  }
  const reasons = pending.map((p) => p.reason).sort();
  if (reasons.length === 0) return { mode: wait.mode, startedAt, status: 'ready' };

  if (elapsed() > ctx.options.timeoutSeconds) {
    const what = wait.mode === 'gone' ? 'were not deleted' : 'are not ready';
    throw new HelmSfnError(
      ErrorName.ResourcesNotReady,
      `${reasons.length} resource(s) ${what} after ${ctx.options.timeoutSeconds}s: ${reasons.slice(0, SHOWN).join('; ')}`,
    );
  }
  const polls = (wait.polls ?? 0) + 1;
  const nextPollSeconds = pollDelaySeconds(elapsed(), ctx.options.pollSeconds);
  return { mode: wait.mode, startedAt, polls, status: 'waiting', nextPollSeconds, pending: reasons.slice(0, SHOWN) };
}

/** The objects not yet ready (or not yet gone), each with why. */
async function pendingResources(refs: readonly ObjectRef[], mode: WaitCursor['mode'], deps: EngineDeps): Promise<{ ref: ObjectRef; reason: string }[]> {
  const looks = await mapLimit(refs, async (ref) => {
    const live = await deps.kube.get(ref);
    if (mode === 'gone') return live ? { ref, reason: `${ref.kind}/${ref.name}: still exists` } : undefined;
    const verdict = resourceReady(live);
    return verdict.state === 'ready' ? undefined : { ref, reason: `${ref.kind}/${ref.name}: ${verdict.reason}` };
  });
  return looks.filter((look) => look !== undefined);
}

/**
 * Apply one object with Helm's ownership metadata, by the release's apply method; refuse to adopt
 * another owner's object unless told to take ownership.
 */
async function applyOwned(doc: ManifestDocument, ctx: ReleaseContext, method: ApplyMethod, deps: EngineDeps): Promise<void> {
  const obj = withOwnership(doc.object, ctx);
  const ref = refOf(obj, ctx.namespace);
  const live = await deps.kube.get(ref);
  const conflict = live && !ctx.options.takeOwnership ? ownershipConflict(live, ctx.release, ctx.namespace) : undefined;
  // prepare checked before the lock; an object created since then is refused here
  if (conflict) throw new HelmSfnError(ErrorName.ApplyFailed, conflict);
  if (live && ctx.options.forceReplace) {
    // Helm's --force-replace: a PUT over the live object's version
    await deps.kube.replace({ ...obj, metadata: { ...obj.metadata, resourceVersion: live.metadata.resourceVersion } });
  } else if (method.serverSide) {
    const upgrade = live && method.upgradeManagedFields ? upgradeManagedFieldsPatch(live as never, [FIELD_MANAGER], FIELD_MANAGER) : undefined;
    if (upgrade) await deps.kube.patch(ref, upgrade.body, 'json', { fieldManager: FIELD_MANAGER });
    await deps.kube.apply(obj, { fieldManager: FIELD_MANAGER, force: ctx.options.forceConflicts });
  } else if (!live) {
    await deps.kube.create(obj, { fieldManager: FIELD_MANAGER });
  } else {
    // an object the previous revision lacked (adopted, or left by a failed upgrade) is its own baseline:
    // the patch adds and changes, never removes (Helm 4 pkg/kube/client.go update)
    const original = (ctx.options.takeOwnership ? undefined : method.previous.get(refKey(ref))) ?? obj;
    const patch = clientSidePatch(original as JsonObject, obj as JsonObject, live as JsonObject, ctx.options.takeOwnership);
    if (patch.body !== '{}') await deps.kube.patch(ref, patch.body, patch.type, { fieldManager: FIELD_MANAGER });
  }
}

/** Helm's createPatch: a three-way strategic merge for built-in kinds, a JSON merge patch for the rest. */
function clientSidePatch(original: JsonObject, modified: JsonObject, current: JsonObject, threeWayForUnstructured: boolean): { type: 'strategic' | 'merge'; body: string } {
  const schema = patchSchemaFor(modified.apiVersion as string, modified.kind as string);
  if (schema) return { type: 'strategic', body: goMarshal(createThreeWayMergePatch(original, modified, current, schema)) };
  const patch = threeWayForUnstructured ? createThreeWayJsonMergePatch(original, modified, current) : createMergePatch(original, modified);
  return { type: 'merge', body: goMarshal(patch) };
}

/** Helm stamps every regular object so `helm` can tell what a release owns (pkg/action/validate.go). */
export function withOwnership(obj: KubeObject, ctx: ReleaseContext): KubeObject {
  const ref = refOf(obj, ctx.namespace);
  const m = obj.metadata;
  return {
    ...obj,
    metadata: {
      ...m,
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
      labels: { ...m.labels, [MANAGED_BY_LABEL]: 'Helm' },
      annotations: { ...m.annotations, [RELEASE_NAME_ANNOTATION]: ctx.release, [RELEASE_NAMESPACE_ANNOTATION]: ctx.namespace },
    },
  };
}

/** Consecutive items of the same kind: Helm waits for one run before starting the next. */
function sameKindRuns<T extends ManifestDocument | ObjectRef>(items: T[]): T[][] {
  const kindOf = (x: T) => ('object' in x ? x.object.kind : x.kind);
  const runs: T[][] = [];
  for (const item of items) {
    const last = runs[runs.length - 1];
    if (last && kindOf(last[0]) === kindOf(item)) last.push(item);
    else runs.push([item]);
  }
  return runs;
}
