/**
 * The last steps on the fake cluster: finalize (Helm's statuses and descriptions), markFailed
 * (the failure path's one entry: record, sweep, recover or fail) and the stuck-lock recovery.
 */
import type { ReleaseContext } from '../../lib/core/contract';
import { releaseFromSecret, releaseSecretName } from '../../lib/core/release-record';
import { engineTasks } from '../../lib/engine';
import { recoverRelease, releaseOf, unlockRelease } from '../../lib/engine/recover';
import { LOCK_ANNOTATION, ReleaseStore } from '../../lib/engine/release-store';
import { configMap, docs, hook as hookDoc } from '../support/charts';
import { ARN, deploy, engineHarness, prepared, records, runHookPhase, type EngineHarness } from '../support/fake-engine';

const NS = 'web';
const CHARTS = {
  '/v1': { templates: { 'cm.yaml': configMap('app'), 'h.yaml': docs(hookDoc({ name: 'post', events: 'post-install,post-upgrade', deletePolicy: 'hook-failed' })) } },
  '/v2': { templates: { 'cm.yaml': configMap('app') } },
};
const install = { action: 'install', release: 'site', namespace: NS, chart: { source: '/v1' } };
const upgrade = { ...install, action: 'upgrade', chart: { source: '/v2' } };
const uninstall = { action: 'uninstall', release: 'site', namespace: NS };
const secretRef = (revision: number) => ({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: releaseSecretName('site', revision) });
const record = (h: EngineHarness, revision: number) => releaseFromSecret(h.kube.peek(secretRef(revision)) as never);
const failure = { Error: 'HookFailed', Cause: 'post-install hook Job/post failed: Job failed\n  [post-pod/main] boom' };

describe('finalize', () => {
  test('install: deployed, "Install complete", and the summary of the hooks that ran', async () => {
    const h = engineHarness(CHARTS);
    const out = await deploy(h, install);
    expect(out).toEqual({
      release: 'site',
      namespace: NS,
      revision: 1,
      status: 'deployed',
      hooks: [{ name: 'post', kind: 'Job', event: 'post-install', weight: 0, phase: 'Succeeded', seconds: 0 }],
      warnings: [],
    });
    expect(record(h, 1).info).toMatchObject({ status: 'deployed', description: 'Install complete' });
  });

  test('retried, it writes the same record again and returns the same summary', async () => {
    const h = engineHarness(CHARTS);
    let ctx = await prepared(h.deps, install);
    ({ ctx } = await runHookPhase(h, ctx, 'post-install'));
    const first = await engineTasks.finalize({ ctx }, h.deps);
    h.kube.resetCalls();
    expect(await engineTasks.finalize({ ctx }, h.deps)).toEqual(first);
    expect(h.kube.trace()).toEqual([`replace Secret ${NS}/${releaseSecretName('site', 1)}`]);
  });

  test('upgrade: the earlier deployed revision is superseded, the new one deployed', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await deploy(h, upgrade, 'up');
    expect(records(h, NS)).toEqual(['1:superseded', '2:deployed']);
    expect(record(h, 2).info.description).toBe('Upgrade complete');
  });

  test('rollback keeps its "Rollback to N" description', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await deploy(h, upgrade, 'up');
    await deploy(h, { action: 'rollback', release: 'site', namespace: NS }, 'rb');
    expect(records(h, NS)).toEqual(['1:superseded', '2:superseded', '3:deployed']);
    expect(record(h, 3).info.description).toBe('Rollback to 1');
  });

  test('uninstall purges every record; with keepHistory the latest is uninstalled and the rest stay', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await deploy(h, upgrade, 'up');
    await deploy(h, uninstall, 'del');
    expect(records(h, NS)).toEqual([]);

    const kept = engineHarness(CHARTS);
    await deploy(kept, install);
    await deploy(kept, upgrade, 'up');
    await deploy(kept, { ...uninstall, options: { keepHistory: true } }, 'del');
    expect(records(kept, NS)).toEqual(['1:superseded', '2:uninstalled']);
  });

  test('test: gives the claim back and never changes the status', async () => {
    const h = engineHarness({ '/v1': { templates: { 'cm.yaml': configMap('app'), 't.yaml': hookDoc({ name: 't', events: 'test' }) } } });
    await deploy(h, install);
    const out = await deploy(h, { action: 'test', release: 'site', namespace: NS }, 'test');
    expect(out).toMatchObject({ status: 'deployed', hooks: [{ name: 't', event: 'test', phase: 'Succeeded' }] });
    expect(h.kube.peek(secretRef(1))?.metadata.annotations?.[LOCK_ANNOTATION]).toBeUndefined();
  });
});

