/**
 * Hook tasks: one weight group at a time (docs/semantics.md#weight-groups-and-sequential-mode;
 * Helm's rules from helm v4.1.4 `pkg/action/hooks.go`: docs/semantics.md#delete-policies).
 * applyHookGroup creates a group's objects in Helm's order; pollHookGroup reads them until all
 * finished, one failed, or the group timed out; finishHooks and failHookGroup enforce the
 * delete and output-log policies with Helm's timing.
 */
import { mapLimit } from '../core/concurrency';
import type { FailureInfo, HookCursor, HookTaskInput, ReleaseContext } from '../core/contract';
import { ErrorName, HelmSfnError, isHelmSfnError } from '../core/errors';
import { hookRef, type Hook } from '../core/hooks';
import { refKey } from '../core/objects';
import { beforeCreation, cleanupOnEventFailure, cleanupOnEventSuccess, hookPods, logsToCopy } from '../core/delete-policy';
import { pollDelaySeconds, watchSeconds } from '../core/polling';
import { hookState, type HookState } from '../core/readiness';
import type { HelmRelease } from '../core/release-record';
import type { EngineDeps } from './deps';
import { FIELD_MANAGER, effectiveAction, hookGroups, hookObject, storedHook } from './record-contents';
import { currentRecord, storeFor } from './release-store';
import { watchUntil, type LiveObjects } from './watch';

const LOG_LINES = 50;
/**
 * Longest one applyHookGroup waits for before-hook-creation deletions, all hooks of the group
 * together (never longer than the hook timeout): well inside the 120 s function timeout. Past
 * it the task fails KubeTransient and the workflow retries it; hooks already gone are not waited
 * for again.
 */
const DELETE_WAIT_SECONDS = 60;
/** Bound on the failure cause: Step Functions keeps causes ≤ 32 KiB; ours stay readable. */
const MAX_CAUSE_CHARS = 6000;

export async function applyHookGroup({ ctx, hook }: HookTaskInput, deps: EngineDeps): Promise<HookCursor> {
  const store = storeFor(ctx, deps);
  const rel = await currentRecord(ctx, deps);
  const groups = ctx.options.noHooks ? [] : hookGroups(rel, hook.event, ctx);
  if (hook.group >= groups.length) return { event: hook.event, group: hook.group, groups: groups.length, status: 'done', ...(hook.completedAt ? { completedAt: hook.completedAt } : {}) };

  const { hooks, weight } = groups[hook.group];
  const startedAt = deps.clock().toISOString();
  const deletedBy = deps.clock().getTime() + Math.min(ctx.options.timeoutSeconds, DELETE_WAIT_SECONDS) * 1000;
  // the previous group's success reaches the record with this write, as in Helm's one write per hook
  settle(rel, ctx);
  if (hook.completedAt && hook.group > 0) {
    for (const h of groups[hook.group - 1].hooks) markRun(rel, h, { completed_at: hook.completedAt, phase: 'Succeeded' });
  }
  const serverSide = rel.apply_method === 'ssa' || effectiveAction(ctx) === 'uninstall';
  // what this task's earlier attempt wrote before creating this group, none of its hooks being there
  const retried = store.wroteHookGroup(rel, hook.event, hook.group);
  const ownFromEarlierAttempt = new Set<Hook>();
  const leftOver: Hook[] = [];
  for (const h of hooks) {
    const ref = hookRef(h, ctx.namespace);
    if (beforeCreation(h).action === 'delete') {
      await deleteAndWait(deps, ref, deletedBy);
    } else if (await deps.kube.get(ref)) {
      if (retried) {
        ownFromEarlierAttempt.add(h);
      } else {
        // docs/semantics.md#deliberate-differences-from-helm, 7
        leftOver.push(h);
        const outcome = serverSide
          ? 'it is applied over and its old status counts, so it will not run again'
          : 'its creation fails with AlreadyExists, as in Helm';
        deps.logger.warn(`hook ${h.kind}/${h.name} already exists and has no before-hook-creation policy: ${outcome}; delete it (or add before-hook-creation) to run it`, {
          event: hook.event,
        });
      }
    }
    markRun(rel, h, { started_at: startedAt, phase: 'Running' });
  }
  // Helm persists the record (phase Running) before creating each hook; once per group is enough.
  // Only a group none of whose hooks was left over is marked: a retry must never take a left-over hook for its own.
  await store.update(rel, leftOver.length ? {} : { hookGroup: `${hook.event}/${hook.group}` });
  for (const h of hooks) {
    // Helm 4 creates hooks by server-side apply on ssa releases and on uninstall, by POST on csa ones (Helm 3's way)
    if (serverSide) await deps.kube.apply(hookObject(h, ctx.namespace), { fieldManager: FIELD_MANAGER });
    else if (!ownFromEarlierAttempt.has(h)) await deps.kube.create(hookObject(h, ctx.namespace), { fieldManager: FIELD_MANAGER });
    deps.logger.debug(ownFromEarlierAttempt.has(h) ? 'hook created by an earlier attempt of this task' : 'created hook', { hook: `${h.kind}/${h.name}`, event: hook.event, weight });
  }
  return {
    event: hook.event,
    group: hook.group,
    groups: groups.length,
    status: 'running',
    hooks: hooks.map((h) => ({ hook: `${h.kind}/${h.name}`, state: 'created' })),
    startedAt,
    polls: 0,
    timeoutSeconds: Math.max(...hooks.map((h) => timeoutOf(h, ctx))),
    // a group of ConfigMaps, ServiceAccounts… is done once created, and a watched poll sees a Job end: look at once
    nextPollSeconds: hooks.some((h) => hookPods(h)) && ctx.options.pollSeconds.watch === 0 ? pollDelaySeconds(0, ctx.options.pollSeconds) : 0,
  };
}

