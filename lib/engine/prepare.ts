/**
 * The first tasks: validate the input, then take the release's lock (create the next
 * revision's record) with everything later tasks need stored in it — Helm's own order
 * (pkg/action/install.go, uninstall.go).
 */
import type { ReleaseContext } from '../core/contract';
import { ErrorName, HelmSfnError } from '../core/errors';
import { parseExecutionInput, refuseUnfetchableSources, withDefaultPollSeconds, type ExecutionInput } from '../core/input';
import { classifyManifest } from '../core/hooks';
import { splitManifest } from '../core/manifest';
import { describeRef, ownershipConflict, refKey, refOf, type KubeObject } from '../core/objects';
import { planRelease, type ReleasePlan } from '../core/plan';
import { isPending, lastDeployed, latest, nextRevision, recordsToPrune, type HelmRelease } from '../core/release';
import type { EngineDeps, RenderedRelease } from './deps';
import { unmappedKind } from '../kube/client';
import { FIELD_MANAGER, effectiveAction, hookObject, hooksOf, resourcesOf } from './record';
import { storeFor, type ReleaseStore } from './releases';

const CRD_WAIT_SECONDS = 60;
const MAX_WARNINGS = 20;
const MAX_WARNING_CHARS = 300;

export async function validate({ input, execution }: { input: unknown; execution?: string }, deps: EngineDeps): Promise<{ ctx: ReleaseContext }> {
  const policy = deps.inputPolicy ?? {};
  const parsed = parseExecutionInput(withDefaultPollSeconds(input, policy.pollSeconds), { allowLocalPaths: deps.localSources });
  refuseUnfetchableSources(parsed, policy.sourceSchemes);
  const cluster = policy.resolveCluster ? policy.resolveCluster(parsed.cluster) : parsed.cluster;
  return {
    ctx: {
      action: parsed.action,
      release: parsed.release,
      namespace: parsed.namespace,
      ...(cluster ? { cluster } : {}),
      options: parsed.options,
      ...(execution ? { execution } : {}),
    },
  };
}