describe('markFailed', () => {
  async function failedInstall(options: Record<string, unknown> = {}): Promise<{ h: EngineHarness; ctx: ReleaseContext }> {
    const h = engineHarness(CHARTS);
    let ctx = await prepared(h.deps, { ...install, options });
    await engineTasks.applyResources({ ctx, apply: { next: 0 } }, h.deps);
    ({ ctx } = await runHookPhase(h, ctx, 'post-install', 'Failed'));
    h.kube.resetCalls();
    return { h, ctx };
  }

  test('records failed with Helm\'s description, sweeps hooks by their policy, and fails', async () => {
    const { h, ctx } = await failedInstall();
    const out = await engineTasks.markFailed({ ctx, error: failure }, h.deps);
    expect(out).toEqual({ ctx, error: failure, next: 'fail' });
    expect(record(h, 1).info).toMatchObject({ status: 'failed', description: 'Release "site" failed: post-install hook Job/post failed: Job failed' });
    expect(h.kube.trace()).toEqual([`replace Secret ${NS}/${releaseSecretName('site', 1)}`, `delete Job ${NS}/post`]); // hook-failed
  });

  describe('a failed rollback or pre-delete hook ends the release failed with the lock freed (Helm leaves pending-rollback / uninstalling)', () => {
    const GUARDED = { '/g': { templates: { 'cm.yaml': configMap('app'), 'h.yaml': hookDoc({ name: 'guard', events: 'pre-rollback,pre-delete', deletePolicy: 'hook-succeeded' }) } } };
    const guarded = { ...install, chart: { source: '/g' } };

    async function failAt(h: EngineHarness, input: Record<string, unknown>, event: 'pre-rollback' | 'pre-delete', name: string) {
      const ctx = await prepared(h.deps, input, name);
      const { hook } = await runHookPhase(h, ctx, event, 'Failed');
      const error = await engineTasks.failHookGroup({ ctx, hook }, h.deps);
      return { ctx, out: await engineTasks.markFailed({ ctx, error }, h.deps) };
    }
    const latestLock = (h: EngineHarness) => {
      const store = new ReleaseStore(h.deps);
      return store.history('site', NS).then((all) => store.lockOf(all[all.length - 1]));
    };

    test('pre-rollback: "Rollback \"site\" failed: …", and the next rollback takes the release', async () => {
      const h = engineHarness(GUARDED);
      await deploy(h, guarded);
      await deploy(h, { ...guarded, action: 'upgrade' }, 'up');
      const { out } = await failAt(h, { action: 'rollback', release: 'site', namespace: NS }, 'pre-rollback', 'rb');
      expect(out).toMatchObject({ next: 'fail', error: { Error: 'HookFailed' } });
      expect(records(h, NS)).toEqual(['1:superseded', '2:deployed', '3:failed']);
      expect(record(h, 3).info.description).toMatch(/^Rollback "site" failed: pre-rollback hook Job\/guard failed: /);
      expect(await latestLock(h)).toBeUndefined();
      expect(await prepared(h.deps, { action: 'rollback', release: 'site', namespace: NS, revision: 1 }, 'rb2')).toMatchObject({ revision: 4 });
    });

    test('pre-delete: "Uninstall \"site\" failed: …", and the next uninstall takes the release', async () => {
      const h = engineHarness(GUARDED);
      await deploy(h, guarded);
      const { out } = await failAt(h, uninstall, 'pre-delete', 'del');
      expect(out).toMatchObject({ next: 'fail', error: { Error: 'HookFailed' } });
      expect(records(h, NS)).toEqual(['1:failed']);
      expect(record(h, 1).info.description).toMatch(/^Uninstall "site" failed: pre-delete hook Job\/guard failed: /);
      expect(await latestLock(h)).toBeUndefined();
      expect(await prepared(h.deps, uninstall, 'del2')).toMatchObject({ revision: 1 });
    });
  });

  test('a Lambda error cause (errorType/errorMessage JSON) is reduced to its message, values redacted', async () => {
    const { h, ctx } = await failedInstall();
    const cause = JSON.stringify({ errorType: 'ApplyFailed', errorMessage: 'apply Secret web/db: data.password: Invalid value: "hunter2": too short', trace: ['at x'] });
    const out = await engineTasks.markFailed({ ctx, error: { Error: 'ApplyFailed', Cause: cause } }, h.deps);
    expect(out.error.Cause).toBe('apply Secret web/db: data.password: Invalid value: <redacted>: too short');
    expect(JSON.stringify(h.kube.all('Secret', NS))).not.toContain('hunter2');
  });

  test('atomic install: failed, the claim kept, and the way on is uninstall', async () => {
    const { h, ctx } = await failedInstall({ atomic: true });
    const out = await engineTasks.markFailed({ ctx, error: failure }, h.deps);
    expect(out).toMatchObject({ next: 'uninstall', ctx: { recovering: 'uninstall' } });
    expect(h.kube.peek(secretRef(1))?.metadata.annotations?.[LOCK_ANNOTATION]).toBe(ctx.execution);
    // the recovery's own prepare passes the claim it holds
    expect(await engineTasks.prepare({ ctx: out.ctx }, h.deps)).toMatchObject({ revision: 1 });
  });

  test('atomic upgrade: the way on is a rollback to the last deployed revision', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    const ctx = await prepared(h.deps, { ...upgrade, options: { atomic: true } }, 'up');
    const out = await engineTasks.markFailed({ ctx, error: failure }, h.deps);
    expect(out).toMatchObject({ next: 'rollback', ctx: { recovering: 'rollback' } });
    expect(await engineTasks.prepare({ ctx: out.ctx }, h.deps)).toMatchObject({ revision: 3, previousRevision: 2 });
    expect(record(h, 3).info.description).toBe('Rollback to 1');
  });

  test('a recovery that fails too says so, and stops', async () => {
    const { h, ctx } = await failedInstall({ atomic: true });
    const out = await engineTasks.markFailed({ ctx: { ...ctx, recovering: 'uninstall' }, error: failure }, h.deps);
    expect(out).toMatchObject({ next: 'fail', error: { Cause: expect.stringMatching(/^uninstall after a failure failed too: /) } });
  });

  test('a failure before the lock gives back only what this execution took; another\'s lock is untouched', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    const other = await prepared(h.deps, upgrade, 'other');
    const mine = (await engineTasks.validate({ input: upgrade, execution: `${ARN}mine` }, h.deps)).ctx;
    h.kube.resetCalls();
    expect(await engineTasks.markFailed({ ctx: mine, error: { Error: 'ReleaseLocked', Cause: 'held' } }, h.deps)).toMatchObject({ next: 'fail' });
    expect(h.kube.trace()).toEqual([]);
    expect(records(h, NS)).toEqual(['1:deployed', '2:pending-upgrade']);
    expect(other.revision).toBe(2);
  });

  test('a failure before prepare returned frees the pending record this execution created', async () => {
    const h = engineHarness(CHARTS);
    const ctx = await prepared(h.deps, install, 'lost');
    const { revision: _, ...beforePrepare } = ctx;
    await engineTasks.markFailed({ ctx: beforePrepare, error: { Error: 'KubeTransient', Cause: 'lost answer' } }, h.deps);
    expect(records(h, NS)).toEqual(['1:failed']);
  });

  test('a failed test gives the claim back and leaves the status', async () => {
    const h = engineHarness({ '/v1': { templates: { 'cm.yaml': configMap('app'), 't.yaml': hookDoc({ name: 't', events: 'test' }) } } });
    await deploy(h, install);
    const ctx = await prepared(h.deps, { action: 'test', release: 'site', namespace: NS }, 'test');
    await engineTasks.markFailed({ ctx, error: failure }, h.deps);
    expect(records(h, NS)).toEqual(['1:deployed']);
    expect(h.kube.peek(secretRef(1))?.metadata.annotations?.[LOCK_ANNOTATION]).toBeUndefined();
  });

  test('an uninstall that failed half-way through its purge finishes the purge', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await deploy(h, upgrade, 'up');
    let ctx = await prepared(h.deps, uninstall, 'del');
    ({ ctx } = await runHookPhase(h, ctx, 'post-delete'));
    h.kube.failOn({ verb: 'delete', kind: 'Secret' }, new Error('boom'), { nth: 2 });
    await expect(engineTasks.finalize({ ctx }, h.deps)).rejects.toThrow('boom');
    expect(records(h, NS)).toEqual(['2:uninstalled']);
    await engineTasks.markFailed({ ctx, error: { Error: 'KubeTransient', Cause: 'boom' } }, h.deps);
    expect(records(h, NS)).toEqual([]);
  });

  test('retried, it returns the same verdict; the hooks are already swept', async () => {
    const { h, ctx } = await failedInstall();
    const first = await engineTasks.markFailed({ ctx, error: failure }, h.deps);
    h.kube.resetCalls();
    expect(await engineTasks.markFailed({ ctx, error: failure }, h.deps)).toEqual(first);
    expect(h.kube.trace()).toEqual([`replace Secret ${NS}/${releaseSecretName('site', 1)}`]);
  });
});

