/**
 * Watched polls: a poll task watches its objects for a bounded window and returns as soon as
 * they settle; a watch that drops falls back to a look and never misses a completion.
 */
import type { HookCursor, ReleaseContext, WaitCursor } from '../../lib/core/contract';
import { engineTasks } from '../../lib/engine';
import { EXECUTION_ARN_PREFIX, localDeps } from '../../lib/local/run-locally';
import { docs, hook, writeChart } from '../support/charts';
import { useSim } from '../acceptance/support';

const h = useSim();
const deps = () => localDeps({ kubeconfigPath: h.sim.kubeconfigPath });
const deployment = (name: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: ${name}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        readinessProbe: {initialDelaySeconds: 100, httpGet: {path: /, port: 80}}\n`;
// 100 simulated seconds at the harness's time scale (0.02): 2 s, so the first look finds it running
const chart = (script: string) =>
  writeChart({ name: 'box', templates: { 'all.yaml': docs(deployment('web'), hook({ name: 'migrate', events: 'pre-install', script })) } });

let runs = 0;
async function installing(script: string, pollSeconds: Record<string, number>): Promise<{ n: string; ctx: ReleaseContext }> {
  const n = await h.namespace();
  const input = { action: 'install', release: 'box', namespace: n, chart: { source: chart(script) }, options: { wait: true, pollSeconds } };
  const validated = await engineTasks.validate({ input, execution: `${EXECUTION_ARN_PREFIX}watch-${++runs}` }, deps());
  return { n, ctx: (await engineTasks.prepare(validated, deps())) as ReleaseContext };
}
const applyHooks = async (ctx: ReleaseContext) => (await engineTasks.applyHookGroup({ ctx, hook: { event: 'pre-install', group: 0 } }, deps())) as HookCursor;
const poll = async (ctx: ReleaseContext, hook: HookCursor) => (await engineTasks.pollHookGroup({ ctx, hook }, deps())) as HookCursor;
const watches = (n: string, kind: string) => h.sim.operations.filter((o) => o.verb === 'watch' && o.namespace === n && o.kind === kind).length;
const jobDone = (n: string) =>
  ((h.sim.get('batch/v1', 'Job', n, 'migrate') as { status?: { conditions?: { type: string; status: string }[] } })?.status?.conditions ?? []).some(
    (c) => ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
  );
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 50));
}

describe('a hook group', () => {
  test('is polled at once, and one poll watches it until its Job completes', async () => {
    const { n, ctx } = await installing('sleep 100', { watch: 30 });
    const started = await applyHooks(ctx);
    expect(started).toMatchObject({ status: 'running', nextPollSeconds: 0 });

    expect(await poll(ctx, started)).toMatchObject({ status: 'succeeded', group: 1, hooks: [{ hook: 'Job/migrate', state: 'succeeded' }] });
    expect(watches(n, 'Job')).toBe(1);
  });

  test('one poll sees its Job fail', async () => {
    const { ctx } = await installing('sleep 100; exit 3', { watch: 30 });
    expect(await poll(ctx, await applyHooks(ctx))).toMatchObject({ status: 'failed', failed: ['migrate'] });
  });

  test('with a window of 0, a poll only looks and waits at least the minimum before the next', async () => {
    const { n, ctx } = await installing('sleep 100', { watch: 0, min: 3 });
    const started = await applyHooks(ctx);
    expect(started.nextPollSeconds).toBe(3);
    expect(await poll(ctx, started)).toMatchObject({ status: 'running', polls: 1, nextPollSeconds: 3 });
    expect(watches(n, 'Job')).toBe(0);
  });

  test.each([
    ['a reset', { type: 'reset' as const }],
    ['410 Gone', { type: 'error' as const, code: 410 }],
  ])('a watch dropped by %s falls back to a look; the next poll sees the completion', async (_, effect) => {
    const { n, ctx } = await installing('sleep 100', { watch: 30 });
    h.sim.faults.add({ verbs: ['watch'], namespace: n, effect });
    const first = await poll(ctx, await applyHooks(ctx));
    expect(first).toMatchObject({ status: 'running', polls: 1 });

    await until(() => jobDone(n));
    expect(await poll(ctx, first)).toMatchObject({ status: 'succeeded', hooks: [{ hook: 'Job/migrate', state: 'succeeded' }] });
    h.sim.faults.clear();
  });
});

describe('a resource wait', () => {
  test('one check watches the Deployment until it is ready', async () => {
    const { n, ctx } = await installing('echo ok', { watch: 30 });
    await engineTasks.applyResources({ ctx, apply: { next: 0 } }, deps());

    expect(await engineTasks.checkResources({ ctx, wait: { mode: 'ready' } }, deps())).toMatchObject({ mode: 'ready', status: 'ready' });
    expect(watches(n, 'Deployment')).toBe(1);
  });

  test('a deletion wait with its watch refused still ends ready once the objects are gone', async () => {
    const { n, ctx } = await installing('echo ok', { watch: 30 });
    await engineTasks.applyResources({ ctx, apply: { next: 0 } }, deps());
    h.sim.faults.add({ verbs: ['watch'], namespace: n, effect: { type: 'error', code: 403 } });
    await engineTasks.deleteResources({ ctx: { ...ctx, action: 'uninstall' } }, deps());

    let wait: WaitCursor = { mode: 'gone' };
    while (wait.status !== 'ready') wait = (await engineTasks.checkResources({ ctx, wait }, deps())) as WaitCursor;
    expect(h.sim.list('apps/v1', 'Deployment', n)).toEqual([]);
    h.sim.faults.clear();
  });
});
