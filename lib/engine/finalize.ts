/**
 * The last steps: record the outcome (Helm's statuses and descriptions: docs/semantics.md#statuses-and-descriptions)
 * and report. `markFailed` is the single entry of the failure path.
 */
import { MAX_LISTED_HOOKS, type FailureInfo, type FailureVerdict, type HookSummary, type ReleaseContext, type ReleaseOutput, type TaskInput } from '../core/contract';
import type { HookEvent } from '../core/hooks';
import { EVENTS_BY_ACTION } from '../core/plan';
import type { HelmRelease } from '../core/release-record';
import { ErrorName, isHelmSfnError, lambdaErrorMessage } from '../core/errors';
import type { EngineDeps } from './deps';
import { effectiveAction, hooksOf, storedHook } from './record-contents';
import { redactValues } from '../core/redact';
import { settle } from './hooks';
import { sweepHooks } from './recover';
import { currentRecord, holdsLock, storeFor, type ReleaseStore } from './release-store';

export async function finalize({ ctx }: TaskInput<'finalize'>, deps: EngineDeps): Promise<ReleaseOutput> {
  const store = storeFor(ctx, deps);
  const action = effectiveAction(ctx);
  const keepsHistory = action === 'uninstall' && ctx.options.keepHistory && !ctx.recovering;
  // every other `deployed` revision becomes `superseded` before this one takes its status; done
  // before this one is read, so a big chart's records (tens of MB decoded) are held one at a time
  if (action === 'upgrade' || action === 'rollback' || keepsHistory) await supersedeOthers(store, ctx);
  const rel = await recordUnlessPurged(ctx, deps, store);
  if (!rel) return { release: ctx.release, namespace: ctx.namespace, revision: ctx.revision!, status: 'uninstalled', hooks: [], warnings: ctx.warnings ?? [] };
  settle(rel, ctx);
  const now = deps.clock().toISOString();
  switch (action) {
    case 'uninstall':
      if (keepsHistory) await store.setStatus(rel, 'uninstalled', 'Uninstallation complete');
      else await store.purge(rel);
      break;
    case 'install':
      await store.setStatus(rel, 'deployed', 'Install complete', { last_deployed: now });
      break;
    case 'upgrade':
      await store.setStatus(rel, 'deployed', 'Upgrade complete', { last_deployed: now });
      break;
    case 'rollback':
      await store.setStatus(rel, 'deployed', rel.info.description ?? 'Rollback complete', { last_deployed: now });
      break;
    case 'test':
      // the hooks' last runs, once more at the end, and the claim given back; never a status change (pkg/action/release_testing.go)
      await store.releaseClaim(rel);
      break;
  }
  return summary(rel, ctx);
}

/**
 * This execution's record — or nothing, for an uninstall whose purge is done: the purge removes
 * that record last, so a task retried after that write (its answer lost) finds it gone.
 */
async function recordUnlessPurged(ctx: ReleaseContext, deps: EngineDeps, store: ReleaseStore): Promise<HelmRelease | undefined> {
  try {
    return await currentRecord(ctx, deps, store);
  } catch (e) {
    if (effectiveAction(ctx) === 'uninstall' && isHelmSfnError(e, ErrorName.ReleaseNotFound)) return undefined;
    throw e;
  }
}

/** The release's other `deployed` revisions become `superseded`, each decoded alone. */
async function supersedeOthers(store: ReleaseStore, ctx: ReleaseContext): Promise<void> {
  for (const revision of await store.revisions(ctx.release, ctx.namespace)) {
    if (revision.version === ctx.revision || revision.info.status !== 'deployed') continue;
    const other = revision.read();
    if (other.info.status === 'deployed') await store.setStatus(other, 'superseded', other.info.description ?? '');
  }
}

/**
 * Record the failure on this execution's revision (if it got that far), turn the error into a
 * clean cause, and say what comes next: an atomic install uninstalls, an atomic upgrade rolls
 * back, anything else fails. Every path leaves a consistent record and frees the lock — except
 * an atomic failure, whose record keeps this execution's claim until its recovery took over.
 * A test failure never changes the release's status; an uninstall that failed while purging
 * the history (its record already `uninstalled`) finishes the purge rather than un-deleting.
 */
