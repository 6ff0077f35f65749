/**
 * The first tasks: validate the input, then take the release's lock (create the next
 * revision's record) with everything later tasks need stored in it — Helm's own order
 * (pkg/action/install.go, uninstall.go).
 */
import { readFile } from 'fs/promises';
import { pinnedChartOf, withPinnedChart, type ChartSpec, type PinnedChart } from '../core/chart-source';
import { mapLimit } from '../core/concurrency';
import type { ReleaseContext, TaskInput, TaskOutput } from '../core/contract';
import { ErrorName, HelmSfnError } from '../core/errors';
import { chartKind, parseExecutionInput, parseSetFile, withDefaultPollSeconds, type ExecutionInput } from '../core/input';
import { classifyManifest, restoreHook } from '../core/hooks';
import { splitManifest, type ManifestDocument } from '../core/manifest';
import { describeRef, ownershipConflict, refKey, refOf, type KubeObject } from '../core/objects';
import { planRelease, type ReleasePlan } from '../core/plan';
import { isPending, lastDeployed, latest, nextRevision, recordsToPrune, type HelmRelease } from '../core/release-record';
import type { EngineDeps, RenderRequest, RenderedRelease } from './deps';
import { AlreadyExistsError, unmappedKind } from '../kube/client';
import { FIELD_MANAGER, effectiveAction, hookObject, resourcesOf } from './record-contents';
import { storeFor, type ReleaseStore } from './release-store';

const CRD_WAIT_SECONDS = 60;
const MAX_WARNINGS = 20;
const MAX_WARNING_CHARS = 300;

export async function validate({ input, execution }: TaskInput<'validate'>, deps: EngineDeps): Promise<TaskOutput<'validate'>> {
  const policy = deps.inputPolicy ?? {};
  const parsed = parseExecutionInput(withDefaultPollSeconds(input, policy.pollSeconds), { allowLocalPaths: deps.localSources });
  const cluster = policy.resolveCluster ? policy.resolveCluster(parsed.cluster) : parsed.cluster;
  const ctx: ReleaseContext = {
    action: parsed.action,
    release: parsed.release,
    namespace: parsed.namespace,
    ...(cluster ? { cluster } : {}),
    options: parsed.options,
    ...(execution ? { execution } : {}),
    ...(parsed.revision !== undefined ? { rollbackTo: parsed.revision } : {}),
  };
  const { chart, values, valuesFrom, setFrom, set } = parsed;
  // the rest of the input goes to Prepare once, and no further (see ReleaseSource)
  // an upgrade without a chart (reuseValues) still gets a source: Prepare reads the pinned chart
  const renders = parsed.action === 'install' || parsed.action === 'upgrade';
  return renders
    ? { ctx, source: { ...(chart ? { chart } : {}), ...(values ? { values } : {}), ...(valuesFrom ? { valuesFrom } : {}), ...(setFrom ? { setFrom } : {}), ...(set ? { set } : {}) } }
    : { ctx };
}

/** Lock + render + plan. Install and upgrade get the first task's `source`; the others need only `ctx`. */
export async function prepare({ ctx, source }: TaskInput<'prepare'>, deps: EngineDeps): Promise<ReleaseContext> {
  const store = storeFor(ctx, deps);
  // the input as validated: ctx carries its identifiers and normalised options, source the rest
  const parsed = () => ({ action: ctx.action, release: ctx.release, namespace: ctx.namespace, options: ctx.options, ...source }) as ExecutionInput;
  switch (effectiveAction(ctx)) {
    case 'install':
      return prepareInstall(ctx, parsed(), store, deps);
    case 'upgrade':
      return prepareUpgrade(ctx, parsed(), store, deps);
    case 'rollback':
      return prepareRollback(ctx, ctx.rollbackTo, store, deps);
    case 'uninstall':
      return prepareUninstall(ctx, store, deps);
    case 'test':
      return prepareTest(ctx, store);
  }
}

/**
 * Helm's install (pkg/action/install.go): availableName, CRDs from crds/, render against the
 * cluster, every object mapped to a served kind, then Create(pending-install) — the lock.
 */