/**
 * One poll of the group: a look, then (still running) a watch until the group finishes or fails
 * or the window ends, then a last look, which gives the verdict (lib/engine/watch.ts). An API
 * server that does not answer (ClusterUnreachable, or KubeTransient) says nothing about the
 * hooks, which run on in the cluster: the poll reports the group still running until the
 * group's own timeout, and only then fails — a control-plane upgrade during an hour-long
 * migration hook is not a failed hook.
 */
export async function pollHookGroup(input: HookTaskInput, deps: EngineDeps): Promise<HookCursor> {
  try {
    return await watchedPoll(input, deps);
  } catch (e) {
    const { ctx, hook } = input;
    if (!isHelmSfnError(e, ErrorName.ClusterUnreachable) && !isHelmSfnError(e, ErrorName.KubeTransient)) throw e;
    const elapsed = elapsedSeconds(hook, deps);
    if (elapsed > (hook.timeoutSeconds ?? ctx.options.timeoutSeconds)) throw e;
    deps.logger.warn(`cannot look at the ${hook.event} hooks (${e.message}); polling on until their timeout`);
    const polls = (hook.polls ?? 0) + 1;
    return { ...hook, status: 'running', polls, nextPollSeconds: pollDelaySeconds(elapsed, ctx.options.pollSeconds) };
  }
}

async function watchedPoll({ ctx, hook }: HookTaskInput, deps: EngineDeps): Promise<HookCursor> {
  const rel = await currentRecord(ctx, deps);
  const hooks = hookGroups(rel, hook.event, ctx)[hook.group].hooks;
  const first = await look(hooks, { ctx, hook }, deps);
  if (first.cursor.status !== 'running') return first.cursor;
  // the window ends when the first running hook's timeout passes, so a timeout is seen on time
  const running = first.states.filter((s) => s.state === 'running');
  const seconds = watchSeconds(elapsedSeconds(hook, deps), Math.min(...running.map((s) => timeoutOf(s.hook, ctx))), ctx.options.pollSeconds);
  if (seconds <= 0) return first.cursor;
  const outcome = await watchUntil(
    hooks.map((h) => hookRef(h, ctx.namespace)),
    seconds,
    (live) => groupSettled(hooks, live, ctx),
    deps,
  );
  deps.logger.debug('watched hook group', { event: hook.event, group: hook.group, outcome });
  return (await look(hooks, { ctx, hook }, deps)).cursor;
}

/** Finished or failed, as far as the watched objects tell (the verdict is the next look's). */
function groupSettled(hooks: Hook[], live: LiveObjects, ctx: ReleaseContext): boolean {
  const states = hooks.map((h) => hookState(h.kind, live.get(refKey(hookRef(h, ctx.namespace))), hookObject(h, ctx.namespace)).state);
  return states.includes('failed') || states.every((s) => s === 'succeeded');
}