export async function prepare({ ctx, input }: { ctx: ReleaseContext; input: unknown }, deps: EngineDeps): Promise<ReleaseContext> {
  const store = storeFor(ctx, deps);
  const parsed = () => parseExecutionInput(input, { allowLocalPaths: deps.localSources });
  switch (effectiveAction(ctx)) {
    case 'install':
      return prepareInstall(ctx, parsed(), store, deps);
    case 'upgrade':
      return prepareUpgrade(ctx, parsed(), store, deps);
    case 'rollback':
      return prepareRollback(ctx, parsed().revision, store, deps);
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
  const mine = await ownLock(records, ctx, store);
  if (mine) return { ...ctx, action: 'install', revision: mine.version };
  const last = latest(records);
  // upgrade --install may reinstall over a history kept by `uninstall --keep-history` (Helm's Replace)
  if (last && !(history && last.info.status === 'uninstalled')) {
    throw new HelmSfnError(ErrorName.ReleaseLocked, `cannot re-use a name that is still in use: ${ctx.release} has ${records.length} revision(s) in ${ctx.namespace}`);
  }
  const chart = await chartRequest(ctx, input, deps);
  await installCrds(await deps.renderer.crds(chart), deps);
  const rendered = await deps.renderer.render({ ...chart, serverSide: ctx.options.serverSide ?? true });
  const plan = await mappedPlan(ctx, 'install', rendered, '', deps);
  await assertAdoptable(ctx, 'install', rendered, '', deps);
  const now = deps.clock().toISOString();
  const revision = nextRevision(records);
  await lock(store, newRecord(rendered, revision, { first_deployed: now, last_deployed: now, status: 'pending-install', description: 'Initial install underway' }), deps);
  return { ...ctx, action: 'install', revision, warnings: bounded(plan.warnings) };
}

/**
 * Helm's upgrade (pkg/action/upgrade.go): refuse a pending release, render the new chart against
 * the cluster from the records Helm reads (values reuse, apply method), prune history, then
 * Create(pending-upgrade) — the lock.
 */
async function prepareUpgrade(ctx: ReleaseContext, input: ExecutionInput, store: ReleaseStore, deps: EngineDeps): Promise<ReleaseContext> {
  const history = await store.history(ctx.release, ctx.namespace);
  const mine = await ownLock(history, ctx, store);
  if (mine) return { ...ctx, action: mine.info.status === 'pending-install' ? 'install' : ctx.action, revision: mine.version, previousRevision: lastDeployed(history)?.version };
  const last = latest(history);
  if (!last || last.info.status === 'uninstalled') {
    if (ctx.options.installIfMissing) return prepareInstall(ctx, input, store, deps, history);
    throw new HelmSfnError(ErrorName.ReleaseNotFound, `"${ctx.release}" has no deployed releases`);
  }
  assertNotPending(last, ctx);
  const current = lastDeployed(history) ?? last;
  const { reuseValues, resetValues, serverSide } = ctx.options;
  const rendered = await deps.renderer.render({
    ...(await chartRequest(ctx, input, deps)),
    history: [...new Set([current, last])],
    reuseValues,
    resetValues,
    serverSide: serverSide ?? 'auto',
  });
  const plan = await mappedPlan(ctx, 'upgrade', rendered, current.manifest ?? '', deps);
  await assertAdoptable(ctx, 'update', rendered, current.manifest ?? '', deps);
  await pruneHistory(history, ctx, store);
  const info = { first_deployed: current.info.first_deployed, last_deployed: deps.clock().toISOString(), status: 'pending-upgrade' as const, description: 'Preparing upgrade' };
  await lock(store, newRecord(rendered, last.version + 1, info), deps);
  return { ...ctx, revision: last.version + 1, previousRevision: current.version, warnings: bounded(plan.warnings) };
}

/**
 * Helm's rollback (pkg/action/rollback.go): a new revision with the target revision's chart,
 * values, manifest and hooks — no re-render. An atomic upgrade recovers through here, to the
 * newest revision that was deployed before this execution's own.
 */
async function prepareRollback(ctx: ReleaseContext, requested: number | undefined, store: ReleaseStore, deps: EngineDeps): Promise<ReleaseContext> {
  const history = await store.history(ctx.release, ctx.namespace);
  const mine = await ownLock(history, ctx, store);
  if (mine) return { ...ctx, revision: mine.version, previousRevision: mine.version - 1 };
  const last = latest(history);
  if (!last) throw new HelmSfnError(ErrorName.ReleaseNotFound, `release: not found: ${ctx.release} in ${ctx.namespace}`);
  if (!ctx.recovering) assertNotPending(last, ctx);
  const wanted = ctx.recovering ? recoveryTarget(history, ctx) : (requested ?? last.version - 1);
  const target = history.find((r) => r.version === wanted);
  if (!target) {
    throw new HelmSfnError(ErrorName.ReleaseNotFound, wanted ? `release "${ctx.release}" has no ${wanted} version` : `release "${ctx.release}" has no revision to roll back to`);
  }
  const revision = last.version + 1;
  await mappedPlan(ctx, 'rollback', target, last.manifest ?? '', deps);
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
    deps,
  );
  return { ...ctx, revision, previousRevision: last.version };
}

/** Helm's uninstall start: the latest record becomes `uninstalling` (pkg/action/uninstall.go). */
async function prepareUninstall(ctx: ReleaseContext, store: ReleaseStore, deps: EngineDeps): Promise<ReleaseContext> {
  const history = await store.history(ctx.release, ctx.namespace);
  const last = latest(history);
  if (!last) throw new HelmSfnError(ErrorName.ReleaseNotFound, `uninstall: release not loaded: ${ctx.release}: release: not found`);
  if (last.info.status === 'uninstalled' && ctx.options.keepHistory) {
    throw new HelmSfnError(ErrorName.ReleaseNotFound, `release ${ctx.release} is already uninstalled`);
  }
  if (!ctx.recovering) assertNotPending(last, ctx);
  await store.setStatus(last, 'uninstalling', 'Deletion in progress (or silently failed)', { deleted: deps.clock().toISOString() });
  return { ...ctx, revision: last.version };
}

/** Helm's test (pkg/action/release_testing.go): the last revision's test hooks; no new record. */
async function prepareTest(ctx: ReleaseContext, store: ReleaseStore): Promise<ReleaseContext> {
  const last = latest(await store.history(ctx.release, ctx.namespace));
  if (!last) throw new HelmSfnError(ErrorName.ReleaseNotFound, `release: not found: ${ctx.release} in ${ctx.namespace}`);
  return { ...ctx, revision: last.version };
}

/**
 * Step Functions retries a task whose result was lost: a prepare that finds the lock its own
 * execution took carries on with it instead of reporting it as someone else's.
 */
async function ownLock(history: HelmRelease[], ctx: ReleaseContext, store: ReleaseStore): Promise<HelmRelease | undefined> {
  const last = latest(history);
  if (!last || !isPending(last.info.status) || !ctx.execution) return undefined;
  return (await store.ownerOf(ctx.release, ctx.namespace, last.version)) === ctx.execution ? last : undefined;
}