async function prepareInstall(ctx: ReleaseContext, input: ExecutionInput, store: ReleaseStore, deps: EngineDeps, history?: HelmRelease[]): Promise<ReleaseContext> {
  const records = history ?? (await store.history(ctx.release, ctx.namespace));
  const mine = await ownLock(records, store);
  if (mine) return { ...ctx, action: 'install', revision: mine.version };
  const last = latest(records);
  // upgrade --install may reinstall over a history kept by `uninstall --keep-history` (Helm's Replace)
  if (last && !(history && last.info.status === 'uninstalled')) {
    throw new HelmSfnError(ErrorName.ReleaseLocked, `cannot re-use a name that is still in use: ${ctx.release} has ${records.length} revision(s) in ${ctx.namespace}`);
  }
  if (last) assertUnlocked(last, ctx, store);
  const { pinned, ...chart } = await chartRequest(ctx, input, deps);
  const rendered = await renderAfterCrds({ ...chart, serverSide: ctx.options.serverSide ?? true }, deps);
  const plan = await mappedPlan(ctx, 'install', rendered.release, '', deps);
  await assertAdoptable(ctx, 'install', rendered.release, '', deps);
  if (ctx.options.createNamespace) await createNamespace(ctx.namespace, deps);
  const now = deps.clock().toISOString();
  const revision = nextRevision(records);
  if (last) await claim(last, store);
  await lock(store, newRecord(rendered.release, revision, { first_deployed: now, last_deployed: now, status: 'pending-install', description: 'Initial install underway' }, pinned), last, deps);
  return { ...ctx, action: 'install', revision, warnings: bounded([...rendered.warnings, ...plan.warnings]) };
}

/**
 * `--create-namespace`, where Helm's install does it (pkg/action/install.go): after the checks,
 * before the release record — the lock is a Secret in that namespace. An existing namespace is
 * fine, so a retried Prepare passes again.
 */
async function createNamespace(namespace: string, deps: EngineDeps): Promise<void> {
  try {
    await deps.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { name: namespace } } });
  } catch (e) {
    if (!(e instanceof AlreadyExistsError)) throw e;
  }
}

/**
 * Helm's upgrade (pkg/action/upgrade.go): refuse a pending release, render the new chart against
 * the cluster from the records Helm reads (values reuse, apply method), prune history, then
 * Create(pending-upgrade) — the lock.
 */
async function prepareUpgrade(ctx: ReleaseContext, input: ExecutionInput, store: ReleaseStore, deps: EngineDeps): Promise<ReleaseContext> {
  const history = await store.history(ctx.release, ctx.namespace);
  const mine = await ownLock(history, store);
  if (mine) return { ...ctx, action: mine.info.status === 'pending-install' ? 'install' : ctx.action, revision: mine.version, previousRevision: lastDeployed(history)?.version };
  const last = latest(history);
  if (!last || last.info.status === 'uninstalled') {
    if (ctx.options.installIfMissing) return prepareInstall(ctx, input, store, deps, history);
    throw new HelmSfnError(ErrorName.ReleaseNotFound, `"${ctx.release}" has no deployed releases`);
  }
  assertUnlocked(last, ctx, store);
  const current = lastDeployed(history) ?? last;
  const { reuseValues, resetValues, serverSide } = ctx.options;
  const { pinned, ...chart } = await chartRequest(ctx, input, deps, current);
  const rendered = await deps.renderer.render({
    ...chart,
    history: [...new Set([current, last])],
    reuseValues,
    resetValues,
    serverSide: serverSide ?? 'auto',
  });
  const plan = await mappedPlan(ctx, 'upgrade', rendered.release, current.manifest ?? '', deps);
  await assertAdoptable(ctx, 'update', rendered.release, current.manifest ?? '', deps);
  const revision = last.version + 1;
  await claim(last, store);
  await pruneHistory(history, ctx, store);
  const info = { first_deployed: current.info.first_deployed, last_deployed: deps.clock().toISOString(), status: 'pending-upgrade' as const, description: 'Preparing upgrade' };
  await lock(store, newRecord(rendered.release, revision, info, pinned), last, deps);
  return { ...ctx, revision, previousRevision: current.version, warnings: bounded([...rendered.warnings, ...plan.warnings]) };
}

/**
 * Helm's rollback (pkg/action/rollback.go): a new revision with the target revision's chart,
 * values, manifest and hooks — no re-render. An atomic upgrade recovers through here, to the
 * newest revision that was deployed before this execution's own.
 */