async function look(groupHooks: Hook[], { ctx, hook }: HookTaskInput, deps: EngineDeps): Promise<{ cursor: HookCursor; states: HookStatus[] }> {
  const states = await hookStates(groupHooks, ctx, deps);
  for (const s of states) deps.logger.debug('hook state', { event: hook.event, hook: `${s.hook.kind}/${s.hook.name}`, state: s.state, reason: s.reason });
  const now = deps.clock();
  const elapsed = elapsedSeconds(hook, deps);

  const hooks = states.map((s) => ({ hook: `${s.hook.kind}/${s.hook.name}`, state: s.state }));
  const failed = states.filter((s) => s.state === 'failed').map((s) => s.hook.name);
  const timedOut = states.filter((s) => s.state === 'running' && elapsed > timeoutOf(s.hook, ctx)).map((s) => s.hook.name);
  if (failed.length) return { states, cursor: { ...hook, status: 'failed', failed, hooks } };
  if (timedOut.length) return { states, cursor: { ...hook, status: 'timedOut', failed: timedOut, hooks } };

  if (states.every((s) => s.state === 'succeeded')) {
    // counted as succeeded on its ttlSecondsAfterFinished alone: its result was never seen (docs/semantics.md#deliberate-differences-from-helm, 3)
    for (const s of states.filter((x) => x.gone)) deps.logger.warn(`${hook.event} hook ${s.hook.kind}/${s.hook.name}: ${s.reason}; counted as succeeded, its result never seen`, { event: hook.event });
    // Helm writes the record once per hook, before creating it: this success is stored by the next write
    return { states, cursor: { event: hook.event, group: hook.group + 1, groups: hook.groups, status: 'succeeded', completedAt: now.toISOString(), hooks } };
  }
  const polls = (hook.polls ?? 0) + 1;
  return { states, cursor: { ...hook, status: 'running', polls, nextPollSeconds: pollDelaySeconds(elapsed, ctx.options.pollSeconds), hooks } };
}

/** Seconds since the group's objects were created. */
function elapsedSeconds(hook: HookCursor, deps: EngineDeps): number {
  const now = deps.clock().getTime();
  return (now - Date.parse(hook.startedAt ?? new Date(now).toISOString())) / 1000;
}

/**
 * After every group of the event succeeded: copy logs (hook-succeeded output-log policy) and
 * delete hook-succeeded hooks, in reverse execution order (Helm's success walk). Test hooks'
 * logs are all copied first, in execution order, like `helm test --logs` before its cleanup.
 */
export async function finishHooks({ ctx, hook }: HookTaskInput, deps: EngineDeps): Promise<ReleaseContext> {
  if (ctx.options.noHooks) return ctx;
  const rel = await currentRecord(ctx, deps);
  const executed = hookGroups(rel, hook.event, ctx).flatMap((g) => g.hooks);
  const isTest = hook.event === 'test';
  const withLogs = isTest ? executed : [...executed].reverse().filter((h) => logsToCopy(h, 'succeeded').action === 'copy');
  for (const h of withLogs) await logHookOutput(h, ctx, deps, 'info');
  for (const h of cleanupOnEventSuccess(executed)) await deps.kube.delete(hookRef(h, ctx.namespace));
  // the event's last group succeeded after the last record write: the next write stores it
  return hook.completedAt && hook.group > 0 ? { ...ctx, settled: { event: hook.event, group: hook.group - 1, at: hook.completedAt } } : ctx;
}

/** Store the success of the last group of an event that ended since the record was last written. */
export function settle(rel: HelmRelease, ctx: ReleaseContext): void {
  if (!ctx.settled) return;
  const group = ctx.options.noHooks ? undefined : hookGroups(rel, ctx.settled.event, ctx)[ctx.settled.group];
  for (const h of group?.hooks ?? []) {
    if (storedHook(rel, h)?.last_run.phase === 'Running') markRun(rel, h, { completed_at: ctx.settled.at, phase: 'Succeeded' });
  }
}

/**
 * A group failed or timed out: capture the failed hooks' logs, record phases, delete failed
 * hooks with hook-failed, then earlier hook-succeeded hooks in forward order (Helm's failure
 * walk). Siblings still running are left alone and named in the cause.
 */
