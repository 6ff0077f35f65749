/**
 * The hook tasks on the fake cluster: weight groups in Helm's order, each delete policy at Helm's
 * moment (helm v4.1.4 pkg/action/hooks.go execHook, deleteHookByPolicy), output logs, timeouts,
 * and what a retried task does (the recorded call sequence).
 */
import type { HookCursor, ReleaseContext } from '../../lib/core/contract';
import { HOOK_EVENTS, type HookEvent } from '../../lib/core/hooks';
import { releaseFromSecret, releaseSecretName } from '../../lib/core/release-record';
import { engineTasks } from '../../lib/engine';
import { LOCK_ANNOTATION } from '../../lib/engine/release-store';
import { apiErrors } from '../support/fake-kube';
import { configMap, docs, type HookSpec, hook as hookDoc } from '../support/charts';
import { deploy, engineHarness, prepared, runHookPhase, type EngineHarness, type FakeChart } from '../support/fake-engine';
import type { EngineDeps } from '../../lib/engine/deps';

const NS = 'web';
const REC = `Secret ${NS}/${releaseSecretName('site', 1)}`;

async function installing(hooks: HookSpec[], opts: Record<string, unknown> = {}): Promise<{ h: EngineHarness; ctx: ReleaseContext }> {
  const chart: FakeChart = { templates: { 'cm.yaml': configMap('app'), 'hooks.yaml': docs(...hooks.map(hookDoc)) } };
  const h = engineHarness({ '/c': chart });
  const ctx = await prepared(h.deps, { action: 'install', release: 'site', namespace: NS, chart: { source: '/c' }, options: opts });
  h.kube.resetCalls();
  return { h, ctx };
}

const apply = (h: EngineHarness, ctx: ReleaseContext, hook: HookCursor) => engineTasks.applyHookGroup({ ctx, hook }, h.deps);
const poll = (h: EngineHarness, ctx: ReleaseContext, hook: HookCursor) => engineTasks.pollHookGroup({ ctx, hook }, h.deps);
const job = (name: string) => ({ apiVersion: 'batch/v1', kind: 'Job', namespace: NS, name });
const phases = (h: EngineHarness) =>
  Object.fromEntries(
    (releaseFromSecret(h.kube.peek({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: releaseSecretName('site', 1) }) as never).hooks ?? []).map((x) => [x.name, x.last_run.phase]),
  );

/** The copied hook logs and the deletions of a task's run, in the order they happened. */
async function logsAndDeletions(h: EngineHarness, run: (deps: EngineDeps) => Promise<unknown>): Promise<string[]> {
  const marks: { at: number; line: string }[] = [];
  const marking = (level: 'info' | 'error') => (message: string, fields?: Record<string, unknown>) => {
    if (message === 'log of hook') marks.push({ at: h.kube.calls.length, line: `log ${String(fields?.hook)}` });
    h.deps.logger[level](message, fields);
  };
  const start = h.kube.calls.length;
  await run({ ...h.deps, logger: { ...h.deps.logger, info: marking('info'), error: marking('error') } });
  const order: string[] = [];
  for (let i = start; i <= h.kube.calls.length; i++) {
    order.push(...marks.filter((m) => m.at === i).map((m) => m.line));
    if (h.kube.calls[i]?.verb === 'delete') order.push(`delete ${h.kube.calls[i].target}`);
  }
  return order;
}