async function prepareRollback(ctx: ReleaseContext, requested: number | undefined, store: ReleaseStore, deps: EngineDeps): Promise<ReleaseContext> {
  const history = await store.history(ctx.release, ctx.namespace);
  const mine = await ownLock(history, store);
  if (mine) return { ...ctx, revision: mine.version, previousRevision: mine.version - 1 };
  const last = latest(history);
  if (!last) throw new HelmSfnError(ErrorName.ReleaseNotFound, `release: not found: ${ctx.release} in ${ctx.namespace}`);
  // an atomic upgrade's failure path kept its claim on the failed record, so this passes for it
  assertUnlocked(last, ctx, store);
  const wanted = ctx.recovering ? recoveryTarget(history, ctx) : (requested ?? last.version - 1);
  const target = history.find((r) => r.version === wanted);
  if (!target) {
    throw new HelmSfnError(ErrorName.ReleaseNotFound, wanted ? `release "${ctx.release}" has no ${wanted} version` : `release "${ctx.release}" has no revision to roll back to`);
  }
  const revision = last.version + 1;
  await mappedPlan(ctx, 'rollback', target, last.manifest ?? '', deps);
  await claim(last, store);
  await pruneHistory(history, ctx, store);
  const now = deps.clock().toISOString();
  // Helm copies the target revision whole — notes and hooks' last runs too — and states the apply method anew
  await lock(
    store,
    {
      ...target,
      info: { first_deployed: last.info.first_deployed, last_deployed: now, status: 'pending-rollback', description: `Rollback to ${target.version}`, ...(target.info.notes ? { notes: target.info.notes } : {}) },
      version: revision,
      apply_method: applyMethod(ctx.options.serverSide ?? 'auto', target),
    },
    last,
    deps,
  );
  return { ...ctx, revision, previousRevision: last.version };
}

/**
 * Helm's uninstall start: the latest record becomes `uninstalling` (pkg/action/uninstall.go) —
 * here by a conditional write, which is the lock: of two uninstalls (or an uninstall and an
 * upgrade, rollback or test, which claim the same record) exactly one gets past it.
 */
async function prepareUninstall(ctx: ReleaseContext, store: ReleaseStore, deps: EngineDeps): Promise<ReleaseContext> {
  const history = await store.history(ctx.release, ctx.namespace);
  const last = latest(history);
  if (!last) throw new HelmSfnError(ErrorName.ReleaseNotFound, `uninstall: release not loaded: ${ctx.release}: release: not found`);
  if (last.info.status === 'uninstalling' && store.isMine(last)) return { ...ctx, revision: last.version }; // a retried prepare
  if (last.info.status === 'uninstalled' && ctx.options.keepHistory) {
    throw new HelmSfnError(ErrorName.ReleaseNotFound, `release ${ctx.release} is already uninstalled`);
  }
  assertUnlocked(last, ctx, store);
  await store.claim(last, { status: 'uninstalling', description: 'Deletion in progress (or silently failed)', info: { deleted: deps.clock().toISOString() } });
  deps.logger.info(`release locked: revision ${last.version} uninstalling`, { release: ctx.release, namespace: ctx.namespace });
  return { ...ctx, revision: last.version };
}

/**
 * Helm's test (pkg/action/release_testing.go): the last revision's test hooks; no new record.
 * Unlike Helm it claims the release (the lock annotation), so nothing upgrades or uninstalls it
 * while its tests run.
 */
async function prepareTest(ctx: ReleaseContext, store: ReleaseStore): Promise<ReleaseContext> {
  const last = latest(await store.history(ctx.release, ctx.namespace));
  if (!last) throw new HelmSfnError(ErrorName.ReleaseNotFound, `release: not found: ${ctx.release} in ${ctx.namespace}`);
  assertUnlocked(last, ctx, store);
  await claim(last, store);
  return { ...ctx, revision: last.version };
}

/**
 * Step Functions retries a task whose result was lost: a prepare that finds the pending record
 * its own execution created carries on with it instead of reporting it as someone else's.
 */
async function ownLock(history: HelmRelease[], store: ReleaseStore): Promise<HelmRelease | undefined> {
  const last = latest(history);
  if (!last || !isPending(last.info.status) || !store.isMine(last)) return undefined;
  // the attempt that created it may have stopped before dropping its claim on the record before
  for (const rel of history) if (rel !== last && store.claimedByMe(rel)) await store.releaseClaim(rel);
  return last;
}

/** Unlike Helm, every action refuses a release another operation holds (docs/semantics.md#locks); our own lock passes. */
function assertUnlocked(last: HelmRelease, ctx: ReleaseContext, store: ReleaseStore): void {
  const holder = store.lockOf(last);
  if (!holder || store.isMine(last)) return;
  const how = holder.by === 'status' ? `is ${last.info.status}` : `is claimed by ${holder.execution}`;
  throw new HelmSfnError(ErrorName.ReleaseLocked, `another operation (install/upgrade/rollback/uninstall/test) is in progress: ${ctx.release} revision ${last.version} ${how}`);
}

