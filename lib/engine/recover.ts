/**
 * Stuck locks (docs/operations.md#stuck-locks-and-helm-sfn-unlock): a release whose last record is pending-* because the
 * execution holding it was aborted, timed out or failed without reaching the failure path.
 * Helm leaves such a release stuck forever; helm-sfn turns it `failed`, so it can move again.
 */
import { ErrorName, HelmSfnError } from '../core/errors';
import { afterFailure, afterSuccess } from '../core/delete-policy';
import { hookRef } from '../core/hooks';
import { hookState } from '../core/readiness';
import { latest, type HelmRelease } from '../core/release-record';
import type { EngineDeps } from './deps';
import { hookObject, hooksOf, storedHook } from './record-contents';
import { ReleaseStore, type LockHolder } from './release-store';

/** The `detail` of Step Functions' "Step Functions Execution Status Change" event. */
export interface ExecutionStatusDetail {
  readonly executionArn: string;
  readonly status: string;
  /** The execution input, as a JSON string. */
  readonly input?: string | null;
}

export type RecoveryOutcome =
  | { readonly recovered: true; readonly release: string; readonly namespace: string; readonly revision: number }
  | { readonly recovered: false; readonly reason: string };

const ENDED = new Set(['ABORTED', 'TIMED_OUT', 'FAILED']);

/** Turn the record an ended execution still holds into `failed` (or drop its claim); anything else is left alone. */
export async function recoverRelease(detail: ExecutionStatusDetail, deps: EngineDeps): Promise<RecoveryOutcome> {
  if (!ENDED.has(detail.status)) return { recovered: false, reason: `execution is ${detail.status}` };
  const target = releaseOf(detail.input);
  if (!target) return { recovered: false, reason: 'the execution input names no release' };
  const store = new ReleaseStore(deps);
  const history = await store.history(target.release, target.namespace);
  const last = latest(history);
  const holder = last && store.lockOf(last);
  if (!last || !holder) return { recovered: false, reason: `${target.release} holds no lock` };
  if (holder.execution !== detail.executionArn) return { recovered: false, reason: `revision ${last.version} is held by ${holder.execution ?? 'another client'}` };

  const name = detail.executionArn.split(':').pop();
  await free(store, history, holder, `Release "${target.release}" failed: execution ${name} ended ${detail.status} before it finished`);
  await sweepHooks(last, target.namespace, deps);
  deps.logger.warn('released a stuck lock', { release: target.release, namespace: target.namespace, revision: last.version, status: detail.status });
  return { recovered: true, release: target.release, namespace: target.namespace, revision: last.version };
}

/** What became of the execution that holds a lock, as far as the caller can tell. */
export type OwnerState = 'running' | 'ended' | 'unknown';

export interface UnlockResult {
  readonly revision: number;
  /** The latest record's status before: a pending one is now `failed`; a claimed one keeps its status. */
  readonly previousStatus: string;
  readonly owner?: string;
  /** true when the lock was a claim (a test, or an upgrade before its record existed): no status changed. */
  readonly claim: boolean;
  /** Hooks of the run that are still running: left alone (they may be doing a migration). */
  readonly stillRunning: string[];
}

/**
 * `helm-sfn unlock`: the same by hand. Refused while the owning execution runs, or may run (its
 * state cannot be checked), unless `steal`: then the release is taken from under it. A record
 * helm-sfn did not write (a crashed helm CLI) has no owner and is released as is.
 */
export async function unlockRelease(
  target: { release: string; namespace: string },
  ownerState: (holder: LockHolder) => Promise<OwnerState>,
  deps: EngineDeps,
  opts: { steal?: boolean } = {},
): Promise<UnlockResult> {
  const store = new ReleaseStore(deps);
  const history = await store.history(target.release, target.namespace);
  const last = latest(history);
  if (!last) throw new HelmSfnError(ErrorName.ReleaseNotFound, `release: not found: ${target.release} in ${target.namespace}`);
  const holder = store.lockOf(last);
  if (!holder) throw new HelmSfnError(ErrorName.InvalidInput, `${target.release} is not locked: revision ${last.version} is ${last.info.status}`);
  const owner = holder.execution;
  const state = owner ? await ownerState(holder) : 'ended';
  if (state !== 'ended' && !opts.steal) {
    const why = state === 'running' ? 'which is still running (--steal takes the release from it anyway)' : 'which may still be running (its state cannot be checked from here)';
    throw new HelmSfnError(ErrorName.ReleaseLocked, `revision ${last.version} is held by execution ${owner}, ${why}`);
  }
  const previousStatus = last.info.status;
  await free(store, history, holder, `Release "${target.release}" failed: unlocked by hand (was ${previousStatus})`);
  const stillRunning = await sweepHooks(last, target.namespace, deps);
  return { revision: last.version, previousStatus, ...(owner ? { owner } : {}), claim: holder.by === 'claim', stillRunning };
}

/** The latest record's pending status becomes `failed`; the holder's claims on any record are dropped. */
async function free(store: ReleaseStore, history: HelmRelease[], holder: LockHolder, description: string): Promise<void> {
  const last = latest(history)!;
  if (holder.by === 'status') await store.setStatus(last, 'failed', description);
  for (const rel of history) {
    if (store.lockOf(rel)?.by === 'claim' && store.lockOf(rel)?.execution === holder.execution) await store.releaseClaim(rel);
  }
}

/**
 * Delete the hooks of `rel` that their delete policy would have removed by now, judged on the
 * live objects: finished, with hook-succeeded or hook-failed matching how they finished. For
 * runs that ended early — a failure path whose cleanup call failed, an execution that was
 * killed. Hooks this revision never started are not touched; one still running is left alone
 * and named (it may be a migration: stopping it is not ours to decide).
 */
export async function sweepHooks(rel: HelmRelease, namespace: string, deps: EngineDeps): Promise<string[]> {
  const stillRunning: string[] = [];
  for (const hook of hooksOf(rel)) {
    if (!storedHook(rel, hook)?.last_run?.phase) continue;
    const ref = hookRef(hook, namespace);
    const live = await deps.kube.get(ref);
    if (!live) continue;
    const { state } = hookState(hook.kind, live, hookObject(hook, namespace));
    if (state === 'running') {
      stillRunning.push(`${hook.kind}/${hook.name}`);
      continue;
    }
    if ((state === 'succeeded' ? afterSuccess(hook) : afterFailure(hook)).action === 'delete') await deps.kube.delete(ref);
  }
  return stillRunning;
}

/** The release (and cluster) an execution's input names; the input is unvalidated JSON text. */
export function releaseOf(input: string | null | undefined): { release: string; namespace: string; cluster?: string } | undefined {
  try {
    const parsed = JSON.parse(input ?? '') as { release?: unknown; namespace?: unknown; cluster?: unknown };
    if (typeof parsed.release !== 'string' || typeof parsed.namespace !== 'string') return undefined;
    return { release: parsed.release, namespace: parsed.namespace, ...(typeof parsed.cluster === 'string' ? { cluster: parsed.cluster } : {}) };
  } catch {
    return undefined;
  }
}