describe('applyHookGroup', () => {
  test('weight groups in order: the lowest weight first, hooks of one weight together, by name', async () => {
    const { h, ctx } = await installing([
      { name: 'late', events: 'pre-install', weight: '5' },
      { name: 'b', events: 'pre-install', weight: '-5' },
      { name: 'a', events: 'pre-install', weight: '-5' },
      { name: 'mid', events: 'pre-install' },
    ]);
    const first = await apply(h, ctx, { event: 'pre-install', group: 0 });
    expect(first).toMatchObject({ status: 'running', group: 0, groups: 3, polls: 0, hooks: [{ hook: 'Job/a', state: 'created' }, { hook: 'Job/b', state: 'created' }] });
    // before-hook-creation (the default) deletes first; the record says Running before the hooks exist
    expect(h.kube.trace()).toEqual([`delete Job ${NS}/a`, `delete Job ${NS}/b`, `replace ${REC}`, `apply Job ${NS}/a`, `apply Job ${NS}/b`]);
    expect(phases(h)).toMatchObject({ a: 'Running', b: 'Running', mid: '', late: '' });
    h.kube.finishJob(NS, 'a', 'Complete');
    h.kube.finishJob(NS, 'b', 'Complete');
    const done = await poll(h, ctx, first);
    expect(await apply(h, ctx, done)).toMatchObject({ group: 1, hooks: [{ hook: 'Job/mid' }] });
    expect(phases(h)).toMatchObject({ a: 'Succeeded', b: 'Succeeded', mid: 'Running' });
  });

  test('sequential hook mode makes every hook its own group', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install' }, { name: 'b', events: 'pre-install' }], { hookMode: 'sequential' });
    expect(await apply(h, ctx, { event: 'pre-install', group: 0 })).toMatchObject({ groups: 2, hooks: [{ hook: 'Job/a' }] });
  });

  test('an event without hooks (or with noHooks) is done at once and writes nothing', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'post-install' }]);
    expect(await apply(h, ctx, { event: 'pre-install', group: 0 })).toEqual({ event: 'pre-install', group: 0, groups: 0, status: 'done' });
    const off = await installing([{ name: 'a', events: 'pre-install' }], { noHooks: true });
    expect(await apply(off.h, off.ctx, { event: 'pre-install', group: 0 })).toMatchObject({ status: 'done', groups: 0 });
    expect([...h.kube.trace(), ...off.h.kube.trace()]).toEqual([]);
  });

  test('before-hook-creation (the default): the old hook is deleted and waited for until gone, then created', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install' }]);
    h.kube.seed({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'a', namespace: NS }, status: { conditions: [{ type: 'Complete', status: 'True' }] } });
    h.kube.slowDelete(job('a'), 2);
    await apply(h, ctx, { event: 'pre-install', group: 0 });
    expect(h.kube.trace({ all: true, kind: 'Job' })).toEqual([`delete Job ${NS}/a`, `get Job ${NS}/a`, `get Job ${NS}/a`, `get Job ${NS}/a`, `apply Job ${NS}/a`]);
    expect(h.kube.peek(job('a'))?.status).toBeUndefined(); // a new Job, not the finished one
  });

  test('a deletion that outlasts the wait fails KubeTransient; the retry creates the hook once it is gone', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install' }]);
    h.kube.seed({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'a', namespace: NS }, status: { conditions: [{ type: 'Complete', status: 'True' }] } });
    // seen for 300 reads: more than one task's 60 s of looks every 250 ms, fewer than two
    h.kube.slowDelete(job('a'), 300);
    await expect(apply(h, ctx, { event: 'pre-install', group: 0 })).rejects.toMatchObject({ name: 'KubeTransient', message: expect.stringContaining('still being deleted') });
    expect(h.kube.trace({ kind: 'Job' })).toEqual([`delete Job ${NS}/a`]);
    expect(await apply(h, ctx, { event: 'pre-install', group: 0 })).toMatchObject({ status: 'running' });
    expect(h.kube.trace({ kind: 'Job' })).toEqual([`delete Job ${NS}/a`, `delete Job ${NS}/a`, `apply Job ${NS}/a`]);
    expect(h.kube.peek(job('a'))?.status).toBeUndefined(); // created only once the old one was gone
  });

  test('a hook that exists without before-hook-creation is applied over, with a warning, and its old end is accepted', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install', deletePolicy: 'hook-succeeded' }]);
    h.kube.seed({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'a', namespace: NS }, status: { conditions: [{ type: 'Complete', status: 'True' }] } });
    const cursor = await apply(h, ctx, { event: 'pre-install', group: 0 });
    expect(h.kube.trace({ kind: 'Job' })).toEqual([`apply Job ${NS}/a`]);
    expect(h.logs.find((l) => l.level === 'warn')?.message).toMatch(/already exists and has no before-hook-creation policy/);
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'succeeded' });
  });

  test('on a client-side release, a hook left without before-hook-creation fails its POST with AlreadyExists, as in Helm, and the warning says so', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install', deletePolicy: 'hook-succeeded' }], { serverSide: false });
    h.kube.seed({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'a', namespace: NS }, status: { conditions: [{ type: 'Complete', status: 'True' }] } });
    await expect(apply(h, ctx, { event: 'pre-install', group: 0 })).rejects.toMatchObject({ name: 'AlreadyExists' });
    expect(h.kube.trace()).toEqual([`replace ${REC}`, `create Job ${NS}/a`]);
    expect(phases(h)).toMatchObject({ a: 'Running' }); // Helm too writes Running before its create fails
    expect(h.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'hook Job/a already exists and has no before-hook-creation policy: its creation fails with AlreadyExists, as in Helm; delete it (or add before-hook-creation) to run it',
    ]);
  });

  test('on a server-side release the same warning says the hook is applied over and will not run again', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install', deletePolicy: 'hook-succeeded' }]);
    h.kube.seed({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'a', namespace: NS } });
    await apply(h, ctx, { event: 'pre-install', group: 0 });
    expect(h.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'hook Job/a already exists and has no before-hook-creation policy: it is applied over and its old status counts, so it will not run again; delete it (or add before-hook-creation) to run it',
    ]);
  });

  test('on a client-side release, a retry after a POST whose answer was lost finds its own hooks and POSTs none again', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install', deletePolicy: 'hook-failed' }, { name: 'b', events: 'pre-install', deletePolicy: 'hook-failed' }], { serverSide: false });
    h.kube.failOn({ verb: 'create', kind: 'Job', name: 'b' }, apiErrors.transient('create Job'), { lostAnswer: true });
    await expect(apply(h, ctx, { event: 'pre-install', group: 0 })).rejects.toMatchObject({ name: 'KubeTransient' });
    expect(h.kube.trace({ kind: 'Job' })).toEqual([`create Job ${NS}/a`, `create Job ${NS}/b`]);
    h.kube.resetCalls();
    const cursor = await apply(h, ctx, { event: 'pre-install', group: 0 });
    expect(cursor).toMatchObject({ status: 'running', hooks: [{ hook: 'Job/a', state: 'created' }, { hook: 'Job/b', state: 'created' }] });
    expect(h.kube.trace()).toEqual([`replace ${REC}`]);
    expect(h.logs.filter((l) => l.level === 'warn')).toEqual([]);
    h.kube.finishJob(NS, 'a', 'Complete');
    h.kube.finishJob(NS, 'b', 'Complete');
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'succeeded' });
  });

  test('a hook left from an earlier run is never taken for the retry\'s own: a record write that preceded a left-over hook carries no mark', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install', deletePolicy: 'hook-failed' }], { serverSide: false });
    h.kube.seed({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'a', namespace: NS } });
    h.kube.failOn({ verb: 'replace', kind: 'Secret' }, apiErrors.transient('replace Secret'), { lostAnswer: true });
    await expect(apply(h, ctx, { event: 'pre-install', group: 0 })).rejects.toMatchObject({ name: 'KubeTransient' });
    await expect(apply(h, ctx, { event: 'pre-install', group: 0 })).rejects.toMatchObject({ name: 'AlreadyExists' });
  });

  test('a hook this run created for an earlier event is not taken for this group\'s own: on a client-side release its second creation fails, as in Helm', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install,post-install', deletePolicy: 'hook-failed' }], { serverSide: false });
    const { ctx: after } = await runHookPhase(h, ctx, 'pre-install');
    await expect(apply(h, after, { event: 'post-install', group: 0 })).rejects.toMatchObject({ name: 'AlreadyExists' });
  });

  test('a client-side-apply release creates hooks by POST', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install' }], { serverSide: false });
    await apply(h, ctx, { event: 'pre-install', group: 0 });
    expect(h.kube.trace({ kind: 'Job' })).toEqual([`delete Job ${NS}/a`, `create Job ${NS}/a`]);
  });

  test('retried, it runs the same calls again: before-hook-creation replaces its own first attempt', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install' }]);
    const first = await apply(h, ctx, { event: 'pre-install', group: 0 });
    h.kube.resetCalls();
    const again = await apply(h, ctx, { event: 'pre-install', group: 0 });
    expect(again).toEqual(first);
    expect(h.kube.trace()).toEqual([`delete Job ${NS}/a`, `replace ${REC}`, `apply Job ${NS}/a`]);
  });

  test('retried without before-hook-creation on a server-side release, it applies over its own hook', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install', deletePolicy: 'hook-failed' }]);
    await apply(h, ctx, { event: 'pre-install', group: 0 });
    h.kube.resetCalls();
    await apply(h, ctx, { event: 'pre-install', group: 0 });
    expect(h.kube.trace()).toEqual([`replace ${REC}`, `apply Job ${NS}/a`]);
    expect(h.logs.filter((l) => l.level === 'warn')).toEqual([]); // its own hook, not a left-over
  });

  test('the group timeout is its longest hook timeout; a group of ConfigMaps is looked at at once', async () => {
    const { h, ctx } = await installing([
      { name: 'slow', events: 'pre-install', timeout: '2h' },
      { name: 'quick', events: 'pre-install' },
      { name: 'cm', events: 'post-install', kind: 'ConfigMap' },
    ]);
    expect(await apply(h, ctx, { event: 'pre-install', group: 0 })).toMatchObject({ timeoutSeconds: 7200, nextPollSeconds: expect.any(Number) });
    expect(await apply(h, ctx, { event: 'post-install', group: 0 })).toMatchObject({ timeoutSeconds: 300, nextPollSeconds: 0 });
  });

  test('a write that fails (an API 5xx) fails the task with KubeTransient, for the workflow to retry', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install' }]);
    h.kube.failOn({ verb: 'apply', kind: 'Job' }, apiErrors.transient('apply Job'));
    await expect(apply(h, ctx, { event: 'pre-install', group: 0 })).rejects.toMatchObject({ name: 'KubeTransient' });
    expect(await apply(h, ctx, { event: 'pre-install', group: 0 })).toMatchObject({ status: 'running' });
  });
});