export async function failHookGroup({ ctx, hook }: HookTaskInput, deps: EngineDeps): Promise<FailureInfo> {
  const store = storeFor(ctx, deps);
  const rel = await currentRecord(ctx, deps);
  const groups = hookGroups(rel, hook.event, ctx);
  const states = await hookStates(groups[hook.group].hooks, ctx, deps);
  const failedNames = new Set(hook.failed ?? []);
  const now = deps.clock().toISOString();
  settle(rel, ctx);
  const timedOut = hook.status === 'timedOut';

  const lines: string[] = [];
  for (const s of states) {
    if (failedNames.has(s.hook.name)) {
      markRun(rel, s.hook, { completed_at: now, phase: 'Failed' });
      const logs = await containerLogs(s.hook, ctx, deps);
      if (logsToCopy(s.hook, 'failed').action === 'copy') await logHookOutput(s.hook, ctx, deps, 'error', logs);
      lines.push(`${hook.event} hook ${s.hook.kind}/${s.hook.name} ${timedOut ? `timed out after ${timeoutOf(s.hook, ctx)}s` : 'failed'}: ${s.reason}`);
      lines.push(...logs.map((l) => `  [${l.pod}/${l.container}] ${l.text.split('\n').join(`\n  [${l.pod}/${l.container}] `)}`));
    } else if (s.state === 'succeeded') {
      markRun(rel, s.hook, { completed_at: now, phase: 'Succeeded' });
    } else {
      lines.push(`${hook.event} hook ${s.hook.kind}/${s.hook.name} was still running and is left as it is`);
    }
  }
  // a failed test ends here, as `helm test` does: the hooks' phases and the lock given back in one write
  if (ctx.action === 'test') await store.releaseClaim(rel);
  else await store.update(rel);

  const failedHooks = states.filter((s) => failedNames.has(s.hook.name)).map((s) => s.hook);
  const executed = [...groups.slice(0, hook.group).flatMap((g) => g.hooks), ...states.filter((s) => s.state === 'succeeded').map((s) => s.hook)];
  for (const h of cleanupOnEventFailure(executed, failedHooks)) await deps.kube.delete(hookRef(h, ctx.namespace));

  return { Error: timedOut ? ErrorName.HookTimeout : ErrorName.HookFailed, Cause: truncate(lines.join('\n'), MAX_CAUSE_CHARS) };
}

interface HookStatus {
  readonly hook: Hook;
  readonly state: HookState;
  readonly reason: string;
  /** Not found: a Job or Pod with ttlSecondsAfterFinished counts as succeeded, anything else failed. */
  readonly gone: boolean;
}

async function hookStates(hooks: Hook[], ctx: ReleaseContext, deps: EngineDeps): Promise<HookStatus[]> {
  return mapLimit(hooks, async (h) => {
    const live = await deps.kube.get(hookRef(h, ctx.namespace));
    return { hook: h, gone: !live, ...hookState(h.kind, live, hookObject(h, ctx.namespace)) };
  });
}

const timeoutOf = (h: Hook, ctx: ReleaseContext) => h.timeoutSeconds ?? ctx.options.timeoutSeconds;

function markRun(rel: HelmRelease, h: Hook, run: { started_at?: string; completed_at?: string; phase: string }): void {
  const stored = storedHook(rel, h);
  if (!stored) return;
  // Helm sets the default policy on the record when the hook runs (pkg/action/hooks.go)
  if (!stored.delete_policies?.length && h.deletePolicies.length === 0) stored.delete_policies = ['before-hook-creation'];
  stored.last_run = { ...stored.last_run, ...run } as typeof stored.last_run;
}

/** Delete (background) and wait until gone, so the new object never meets the old one. */
async function deleteAndWait(deps: EngineDeps, ref: ReturnType<typeof hookRef>, deadline: number): Promise<void> {
  if (!(await deps.kube.delete(ref))) return;
  while (await deps.kube.get(ref)) {
    // still terminating: let the workflow retry the task later rather than hold a Lambda
    if (deps.clock().getTime() > deadline) throw new HelmSfnError(ErrorName.KubeTransient, `${ref.kind} ${ref.namespace}/${ref.name} is still being deleted`);
    await deps.sleep(250);
  }
}

interface ContainerLog {
  readonly pod: string;
  readonly container: string;
  readonly text: string;
}

/** The last lines of every container of a Job's pods or of a Pod hook (Helm: Job and Pod only). */
async function containerLogs(h: Hook, ctx: ReleaseContext, deps: EngineDeps): Promise<ContainerLog[]> {
  const selector = hookPods(h);
  if (!selector) return [];
  const namespace = h.namespace ?? ctx.namespace;
  const pods = await deps.kube.list('v1', 'Pod', namespace, selector);
  const logs: ContainerLog[] = [];
  for (const pod of pods) {
    const containers = ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map((c) => c.name);
    for (const container of containers) {
      const text = (await deps.kube.podLogs(namespace, pod.metadata.name, container, LOG_LINES)).trimEnd();
      if (text) logs.push({ pod: pod.metadata.name, container, text });
    }
  }
  return logs;
}

async function logHookOutput(h: Hook, ctx: ReleaseContext, deps: EngineDeps, level: 'info' | 'error', logs?: ContainerLog[]): Promise<void> {
  for (const l of logs ?? (await containerLogs(h, ctx, deps))) {
    deps.logger[level]('log of hook', { hook: `${h.kind}/${h.name}`, pod: l.pod, container: l.container, log: l.text });
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 20)}\n… (truncated)`;
}
