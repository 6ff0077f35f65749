/**
 * When hooks are deleted and their logs copied — Helm's `pkg/action/hooks.go`
 * (`execHookWithDelayedShutdown`, `deleteHookByPolicy`, `outputLogsByPolicy`). Each rule
 * returns a verdict with its reason, so callers can log why.
 */
import { BEFORE_HOOK_CREATION, effectiveDeletePolicies, HOOK_FAILED, HOOK_SUCCEEDED, hookId, type Hook } from './hooks';

export interface DeleteVerdict {
  action: 'delete' | 'keep';
  reason: string;
}

/** `hookSetDeletePolicy`/`deleteHookByPolicy`: CRDs are never deleted, as that would cascade to every custom resource. */
function byPolicy(hook: Hook, policy: string): DeleteVerdict {
  if (hook.kind === 'CustomResourceDefinition') return { action: 'keep', reason: 'a CustomResourceDefinition is never deleted by a hook policy' };
  const policies = effectiveDeletePolicies(hook);
  if (policies.includes(policy)) {
    const implied = hook.deletePolicies.length === 0 ? ' (the default when no policy is set)' : '';
    return { action: 'delete', reason: `delete policy ${policy}${implied}` };
  }
  return { action: 'keep', reason: `delete policies [${policies.join(', ')}] do not include ${policy}` };
}

/** Right before the hook's own creation: removes the object a previous run left behind. */
export const beforeCreation = (hook: Hook): DeleteVerdict => byPolicy(hook, BEFORE_HOOK_CREATION);

/** After the whole event succeeded (or, on failure, for hooks that ran before the failed one). */
export const afterSuccess = (hook: Hook): DeleteVerdict => byPolicy(hook, HOOK_SUCCEEDED);

/** Right after the hook failed (after its logs were copied); not when its creation failed. */
export const afterFailure = (hook: Hook): DeleteVerdict => byPolicy(hook, HOOK_FAILED);

/** Every hook of the event succeeded: delete hook-succeeded ones in reverse execution order. */
export function cleanupOnEventSuccess(executed: readonly Hook[]): Hook[] {
  return [...executed].reverse().filter((h) => afterSuccess(h).action === 'delete');
}

/**
 * A hook (or, in weight-groups mode, several) failed: first the failed hooks that have
 * hook-failed, then the hooks that ran before and have hook-succeeded, in execution order.
 * `executed` = hooks that were created, in execution order (failed ones may be included; hooks
 * still running in a failed group should not be: they are left alone,
 * docs/semantics.md#deliberate-differences-from-helm).
 */
export function cleanupOnEventFailure(executed: readonly Hook[], failed: readonly Hook[]): Hook[] {
  const failedIds = new Set(failed.map(hookId));
  return [
    ...failed.filter((h) => afterFailure(h).action === 'delete'),
    ...executed.filter((h) => !failedIds.has(hookId(h)) && afterSuccess(h).action === 'delete'),
  ];
}

/** Pods whose containers' logs belong to a hook (`outputLogsByPolicy`). */
export type PodSelector = { labelSelector: string } | { fieldSelector: string };

export type LogVerdict = { action: 'copy'; reason: string; pods: PodSelector } | { action: 'skip'; reason: string };

/** The pods of a Job (label `job-name`) or a Pod hook; other kinds have no container logs. */
export function hookPods(hook: Pick<Hook, 'kind' | 'name'>): PodSelector | undefined {
  if (hook.kind === 'Job') return { labelSelector: `job-name=${hook.name}` };
  if (hook.kind === 'Pod') return { fieldSelector: `metadata.name=${hook.name}` };
  return undefined;
}

/** `helm.sh/hook-output-log-policy`: only Jobs (their pods) and Pods have logs to copy. */
export function logsToCopy(hook: Hook, outcome: 'succeeded' | 'failed'): LogVerdict {
  const policy = outcome === 'succeeded' ? HOOK_SUCCEEDED : HOOK_FAILED;
  if (!hook.outputLogPolicies.includes(policy)) return { action: 'skip', reason: `output-log policies do not include ${policy}` };
  const pods = hookPods(hook);
  return pods ? { action: 'copy', reason: `output-log policy ${policy}`, pods } : { action: 'skip', reason: `a ${hook.kind} has no container logs` };
}