describe('recover (stuck locks)', () => {
  const ended = (status: string, name = 'stuck') => ({ executionArn: `${ARN}${name}`, status, input: JSON.stringify(install) });

  test('an execution that ended ABORTED leaves its pending record failed, and its finished hooks swept', async () => {
    const h = engineHarness(CHARTS);
    let ctx = await prepared(h.deps, install, 'stuck');
    ({ ctx } = await runHookPhase(h, ctx, 'post-install', 'Failed'));
    expect(await recoverRelease(ended('ABORTED'), h.deps)).toEqual({ recovered: true, release: 'site', namespace: NS, revision: 1 });
    expect(record(h, 1).info).toMatchObject({ status: 'failed', description: 'Release "site" failed: execution stuck ended ABORTED before it finished' });
    expect(h.kube.peek({ apiVersion: 'batch/v1', kind: 'Job', namespace: NS, name: 'post' })).toBeUndefined();
  });

  test('a running execution, another holder, or no lock: nothing is changed', async () => {
    const h = engineHarness(CHARTS);
    await prepared(h.deps, install, 'holder');
    h.kube.resetCalls();
    expect(await recoverRelease(ended('RUNNING'), h.deps)).toEqual({ recovered: false, reason: 'execution is RUNNING' });
    expect(await recoverRelease(ended('FAILED', 'someone-else'), h.deps)).toMatchObject({ recovered: false, reason: expect.stringContaining(`held by ${ARN}holder`) });
    expect(await recoverRelease({ ...ended('FAILED'), input: 'not json' }, h.deps)).toMatchObject({ recovered: false });
    expect(h.kube.trace()).toEqual([]);
  });

  test('retried, the second recovery finds no lock', async () => {
    const h = engineHarness(CHARTS);
    await prepared(h.deps, install, 'stuck');
    await recoverRelease(ended('TIMED_OUT'), h.deps);
    expect(await recoverRelease(ended('TIMED_OUT'), h.deps)).toEqual({ recovered: false, reason: 'site holds no lock' });
  });

  test('unlock by hand: refused while the owner runs, taken with steal; a claim is dropped without a status change', async () => {
    const h = engineHarness(CHARTS);
    await prepared(h.deps, install, 'owner');
    const target = { release: 'site', namespace: NS };
    await expect(unlockRelease(target, async () => 'running', h.deps)).rejects.toMatchObject({ name: 'ReleaseLocked' });
    expect(await unlockRelease(target, async () => 'running', h.deps, { steal: true })).toMatchObject({ revision: 1, previousStatus: 'pending-install', claim: false });
    expect(records(h, NS)).toEqual(['1:failed']);

    const store = new ReleaseStore(h.deps, `${ARN}tester`);
    await store.claim(await store.get('site', NS, 1));
    expect(await unlockRelease(target, async () => 'ended', h.deps)).toMatchObject({ claim: true, previousStatus: 'failed' });
    await expect(unlockRelease(target, async () => 'ended', h.deps)).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('is not locked') });
  });

  test('releaseOf reads the release from an unvalidated execution input', () => {
    expect(releaseOf(JSON.stringify({ release: 'a', namespace: 'b', cluster: 'c' }))).toEqual({ release: 'a', namespace: 'b', cluster: 'c' });
    expect(releaseOf('{"release": 1}')).toBeUndefined();
    expect(releaseOf(null)).toBeUndefined();
  });
});
