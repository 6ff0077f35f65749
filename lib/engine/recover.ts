/**
 * Stuck locks (design.md §3 item 8): a release whose last record is pending-* because the
 * execution holding it was aborted, timed out or failed without reaching the failure path.
 * Helm leaves such a release stuck forever; helm-sfn turns it `failed`, so it can move again.
 */
import { ErrorName, HelmSfnError } from '../core/errors';
import { isPending, latest } from '../core/release';
import type { EngineDeps } from './deps';
import { ReleaseStore } from './releases';

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

/** Turn the record an ended execution still holds into `failed`; anything else is left alone. */
export async function recoverRelease(detail: ExecutionStatusDetail, deps: EngineDeps): Promise<RecoveryOutcome> {
  if (!ENDED.has(detail.status)) return { recovered: false, reason: `execution is ${detail.status}` };
  const target = releaseOf(detail.input);
  if (!target) return { recovered: false, reason: 'the execution input names no release' };
  const store = new ReleaseStore(deps);
  const last = latest(await store.history(target.release, target.namespace));
  if (!last || !isPending(last.info.status)) return { recovered: false, reason: `${target.release} holds no lock` };
  const owner = await store.ownerOf(target.release, target.namespace, last.version);
  if (owner !== detail.executionArn) return { recovered: false, reason: `revision ${last.version} is held by ${owner ?? 'another client'}` };

  const name = detail.executionArn.split(':').pop();
  await store.setStatus(last, 'failed', `Release "${target.release}" failed: execution ${name} ended ${detail.status} before it finished`);
  deps.logger.warn('released a stuck lock', { release: target.release, namespace: target.namespace, revision: last.version, status: detail.status });
  return { recovered: true, release: target.release, namespace: target.namespace, revision: last.version };
}

/** What became of the execution that holds a lock, as far as the caller can tell. */
export type OwnerState = 'running' | 'ended' | 'unknown';

/**
 * `helm-sfn unlock`: the same by hand, refused while the owning execution runs (or may run).
 * A record helm-sfn did not write (a crashed helm CLI) has no owner and is released as is.
 */
export async function unlockRelease(
  target: { release: string; namespace: string },
  ownerState: (executionArn: string) => Promise<OwnerState>,
  deps: EngineDeps,
): Promise<{ revision: number; previousStatus: string; owner?: string }> {
  const store = new ReleaseStore(deps);
  const last = latest(await store.history(target.release, target.namespace));
  if (!last) throw new HelmSfnError(ErrorName.ReleaseNotFound, `release: not found: ${target.release} in ${target.namespace}`);
  if (!isPending(last.info.status)) throw new HelmSfnError(ErrorName.InvalidInput, `${target.release} is not locked: revision ${last.version} is ${last.info.status}`);
  const owner = await store.ownerOf(target.release, target.namespace, last.version);
  const state = owner ? await ownerState(owner) : 'ended';
  if (state !== 'ended') {
    const why = state === 'running' ? 'which is still running' : 'which may still be running (its state cannot be checked from here)';
    throw new HelmSfnError(ErrorName.ReleaseLocked, `revision ${last.version} is held by execution ${owner}, ${why}`);
  }
  const previousStatus = last.info.status;
  await store.setStatus(last, 'failed', `Release "${target.release}" failed: unlocked by hand (was ${previousStatus})`);
  return { revision: last.version, previousStatus, ...(owner ? { owner } : {}) };
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