export async function markFailed({ ctx, error }: TaskInput<'markFailed'>, deps: EngineDeps): Promise<FailureVerdict> {
  const cause = redactValues(lambdaErrorMessage(error.Cause));
  const failure = { Error: error.Error, Cause: ctx.recovering ? `${ctx.recovering} after a failure failed too: ${cause}` : cause };
  const store = storeFor(ctx, deps);
  if (ctx.revision === undefined) {
    // failed while taking the lock: give back whatever part of it this execution got
    await releaseOwnLocks(ctx, store, failure);
    return { ctx, error: failure, next: 'fail' };
  }
  const rel = await recordUnlessPurged(ctx, deps, store);
  if (!rel) return { ctx, error: failure, next: 'fail' };
  if (ctx.action === 'test') {
    if (store.claimedByMe(rel)) await store.releaseClaim(rel); // a failed hook group gave it back already
    await sweepHooks(rel, ctx.namespace, deps);
    return { ctx, error: failure, next: 'fail' };
  }
  if (effectiveAction(ctx) === 'uninstall' && rel.info.status === 'uninstalled' && !ctx.options.keepHistory) {
    await store.purge(rel);
    return { ctx, error: failure, next: 'fail' };
  }

  settle(rel, ctx);
  const recovery = ctx.options.atomic && !ctx.recovering && (ctx.action === 'install' || ctx.action === 'upgrade');
  await store.setStatus(rel, 'failed', failureDescription(ctx, firstLine(cause)), {}, { keepClaim: recovery });
  deps.logger.error('release failed', { release: ctx.release, revision: ctx.revision, error: failure.Error });
  await sweepHooks(rel, ctx.namespace, deps);

  if (!recovery) return { ctx, error: failure, next: 'fail' };
  if (ctx.action === 'install') return { ctx: { ...ctx, recovering: 'uninstall' }, error: failure, next: 'uninstall' };
  return { ctx: { ...ctx, recovering: 'rollback' }, error: failure, next: 'rollback' };
}

/**
 * A failure before `prepare` returned: the claim this execution may have put on the latest
 * record, or the pending record it may have created (whose answer was lost), are released.
 */
async function releaseOwnLocks(ctx: ReleaseContext, store: ReleaseStore, failure: FailureInfo): Promise<void> {
  if (!ctx.execution) return;
  for (const revision of await store.revisions(ctx.release, ctx.namespace)) {
    if (!store.mayBeMine(revision)) continue;
    const rel = revision.read();
    if (holdsLock(rel.info.status) && store.isMine(rel)) await store.setStatus(rel, 'failed', failureDescription({ ...ctx, revision: rel.version }, firstLine(failure.Cause ?? '')));
    else if (store.claimedByMe(rel)) await store.releaseClaim(rel);
  }
}

/** Helm's descriptions (pkg/action/install.go, upgrade.go, rollback.go failRelease). */
function failureDescription(ctx: ReleaseContext, cause: string): string {
  switch (effectiveAction(ctx)) {
    case 'upgrade':
      return `Upgrade "${ctx.release}" failed: ${cause}`;
    case 'rollback':
      return `Rollback "${ctx.release}" failed: ${cause}`;
    case 'uninstall':
      return `Uninstall "${ctx.release}" failed: ${cause}`;
    default:
      return `Release "${ctx.release}" failed: ${cause}`;
  }
}

const firstLine = (text: string) => text.split('\n')[0].slice(0, 500);

function summary(rel: HelmRelease, ctx: ReleaseContext): ReleaseOutput {
  const events: readonly HookEvent[] = EVENTS_BY_ACTION[effectiveAction(ctx)];
  const hooks: HookSummary[] = hooksOf(rel).flatMap((h) => {
    const run = storedHook(rel, h)?.last_run;
    if (!run?.phase) return [];
    const seconds =
      run.started_at && run.completed_at ? Math.round((Date.parse(run.completed_at) - Date.parse(run.started_at)) / 100) / 10 : undefined;
    return h.events.filter((event) => events.includes(event)).map((event: HookEvent) => ({ name: h.name, kind: h.kind, event, weight: h.weight, phase: run.phase, ...(seconds !== undefined ? { seconds } : {}) }));
  });
  const listed = hooks.length <= MAX_LISTED_HOOKS ? hooks : longest(hooks, MAX_LISTED_HOOKS);
  return {
    release: rel.name,
    namespace: rel.namespace,
    revision: rel.version,
    status: rel.info.status,
    hooks: listed,
    ...(listed.length < hooks.length ? { hooksNotListed: hooks.length - listed.length } : {}),
    warnings: ctx.warnings ?? [],
  };
}

/** The `n` longest-running hooks (failed ones first), in their original order. */
function longest(hooks: HookSummary[], n: number): HookSummary[] {
  const rank = (h: HookSummary) => (h.phase === 'Failed' ? Infinity : (h.seconds ?? 0));
  const kept = new Set([...hooks].sort((a, b) => rank(b) - rank(a)).slice(0, n));
  return hooks.filter((h) => kept.has(h));
}