describe('each hook event runs its own hooks, and only those', () => {
  const ACTION: Record<HookEvent, string> = {
    'pre-install': 'install',
    'post-install': 'install',
    'pre-upgrade': 'upgrade',
    'post-upgrade': 'upgrade',
    'pre-rollback': 'rollback',
    'post-rollback': 'rollback',
    'pre-delete': 'uninstall',
    'post-delete': 'uninstall',
    test: 'test',
  };
  const chart: FakeChart = { templates: { 'cm.yaml': configMap('app'), 'hooks.yaml': docs(...HOOK_EVENTS.map((e) => hookDoc({ name: `h-${e}`, events: e, kind: 'ConfigMap' }))) } };

  test.each(HOOK_EVENTS)('%s', async (event) => {
    const h = engineHarness({ '/c': chart });
    const action = ACTION[event];
    const rendered = { release: 'site', namespace: NS, chart: { source: '/c' } };
    if (action !== 'install') await deploy(h, { ...rendered, action: 'install' }, 'installed');
    if (action === 'rollback') await deploy(h, { ...rendered, action: 'upgrade' }, 'upgraded');
    const renders = action === 'install' || action === 'upgrade';
    const ctx = await prepared(h.deps, renders ? { ...rendered, action } : { action, release: 'site', namespace: NS }, 'run');
    h.kube.resetCalls();
    const cursor = await apply(h, ctx, { event, group: 0 });
    expect(cursor.hooks).toEqual([{ hook: `ConfigMap/h-${event}`, state: 'created' }]);
    expect(h.kube.trace().filter((c) => !c.startsWith('delete') && !c.includes('Secret'))).toEqual([`apply ConfigMap ${NS}/h-${event}`]);
  });
});

