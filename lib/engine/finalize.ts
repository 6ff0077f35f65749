/**
 * The last steps: record the outcome (Helm's statuses and descriptions, helm-semantics.md §6–7)
 * and report. `markFailed` is the single entry of the failure path.
 */
import type { FailureInfo, HookSummary, ReleaseContext, ReleaseOutput } from '../core/contract';
import type { HookEvent } from '../core/hooks';
import { EVENTS_BY_ACTION } from '../core/plan';
import type { HelmRelease } from '../core/release';
import type { EngineDeps } from './deps';
import { hooksOf, storedHook } from './record';
import { currentRecord, ReleaseStore } from './releases';

export async function finalize({ ctx }: { ctx: ReleaseContext }, deps: EngineDeps): Promise<ReleaseOutput> {
  const store = new ReleaseStore(deps);
  const rel = await currentRecord(ctx, deps);
  const now = deps.clock().toISOString();
  if (ctx.action === 'uninstall' || ctx.recovering === 'uninstall') {
    if (ctx.options.keepHistory && !ctx.recovering) await store.setStatus(rel, 'uninstalled', 'Uninstallation complete');
    else await store.purge(rel);
  } else {
    await store.setStatus(rel, 'deployed', 'Install complete', { last_deployed: now });
  }
  return summary(rel, ctx);
}

/**
 * Record the failure on this execution's revision (if it got that far), turn the error into a
 * clean cause, and say what comes next: an atomic install uninstalls, anything else fails.
 */
export async function markFailed(
  { ctx, error }: { ctx: ReleaseContext; error: FailureInfo },
  deps: EngineDeps,
): Promise<{ ctx: ReleaseContext; error: FailureInfo; next: 'uninstall' | 'fail' }> {
  const failure = { Error: error.Error, Cause: causeText(error.Cause) };
  if (ctx.revision === undefined) return { ctx, error: failure, next: 'fail' };

  const store = new ReleaseStore(deps);
  const rel = await currentRecord(ctx, deps);
  const verb = ctx.action === 'uninstall' ? 'uninstallation' : ctx.action;
  await store.setStatus(rel, 'failed', `Release "${ctx.release}" failed (${verb}): ${firstLine(failure.Cause)}`);
  deps.logger.error('release failed', { release: ctx.release, revision: ctx.revision, error: failure.Error });

  if (ctx.action === 'install' && ctx.options.atomic && !ctx.recovering) {
    return { ctx: { ...ctx, recovering: 'uninstall' }, error: failure, next: 'uninstall' };
  }
  return { ctx, error: failure, next: 'fail' };
}

/** Step Functions wraps Lambda errors as {"errorType","errorMessage","trace"}: keep the message. */
function causeText(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: already plain text
  }
  return cause;
}

const firstLine = (text: string) => text.split('\n')[0].slice(0, 500);

function summary(rel: HelmRelease, ctx: ReleaseContext): ReleaseOutput {
  const events: readonly HookEvent[] = EVENTS_BY_ACTION[ctx.recovering ?? ctx.action];
  const hooks: HookSummary[] = hooksOf(rel).flatMap((h) => {
    const run = storedHook(rel, h)?.last_run;
    if (!run?.phase) return [];
    const seconds =
      run.started_at && run.completed_at ? Math.round((Date.parse(run.completed_at) - Date.parse(run.started_at)) / 100) / 10 : undefined;
    return h.events.filter((event) => events.includes(event)).map((event: HookEvent) => ({ name: h.name, kind: h.kind, event, weight: h.weight, phase: run.phase, ...(seconds !== undefined ? { seconds } : {}) }));
  });
  return { release: rel.name, namespace: rel.namespace, revision: rel.version, status: rel.info.status, hooks, warnings: ctx.warnings ?? [] };
}