/** Atomic recovery: the newest deployed or superseded revision older than the failed one. */
function recoveryTarget(history: HelmRelease[], ctx: ReleaseContext): number | undefined {
  return [...history].reverse().find((r) => r.version < (ctx.revision ?? Infinity) && (r.info.status === 'deployed' || r.info.status === 'superseded'))?.version;
}

/** History pruning happens before the new record is created, as in Helm's Storage.Create. */
async function pruneHistory(history: HelmRelease[], ctx: ReleaseContext, store: ReleaseStore): Promise<void> {
  for (const old of recordsToPrune(history, ctx.options.historyMax)) await store.remove(ctx.release, ctx.namespace, old.version);
}

/**
 * The chart and values of an install or upgrade, fetched to local files — before the lock, so a
 * chart that cannot be had fails with nothing written. An upgrade without a chart (reuseValues)
 * fetches the chart the current revision pinned.
 */
export async function chartRequest(ctx: ReleaseContext, input: ExecutionInput, deps: EngineDeps, current?: HelmRelease) {
  const spec = input.chart ?? keptChart(ctx, current);
  const { path: chartPath, pinned } = deps.fetchChart ? await deps.fetchChart(spec) : { path: await deps.fetch(spec.source!), pinned: undefined };
  const valuesFiles = await Promise.all((input.valuesFrom ?? []).map((source) => deps.fetch(source)));
  const set = [...(await setFileItems(input.setFrom ?? [], deps)), ...(input.set ?? [])];
  return { release: ctx.release, namespace: ctx.namespace, chartPath, values: input.values, valuesFiles, set, pinned };
}

/** upgrade --reuse-values without a chart: the source the current revision pinned, if it has one. */
function keptChart(ctx: ReleaseContext, current: HelmRelease | undefined): ChartSpec {
  const kept = pinnedChartOf(current);
  if (!kept || chartKind(kept) === 'local') {
    throw new HelmSfnError(ErrorName.InvalidInput, `chart: missing; required for ${ctx.action} unless the current revision${current ? ` (${current.version})` : ''} came from a registry or repository (it keeps that pinned chart)`);
  }
  return kept;
}

/** The `--set` items of the input's set files, in order (parseSetFile: Helm parses them, as --set). */
async function setFileItems(sources: string[], deps: EngineDeps): Promise<string[]> {
  const items: string[][] = [];
  for (const [i, source] of sources.entries()) items.push(parseSetFile(await readFile(await deps.fetch(source), 'utf8'), `setFrom[${i}]`));
  return items.flat();
}

/**
 * The action's plan, after every object of the release — hooks included — was resolved to a kind
 * the cluster serves: Helm maps the whole release before its first write, so an unknown kind
 * fails here, with Helm's message, and nothing is written.
 */
async function mappedPlan(ctx: ReleaseContext, action: 'install' | 'upgrade' | 'rollback', rel: HelmRelease, previousManifest: string, deps: EngineDeps): Promise<ReleasePlan> {
  const restored = (rel.hooks ?? []).map((stored, index) => restoreHook(stored, index));
  const hooks = restored.map((r) => r.hook);
  const plan = planRelease({ action, release: ctx.release, namespace: ctx.namespace, manifest: rel.manifest ?? '', hooks, previousManifest, hookMode: ctx.options.hookMode, noHooks: ctx.options.noHooks });
  plan.warnings.unshift(...restored.flatMap((r) => r.warnings));
  const hookObjects = ctx.options.noHooks ? [] : plan.releaseHooks.map((h) => hookObject(h, ctx.namespace));
  const objects = [...resourcesOf(rel).map((d) => d.object), ...hookObjects];
  const kinds = new Map(objects.map((o) => [`${o.apiVersion}/${o.kind}`, o]));
  await Promise.all(
    [...kinds.values()].map(async (o) => {
      if (!(await deps.kube.resourceFor(o.apiVersion, o.kind))) throw unmappedKind({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace ?? ctx.namespace });
    }),
  );
  return plan;
}

/**
 * Helm's existingResourceConflict, before the lock: an object this revision adds that already
 * exists must belong to the release (or be adopted with takeOwnership). Upgrades check only
 * what the current revision lacks, as Helm does.
 */