describe('pollHookGroup', () => {
  async function started(hooks: HookSpec[], opts: Record<string, unknown> = {}) {
    const { h, ctx } = await installing(hooks, opts);
    const cursor = await apply(h, ctx, { event: 'pre-install', group: 0 });
    h.kube.resetCalls();
    return { h, ctx, cursor };
  }

  test('running Jobs: still running, with a growing poll interval; a poll writes nothing', async () => {
    const { h, ctx, cursor } = await started([{ name: 'a', events: 'pre-install' }]);
    const one = await poll(h, ctx, cursor);
    const two = await poll(h, ctx, one);
    expect(one).toMatchObject({ status: 'running', polls: 1, hooks: [{ hook: 'Job/a', state: 'running' }] });
    expect(two.polls).toBe(2);
    expect(two.nextPollSeconds!).toBeGreaterThanOrEqual(one.nextPollSeconds!);
    expect(h.kube.trace()).toEqual([]);
  });

  test('all done: succeeded, the cursor moves to the next group and says when', async () => {
    const { h, ctx, cursor } = await started([{ name: 'a', events: 'pre-install' }, { name: 'b', events: 'pre-install' }]);
    h.clock.advance(30);
    h.kube.finishJob(NS, 'a', 'Complete');
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'running', hooks: [{ hook: 'Job/a', state: 'succeeded' }, { hook: 'Job/b', state: 'running' }] });
    h.kube.finishJob(NS, 'b', 'Complete');
    expect(await poll(h, ctx, cursor)).toEqual({
      event: 'pre-install',
      group: 1,
      groups: 1,
      status: 'succeeded',
      completedAt: '2026-01-01T00:00:30.000Z',
      hooks: [
        { hook: 'Job/a', state: 'succeeded' },
        { hook: 'Job/b', state: 'succeeded' },
      ],
    });
  });

  test('one failed Job fails the group at once, even with a sibling still running', async () => {
    const { h, ctx, cursor } = await started([{ name: 'a', events: 'pre-install' }, { name: 'b', events: 'pre-install' }]);
    h.kube.finishJob(NS, 'b', 'Failed');
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'failed', failed: ['b'] });
  });

  test('Pod hooks: phase Succeeded or Failed', async () => {
    const { h, ctx, cursor } = await started([{ name: 'p', events: 'pre-install', kind: 'Pod' }]);
    h.kube.finishPod(NS, 'p', 'Failed');
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'failed', failed: ['p'] });
  });

  test('a hook past its timeout times the group out; a hook-timeout annotation gives it longer', async () => {
    const { h, ctx, cursor } = await started([{ name: 'a', events: 'pre-install' }, { name: 'b', events: 'pre-install', timeout: '1h' }], { timeoutSeconds: 60 });
    h.clock.advance(61);
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'timedOut', failed: ['a'] });
    h.kube.finishJob(NS, 'a', 'Complete');
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'running' });
    h.clock.advance(3600);
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'timedOut', failed: ['b'] });
  });

  test('a Job that vanished failed, unless it asked to be removed after finishing', async () => {
    const { h, ctx, cursor } = await started([{ name: 'gone', events: 'pre-install' }, { name: 'ttl', events: 'pre-install', ttlSecondsAfterFinished: 0 }]);
    await h.kube.delete(job('gone'));
    await h.kube.delete(job('ttl'));
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'failed', failed: ['gone'], hooks: [{ hook: 'Job/gone', state: 'failed' }, { hook: 'Job/ttl', state: 'succeeded' }] });
  });

  test('a Job with ttlSecondsAfterFinished that vanished counts as succeeded, with a warning naming it', async () => {
    const { h, ctx, cursor } = await started([{ name: 'ttl', events: 'pre-install', ttlSecondsAfterFinished: 0 }]);
    await h.kube.delete(job('ttl'));
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'succeeded', hooks: [{ hook: 'Job/ttl', state: 'succeeded' }] });
    expect(h.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'pre-install hook Job/ttl: Job is gone; assumed finished (ttlSecondsAfterFinished=0); counted as succeeded, its result never seen',
    ]);
  });

  test('an API server that does not answer: still running until the group timeout, then the error', async () => {
    const { h, ctx, cursor } = await started([{ name: 'a', events: 'pre-install' }], { timeoutSeconds: 600 });
    h.kube.failOn({ verb: 'get', kind: 'Job' }, apiErrors.unreachable(), { times: 2 });
    h.clock.advance(300);
    expect(await poll(h, ctx, cursor)).toMatchObject({ status: 'running', polls: 1 });
    h.clock.advance(301);
    await expect(poll(h, ctx, cursor)).rejects.toMatchObject({ name: 'ClusterUnreachable' });
  });

  test('any other error is not swallowed', async () => {
    const { h, ctx, cursor } = await started([{ name: 'a', events: 'pre-install' }]);
    h.kube.failOn({ verb: 'get', kind: 'Job' }, apiErrors.refused('get Job: forbidden by policy'));
    await expect(poll(h, ctx, cursor)).rejects.toMatchObject({ name: 'ApplyFailed' });
  });
});