/** Unlike Helm, rollback and uninstall also refuse a release another operation holds (design.md §3.8). */
function assertNotPending(last: HelmRelease, ctx: ReleaseContext): void {
  if (isPending(last.info.status)) {
    throw new HelmSfnError(
      ErrorName.ReleaseLocked,
      `another operation (install/upgrade/rollback) is in progress: ${ctx.release} revision ${last.version} is ${last.info.status}`,
    );
  }
}

/** Atomic recovery: the newest deployed or superseded revision older than the failed one. */
function recoveryTarget(history: HelmRelease[], ctx: ReleaseContext): number | undefined {
  return [...history].reverse().find((r) => r.version < (ctx.revision ?? Infinity) && (r.info.status === 'deployed' || r.info.status === 'superseded'))?.version;
}

/** History pruning happens before the new record is created, as in Helm's Storage.Create. */
async function pruneHistory(history: HelmRelease[], ctx: ReleaseContext, store: ReleaseStore): Promise<void> {
  for (const old of recordsToPrune(history, ctx.options.historyMax)) await store.remove(ctx.release, ctx.namespace, old.version);
}

/** The chart and values of an install or upgrade, fetched to local files. */
async function chartRequest(ctx: ReleaseContext, input: ExecutionInput, deps: EngineDeps) {
  if (!input.chart) throw new HelmSfnError(ErrorName.InvalidInput, `chart: required for ${ctx.action}`);
  const chartPath = await deps.fetch(input.chart.source);
  const valuesFiles = await Promise.all((input.valuesFrom ?? []).map((source) => deps.fetch(source)));
  return { release: ctx.release, namespace: ctx.namespace, chartPath, values: input.values, valuesFiles, set: input.set };
}

/**
 * The action's plan, after every object of the release — hooks included — was resolved to a kind
 * the cluster serves: Helm maps the whole release before its first write, so an unknown kind
 * fails here, with Helm's message, and nothing is written.
 */
async function mappedPlan(ctx: ReleaseContext, action: 'install' | 'upgrade' | 'rollback', rel: HelmRelease, previousManifest: string, deps: EngineDeps): Promise<ReleasePlan> {
  const plan = planRelease({ action, release: ctx.release, namespace: ctx.namespace, manifest: rel.manifest ?? '', hooks: hooksOf(rel), previousManifest, hookMode: ctx.options.hookMode, noHooks: ctx.options.noHooks });
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
async function assertAdoptable(ctx: ReleaseContext, verb: 'install' | 'update', rel: HelmRelease, currentManifest: string, deps: EngineDeps): Promise<void> {
  if (ctx.options.takeOwnership) return;
  const current = new Set((currentManifest.trim() ? splitManifest(currentManifest) : []).map((d) => refKey(refOf(d.object, ctx.namespace))));
  for (const doc of resourcesOf(rel)) {
    const ref = refOf(doc.object, ctx.namespace);
    if (current.has(refKey(ref))) continue;
    const live = await deps.kube.get(ref);
    const conflict = live && ownershipConflict(live, ctx.release, ctx.namespace);
    if (conflict) throw new HelmSfnError(ErrorName.ApplyFailed, `unable to continue with ${verb}: ${conflict}`);
  }
}

/** Helm 4's apply method for a new revision (pkg/action: `--server-side` true | false | auto = that of the revision it starts from). */
export function applyMethod(serverSide: boolean | 'auto', last: HelmRelease | undefined): 'ssa' | 'csa' {
  return serverSide === 'auto' ? (last?.apply_method === 'ssa' ? 'ssa' : 'csa') : serverSide ? 'ssa' : 'csa';
}

/** Helm's rendered release as the new revision's record: what Helm stores, with our status. */
function newRecord(rendered: RenderedRelease, version: number, info: HelmRelease['info']): HelmRelease {
  return { ...rendered, info: { ...info, ...(rendered.info?.notes ? { notes: rendered.info.notes } : {}) }, version };
}

/** Creating the revision's record takes the release's lock. */
async function lock(store: ReleaseStore, record: HelmRelease, deps: EngineDeps): Promise<void> {
  await store.create(record);
  deps.logger.info(`release locked: revision ${record.version} ${record.info.status}`, { release: record.name, namespace: record.namespace });
}

/**
 * CRDs from the chart's crds/ directories, before anything else (pkg/action/install.go
 * installCRDs): applied, then given up to 60 s to be Established. Never upgraded or deleted.
 */
async function installCrds(crdManifest: string, deps: EngineDeps): Promise<void> {
  const crds = classifyManifest(splitManifest(crdManifest)).crds;
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