export async function assertAdoptable(ctx: ReleaseContext, verb: 'install' | 'update', rel: HelmRelease, currentManifest: string, deps: EngineDeps): Promise<void> {
  if (ctx.options.takeOwnership) return;
  const current = new Set((currentManifest.trim() ? splitManifest(currentManifest) : []).map((d) => refKey(refOf(d.object, ctx.namespace))));
  const added = resourcesOf(rel)
    .map((doc) => refOf(doc.object, ctx.namespace))
    .filter((ref) => !current.has(refKey(ref)));
  await mapLimit(added, async (ref) => {
    const live = await deps.kube.get(ref);
    const conflict = live && ownershipConflict(live, ctx.release, ctx.namespace);
    if (conflict) throw new HelmSfnError(ErrorName.ApplyFailed, `unable to continue with ${verb}: ${conflict}`);
  });
}

/** Helm 4's apply method for a new revision (pkg/action: `--server-side` true | false | auto = that of the revision it starts from). */
export function applyMethod(serverSide: boolean | 'auto', last: HelmRelease | undefined): 'ssa' | 'csa' {
  return serverSide === 'auto' ? (last?.apply_method === 'ssa' ? 'ssa' : 'csa') : serverSide ? 'ssa' : 'csa';
}

/** Helm's rendered release as the new revision's record: what Helm stores, with our status. */
function newRecord(rendered: HelmRelease, version: number, info: HelmRelease['info'], pinned?: PinnedChart): HelmRelease {
  return { ...withPinnedChart(rendered, pinned), info: { ...info, ...(rendered.info?.notes ? { notes: rendered.info.notes } : {}) }, version };
}

/**
 * Claim the latest record before anything changes (see ReleaseStore): the write an uninstall or
 * a test would race with. A claim this execution already holds (a retry, an atomic recovery) stands.
 */
async function claim(last: HelmRelease, store: ReleaseStore): Promise<void> {
  if (!store.claimedByMe(last)) await store.claim(last);
}

/**
 * Creating the revision's record takes the release's lock — the write another install, upgrade
 * or rollback would race with. The pending record holds the release from then on, so the claim
 * on the previous record is dropped.
 */
async function lock(store: ReleaseStore, record: HelmRelease, claimed: HelmRelease | undefined, deps: EngineDeps): Promise<void> {
  await store.create(record);
  if (claimed) await store.releaseClaim(claimed);
  deps.logger.info(`release locked: revision ${record.version} ${record.info.status}`, { release: record.name, namespace: record.namespace });
}

/**
 * Helm's install applies the chart's crds/ first, then renders against a cluster that serves
 * them. Most charts have none, so the render starts beside the CRD template (two helm processes
 * at once) and stands when there is none; with CRDs it is done again once they are established.
 */
async function renderAfterCrds(request: RenderRequest, deps: EngineDeps): Promise<RenderedRelease> {
  const early = deps.renderer.render(request);
  early.catch(() => undefined); // awaited below unless CRDs make it moot
  const crds = classifyManifest(splitManifest(await deps.renderer.crds(request))).crds;
  if (crds.length === 0) return early;
  await installCrds(crds, deps);
  return deps.renderer.render(request);
}

/**
 * CRDs from the chart's crds/ directories, before anything else (pkg/action/install.go
 * installCRDs): applied, then given up to 60 s to be Established. Never upgraded or deleted.
 */
async function installCrds(crds: readonly ManifestDocument[], deps: EngineDeps): Promise<void> {
  for (const doc of crds) await deps.kube.apply(doc.object, { fieldManager: FIELD_MANAGER });
  const deadline = deps.clock().getTime() + CRD_WAIT_SECONDS * 1000;
  for (const doc of crds) {
    const ref = refOf(doc.object);
    while (!isEstablished(await deps.kube.get(ref))) {
      if (deps.clock().getTime() > deadline) throw new HelmSfnError(ErrorName.ApplyFailed, `${describeRef(ref)} was not established within ${CRD_WAIT_SECONDS}s`);
      await deps.sleep(250);
    }
  }
}

const isEstablished = (crd: KubeObject | undefined): boolean =>
  ((crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some(
    (c) => c.type === 'Established' && c.status === 'True',
  );

function bounded(warnings: string[]): string[] {
  return warnings.slice(0, MAX_WARNINGS).map((w) => (w.length > MAX_WARNING_CHARS ? `${w.slice(0, MAX_WARNING_CHARS - 1)}…` : w));
}