describe('failHookGroup', () => {
  /** pre-install: `done` (weight -1) succeeds, then group 0 of `bad` + `slow` where `bad` fails. */
  async function failing(badPolicy?: string, extra: Partial<HookSpec> = {}) {
    const { h, ctx } = await installing([
      { name: 'done', events: 'pre-install', weight: '-1', deletePolicy: 'hook-succeeded' },
      { name: 'bad', events: 'pre-install', deletePolicy: badPolicy, ...extra },
      { name: 'slow', events: 'pre-install' },
    ]);
    let cursor = await apply(h, ctx, { event: 'pre-install', group: 0 });
    h.kube.finishJob(NS, 'done', 'Complete');
    cursor = await apply(h, ctx, await poll(h, ctx, cursor));
    h.kube.finishJob(NS, 'bad', 'Failed');
    h.kube.setLogs(NS, 'bad-pod', 'main', 'line 1\nERROR: migration 42 failed\n');
    cursor = await poll(h, ctx, cursor);
    h.kube.resetCalls();
    return { h, ctx, cursor };
  }

  test("the cause names the failed hook with its container's last lines and the sibling left running", async () => {
    const { h, ctx, cursor } = await failing();
    const error = await engineTasks.failHookGroup({ ctx, hook: cursor }, h.deps);
    expect(error.Error).toBe('HookFailed');
    expect(error.Cause!.split('\n')).toEqual([
      'pre-install hook Job/bad failed: Job failed: BackoffLimitExceeded',
      '  [bad-pod/main] line 1',
      '  [bad-pod/main] ERROR: migration 42 failed',
      'pre-install hook Job/slow was still running and is left as it is',
    ]);
    expect(phases(h)).toMatchObject({ done: 'Succeeded', bad: 'Failed', slow: 'Running' });
  });

  test('hook-failed deletes the failed hook; earlier hook-succeeded hooks go too, in forward order; the running sibling stays', async () => {
    const { h, ctx, cursor } = await failing('hook-failed');
    await engineTasks.failHookGroup({ ctx, hook: cursor }, h.deps);
    expect(h.kube.trace()).toEqual([`replace ${REC}`, `delete Job ${NS}/bad`, `delete Job ${NS}/done`]);
    expect(h.kube.peek(job('slow'))).toBeDefined();
  });

  test('without hook-failed the failed hook is kept for inspection', async () => {
    const { h, ctx, cursor } = await failing('before-hook-creation');
    await engineTasks.failHookGroup({ ctx, hook: cursor }, h.deps);
    expect(h.kube.trace({ kind: 'Job' })).toEqual([`delete Job ${NS}/done`]);
  });

  test('output-log-policy hook-failed logs the failed hook\'s output', async () => {
    const { h, ctx, cursor } = await failing(undefined, { outputLogPolicy: 'hook-failed' });
    await engineTasks.failHookGroup({ ctx, hook: cursor }, h.deps);
    expect(h.logs.filter((l) => l.message === 'log of hook')).toEqual([
      { level: 'error', message: 'log of hook', fields: { hook: 'Job/bad', pod: 'bad-pod', container: 'main', log: 'line 1\nERROR: migration 42 failed' } },
    ]);
  });

  test('with hook-failed, the failed hook\'s log is copied before its deletion; then the earlier hook-succeeded hooks go', async () => {
    const { h, ctx, cursor } = await failing('hook-failed', { outputLogPolicy: 'hook-failed' });
    expect(await logsAndDeletions(h, (deps) => engineTasks.failHookGroup({ ctx, hook: cursor }, deps))).toEqual(['log Job/bad', `delete Job ${NS}/bad`, `delete Job ${NS}/done`]);
  });

  test('a timed-out group is HookTimeout, naming the timeout', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install' }], { timeoutSeconds: 60 });
    const started = await apply(h, ctx, { event: 'pre-install', group: 0 });
    h.clock.advance(61);
    const cursor = await poll(h, ctx, started);
    expect(await engineTasks.failHookGroup({ ctx, hook: cursor }, h.deps)).toMatchObject({ Error: 'HookTimeout', Cause: expect.stringContaining('Job/a timed out after 60s') });
  });

  test('retried, it gives the same error name and records the same phases; the deletions find nothing left', async () => {
    const { h, ctx, cursor } = await failing('hook-failed');
    const first = await engineTasks.failHookGroup({ ctx, hook: cursor }, h.deps);
    const recorded = phases(h);
    h.kube.resetCalls();
    const again = await engineTasks.failHookGroup({ ctx, hook: cursor }, h.deps);
    expect(again.Error).toBe(first.Error);
    // the first attempt deleted the failed Job (hook-failed): its reason and logs are gone with it
    expect(again.Cause).toMatch(/^pre-install hook Job\/bad failed: Job disappeared before it finished/);
    expect(phases(h)).toEqual(recorded);
    expect(h.kube.trace()).toEqual([`replace ${REC}`, `delete Job ${NS}/bad`, `delete Job ${NS}/done`]);
    expect(h.kube.all('Job', NS).map((j) => j.metadata.name)).toEqual(['slow']);
  });

  test('a long log is cut to a bounded cause', async () => {
    const { h, ctx, cursor } = await failing();
    h.kube.setLogs(NS, 'bad-pod', 'main', 'x'.repeat(200).concat('\n').repeat(50));
    const error = await engineTasks.failHookGroup({ ctx, hook: cursor }, h.deps);
    expect(error.Cause!.length).toBeLessThanOrEqual(6000);
    expect(error.Cause).toMatch(/… \(truncated\)$/);
  });

  test('a failed test gives the release back (its claim) in the same write', async () => {
    const h = engineHarness({ '/c': { templates: { 'cm.yaml': configMap('app'), 't.yaml': hookDoc({ name: 't', events: 'test' }) } } });
    await deploy(h, { action: 'install', release: 'site', namespace: NS, chart: { source: '/c' } });
    const ctx = await prepared(h.deps, { action: 'test', release: 'site', namespace: NS }, 'test');
    const { hook } = await runHookPhase(h, ctx, 'test', 'Failed');
    h.kube.resetCalls();
    expect(await engineTasks.failHookGroup({ ctx, hook }, h.deps)).toMatchObject({ Error: 'HookFailed' });
    expect(h.kube.trace()).toEqual([`replace ${REC}`]);
    expect(h.kube.peek({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: releaseSecretName('site', 1) })?.metadata.annotations?.[LOCK_ANNOTATION]).toBeUndefined();
  });
});

