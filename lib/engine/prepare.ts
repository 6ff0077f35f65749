/**
 * The first tasks: validate the input, then take the release's lock (create the next
 * revision's record) with everything later tasks need stored in it — Helm's own order
 * (pkg/action/install.go, uninstall.go).
 */
import { readFile } from 'fs/promises';
import type { ReleaseContext, ReleaseSource } from '../core/contract';
import { ErrorName, HelmSfnError } from '../core/errors';
import { parseExecutionInput, parseSetFile, withDefaultPollSeconds, type ExecutionInput } from '../core/input';
import { classifyManifest } from '../core/hooks';
import { splitManifest } from '../core/manifest';
import { describeRef, refOf, type KubeObject } from '../core/objects';
import { planRelease, type ReleasePlan } from '../core/plan';
import { isPending, lastDeployed, latest, nextRevision, recordsToPrune, type HelmRelease } from '../core/release';
import { upgradeBaseValues } from '../core/values';
import type { EngineDeps, RenderedChart } from './deps';
import { FIELD_MANAGER, effectiveAction, toHelmHook } from './record';
import { storeFor, type ReleaseStore } from './releases';

const CRD_WAIT_SECONDS = 60;
const MAX_WARNINGS = 20;
const MAX_WARNING_CHARS = 300;

export async function validate({ input, execution }: { input: unknown; execution?: string }, deps: EngineDeps): Promise<{ ctx: ReleaseContext; source?: ReleaseSource }> {
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
  return chart ? { ctx, source: { chart, ...(values ? { values } : {}), ...(valuesFrom ? { valuesFrom } : {}), ...(setFrom ? { setFrom } : {}), ...(set ? { set } : {}) } } : { ctx };
}

/** Lock + render + plan. Install and upgrade get the first task's `source`; the others need only `ctx`. */
export async function prepare({ ctx, source }: { ctx: ReleaseContext; source?: ReleaseSource }, deps: EngineDeps): Promise<ReleaseContext> {
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

/** Helm's availableName + render + Create(pending-install): the record creation is the lock. */
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
  const revision = nextRevision(records);
  const rendered = await render(ctx, input, deps, { includeCrds: true });
  await installCrds(rendered.manifest, deps);
  const plan = planRelease({ action: 'install', release: ctx.release, namespace: ctx.namespace, manifest: rendered.manifest, hookMode: ctx.options.hookMode });
  const now = deps.clock().toISOString();
  if (last) await claim(last, store);
  await lock(store, renderedRecord(ctx, rendered, plan, revision, { first_deployed: now, last_deployed: now, status: 'pending-install', description: 'Initial install underway' }), last, deps);
  return { ...ctx, action: 'install', revision, warnings: bounded([...(rendered.warnings ?? []), ...plan.warnings]) };
}

/**
 * Helm's upgrade (pkg/action/upgrade.go): refuse a pending release, render the new chart with
 * the chosen values, prune history, then Create(pending-upgrade) — the lock.
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
  const supplied = Boolean((input.values && Object.keys(input.values).length) || input.valuesFrom?.length || input.setFrom?.length || input.set?.length);
  const { reuseValues, resetValues } = input.options;
  const baseValues = upgradeBaseValues({ previous: current.config ?? {}, supplied, reuseValues, resetValues });
  const rendered = await render(ctx, input, deps, { isUpgrade: true, baseValues });
  const plan = planRelease({
    action: 'upgrade',
    release: ctx.release,
    namespace: ctx.namespace,
    manifest: rendered.manifest,
    previousManifest: current.manifest ?? '',
    hookMode: ctx.options.hookMode,
  });
  const revision = last.version + 1;
  await claim(last, store);
  await pruneHistory(history, ctx, store);
  const info = { first_deployed: current.info.first_deployed, last_deployed: deps.clock().toISOString(), status: 'pending-upgrade' as const, description: 'Preparing upgrade' };
  await lock(store, renderedRecord(ctx, rendered, plan, revision, info), last, deps);
  return { ...ctx, revision, previousRevision: current.version, warnings: bounded([...(rendered.warnings ?? []), ...plan.warnings]) };
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
  await claim(last, store);
  await pruneHistory(history, ctx, store);
  const now = deps.clock().toISOString();
  await lock(
    store,
    {
      ...target,
      info: { first_deployed: last.info.first_deployed, last_deployed: now, status: 'pending-rollback', description: `Rollback to ${target.version}` },
      hooks: (target.hooks ?? []).map((h) => ({ ...h, last_run: { phase: '' } })),
      version: revision,
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

/** Unlike Helm, every action refuses a release another operation holds (design.md §3.8); our own lock passes. */
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

async function render(
  ctx: ReleaseContext,
  input: ExecutionInput,
  deps: EngineDeps,
  extra: { includeCrds?: boolean; isUpgrade?: boolean; baseValues?: Record<string, unknown> },
): Promise<RenderedChart> {
  if (!input.chart) throw new HelmSfnError(ErrorName.InvalidInput, `chart: required for ${ctx.action}`);
  const chartPath = await deps.fetch(input.chart.source);
  const valuesFiles = await Promise.all((input.valuesFrom ?? []).map((source) => deps.fetch(source)));
  const set = [...(await setFileItems(input.setFrom ?? [], deps)), ...(input.set ?? [])];
  return deps.renderer.render({ release: ctx.release, namespace: ctx.namespace, chartPath, values: input.values, valuesFiles, set, ...extra });
}

/** The `--set` items of the input's set files, in order (parseSetFile: Helm parses them, as --set). */
async function setFileItems(sources: string[], deps: EngineDeps): Promise<string[]> {
  const items: string[][] = [];
  for (const [i, source] of sources.entries()) items.push(parseSetFile(await readFile(await deps.fetch(source), 'utf8'), `setFrom[${i}]`));
  return items.flat();
}

/** The new revision's record from a render: what Helm stores (pkg/action/install.go, upgrade.go). */
function renderedRecord(ctx: ReleaseContext, rendered: RenderedChart, plan: ReleasePlan, revision: number, info: HelmRelease['info']): HelmRelease {
  return {
    name: ctx.release,
    info,
    chart: rendered.chart,
    ...(Object.keys(rendered.config).length ? { config: rendered.config } : {}),
    manifest: plan.releaseManifest,
    hooks: plan.releaseHooks.map(toHelmHook),
    version: revision,
    namespace: ctx.namespace,
    apply_method: 'ssa',
  };
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
 * CRDs from the chart's crds/ directories, before anything else (pkg/action/install.go
 * installCRDs): applied, then given up to 60 s to be Established. Never upgraded or deleted.
 */
async function installCrds(manifest: string, deps: EngineDeps): Promise<void> {
  const crds = classifyManifest(splitManifest(manifest)).crds;
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