describe('finishHooks', () => {
  test('hook-succeeded hooks are deleted after the whole event, in reverse order; others stay', async () => {
    const { h, ctx } = await installing([
      { name: 'first', events: 'pre-install', weight: '1', deletePolicy: 'hook-succeeded' },
      { name: 'second', events: 'pre-install', weight: '2', deletePolicy: 'hook-succeeded,before-hook-creation' },
      { name: 'kept', events: 'pre-install', weight: '3' },
    ]);
    const { ctx: after, hook } = await runHookPhase(h, ctx, 'pre-install');
    const deletes = h.kube.trace({ kind: 'Job' }).filter((c) => c.startsWith('delete'));
    // before-hook-creation ones at each creation, then hook-succeeded ones in reverse order
    expect(deletes).toEqual([`delete Job ${NS}/second`, `delete Job ${NS}/kept`, `delete Job ${NS}/second`, `delete Job ${NS}/first`]);
    expect(h.kube.peek(job('kept'))).toBeDefined();
    expect(after.settled).toEqual({ event: 'pre-install', group: 2, at: hook.completedAt });
  });

  test('the last group\'s success is stored by the next record write (finalize)', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'post-install' }]);
    const { ctx: after } = await runHookPhase(h, ctx, 'post-install');
    expect(phases(h)).toMatchObject({ a: 'Running' });
    await engineTasks.finalize({ ctx: after }, h.deps);
    expect(phases(h)).toMatchObject({ a: 'Succeeded' });
  });

  test('output-log-policy hook-succeeded copies the logs of finished hooks', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install', outputLogPolicy: 'hook-succeeded' }]);
    h.kube.setLogs(NS, 'a-pod', 'main', 'migrated');
    await runHookPhase(h, ctx, 'pre-install');
    expect(h.logs.filter((l) => l.message === 'log of hook').map((l) => l.fields?.log)).toEqual(['migrated']);
  });

  test('hook-succeeded logs are all copied in the success walk\'s order (reverse execution) before its first deletion', async () => {
    const both = { deletePolicy: 'hook-succeeded', outputLogPolicy: 'hook-succeeded' };
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install', weight: '-1', ...both }, { name: 'b', events: 'pre-install', weight: '1', ...both }]);
    let cursor = await apply(h, ctx, { event: 'pre-install', group: 0 });
    h.kube.finishJob(NS, 'a', 'Complete');
    cursor = await apply(h, ctx, await poll(h, ctx, cursor));
    h.kube.finishJob(NS, 'b', 'Complete');
    cursor = await apply(h, ctx, await poll(h, ctx, cursor));
    h.kube.setLogs(NS, 'a-pod', 'main', 'a ran');
    h.kube.setLogs(NS, 'b-pod', 'main', 'b ran');
    expect(await logsAndDeletions(h, (deps) => engineTasks.finishHooks({ ctx, hook: cursor }, deps))).toEqual(['log Job/b', 'log Job/a', `delete Job ${NS}/b`, `delete Job ${NS}/a`]);
  });

  test('test hooks: every log is copied, in execution order', async () => {
    const chart = { templates: { 'cm.yaml': configMap('app'), 't.yaml': docs(hookDoc({ name: 't2', events: 'test', weight: '2' }), hookDoc({ name: 't1', events: 'test', weight: '1' })) } };
    const h = engineHarness({ '/c': chart });
    await deploy(h, { action: 'install', release: 'site', namespace: NS, chart: { source: '/c' } });
    const ctx = await prepared(h.deps, { action: 'test', release: 'site', namespace: NS }, 'test');
    h.kube.setLogs(NS, 't1-pod', 'main', 'one');
    h.kube.setLogs(NS, 't2-pod', 'main', 'two');
    await runHookPhase(h, ctx, 'test');
    expect(h.logs.filter((l) => l.message === 'log of hook').map((l) => l.fields?.log)).toEqual(['one', 'two']);
  });

  test('retried, it deletes what is left (nothing) and returns the same ctx', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install', deletePolicy: 'hook-succeeded' }]);
    const { ctx: after, hook } = await runHookPhase(h, ctx, 'pre-install');
    h.kube.resetCalls();
    expect(await engineTasks.finishHooks({ ctx, hook }, h.deps)).toEqual(after);
    expect(h.kube.trace()).toEqual([`delete Job ${NS}/a`]);
    expect(h.kube.peek(job('a'))).toBeUndefined();
  });

  test('noHooks: nothing to finish', async () => {
    const { h, ctx } = await installing([{ name: 'a', events: 'pre-install', deletePolicy: 'hook-succeeded' }], { noHooks: true });
    expect(await engineTasks.finishHooks({ ctx, hook: { event: 'pre-install', group: 0, status: 'done' } }, h.deps)).toBe(ctx);
    expect(h.kube.calls).toEqual([]);
  });
});
