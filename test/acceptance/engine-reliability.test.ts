/**
 * The engine's part in "no release stranded": record writes that a retry finds done, the lock's
 * conditional claim, polls that outlive an API outage, a purge that is finished rather than left
 * half-done, hooks a failed cleanup left behind, and bad raw inputs.
 */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { HookCursor, ReleaseContext } from '../../lib/core/contract';
import { parseExecutionInput } from '../../lib/core/input';
import type { KubeObject } from '../../lib/core/objects';
import { releaseFromSecret } from '../../lib/core/release-record';
import { engineTasks } from '../../lib/engine';
import { LOCK_ANNOTATION, ReleaseStore } from '../../lib/engine/release-store';
import { engineHandlers, EXECUTION_ARN_PREFIX, localDefinition, localDeps, runReleaseLocally } from '../../lib/local/run-locally';
import { runDefinition } from '../../lib/local/runner';
import { configMap, docs, hook, writeChart } from '../support/charts';
import { useSim } from './support';

const h = useSim();
const deps = () => localDeps({ kubeconfigPath: h.sim.kubeconfigPath, deps: { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) } });
const chart = writeChart({
  name: 'box',
  templates: {
    'all.yaml': docs(configMap('box'), hook({ name: 'box-post', events: 'post-install', deletePolicy: 'hook-succeeded', script: 'echo ok' })),
  },
});
const records = (n: string) =>
  (h.sim.list('v1', 'Secret', n) as KubeObject[])
    .filter((s) => s.metadata.labels?.owner === 'helm')
    .map((s) => releaseFromSecret(s as never))
    .sort((a, b) => a.version - b.version)
    .map((r) => `${r.version}:${r.info.status}`);

/** validate + prepare as the workflow runs them, as execution `name`. */
async function prepared(input: Record<string, unknown>, name: string): Promise<ReleaseContext> {
  const validated = await engineTasks.validate({ input, execution: `${EXECUTION_ARN_PREFIX}${name}` }, deps());
  return (await engineTasks.prepare(validated, deps())) as ReleaseContext;
}

describe('release records', () => {
  test('a retried create that finds the record its own execution wrote succeeds; another execution gets ReleaseLocked', async () => {
    const n = await h.namespace();
    const ctx = await prepared({ action: 'install', release: 'box', namespace: n, chart: { source: chart } }, 'first');
    const rel = await new ReleaseStore(deps(), ctx.execution).get('box', n, 1);

    await expect(new ReleaseStore(deps(), ctx.execution).create(rel)).resolves.toBeUndefined();
    await expect(new ReleaseStore(deps(), `${EXECUTION_ARN_PREFIX}second`).create(rel)).rejects.toMatchObject({ name: 'ReleaseLocked' });
  });

  test('of two claims on the same record read at the same version, the second is ReleaseLocked', async () => {
    const n = await h.namespace();
    await h.run({ action: 'install', release: 'box', namespace: n, chart: { source: chart } });
    const [a, b] = [new ReleaseStore(deps(), `${EXECUTION_ARN_PREFIX}a`), new ReleaseStore(deps(), `${EXECUTION_ARN_PREFIX}b`)];
    const [seenByA, seenByB] = [await a.get('box', n, 1), await b.get('box', n, 1)];

    await a.claim(seenByA);
    await expect(b.claim(seenByB, { status: 'uninstalling' })).rejects.toMatchObject({ name: 'ReleaseLocked', message: expect.stringContaining(`held by ${EXECUTION_ARN_PREFIX}a`) });
    expect(records(n)).toEqual(['1:deployed']);
  });

  test("a retried prepare that finds its pending record drops the claim the first attempt left on the record before", async () => {
    const n = await h.namespace();
    await h.run({ action: 'install', release: 'box', namespace: n, chart: { source: chart } });
    const upgrade = { action: 'upgrade', release: 'box', namespace: n, chart: { source: chart } };
    const ctx = await prepared(upgrade, 'retried');
    const store = new ReleaseStore(deps(), ctx.execution);
    await store.claim(await store.get('box', n, 1)); // as if the first attempt stopped before dropping it

    expect(await prepared(upgrade, 'retried')).toMatchObject({ revision: 2 });
    const claims = (h.sim.list('v1', 'Secret', n) as KubeObject[]).map((s) => s.metadata.annotations?.[LOCK_ANNOTATION]);
    expect(claims).toEqual([undefined, undefined]);
  });

  test('an uninstall whose purge was cut short is finished by its failure path, never left half-deleted', async () => {
    const n = await h.namespace();
    await h.run({ action: 'install', release: 'box', namespace: n, chart: { source: chart } });
    await h.run({ action: 'upgrade', release: 'box', namespace: n, chart: { source: chart } });
    const ctx = await prepared({ action: 'uninstall', release: 'box', namespace: n }, 'purge');
    const fault = h.sim.faults.add({ verbs: ['delete'], resource: 'secrets', namespace: n, times: 1, effect: { type: 'error', code: 400 } });

    await expect(engineTasks.finalize({ ctx }, deps())).rejects.toThrow();
    h.sim.faults.remove(fault);
    expect(records(n)).toEqual(['1:superseded', '2:uninstalled']); // consistent: what --keep-history leaves
    const failed = (await engineTasks.markFailed({ ctx, error: { Error: 'ApplyFailed', Cause: 'delete failed' } }, deps())) as { next: string };

    expect(failed.next).toBe('fail');
    expect(records(n)).toEqual([]);
  });

  test('a hook its cleanup failed to delete is removed by the failure path (by its policy, judged on the live object)', async () => {
    const n = await h.namespace();
    h.sim.faults.add({ verbs: ['delete'], resource: 'jobs', namespace: n, times: 1, effect: { type: 'error', code: 400 } });

    const result = await h.run({ action: 'install', release: 'box', namespace: n, chart: { source: chart } });

    expect(result.error?.error).toBe('ApplyFailed');
    expect(records(n)).toEqual(['1:failed']);
    expect(h.sim.list('batch/v1', 'Job', n)).toEqual([]);
  });
});

describe('a poll that cannot reach the cluster', () => {
  const unreachable = () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'unreachable-')), 'kubeconfig');
    writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n`);
    return localDeps({ kubeconfigPath: file });
  };
  const ctx: ReleaseContext = { action: 'install', release: 'box', namespace: 'default', revision: 1, options: parseExecutionInput({ action: 'uninstall', release: 'box', namespace: 'default' }).options };
  const cursor = (startedSecondsAgo: number): HookCursor => ({ event: 'pre-install', group: 0, status: 'running', polls: 2, startedAt: new Date(Date.now() - startedSecondsAgo * 1000).toISOString(), timeoutSeconds: 600 });

  test("reports the group still running within the hooks' timeout", async () => {
    const next = (await engineTasks.pollHookGroup({ ctx, hook: cursor(60) }, unreachable())) as HookCursor;
    expect(next).toMatchObject({ status: 'running', polls: 3, timeoutSeconds: 600 });
    expect(next.nextPollSeconds).toBeGreaterThan(0);
  });

  test('fails with ClusterUnreachable once that timeout passed', async () => {
    await expect(engineTasks.pollHookGroup({ ctx, hook: cursor(601) }, unreachable())).rejects.toMatchObject({ name: 'ClusterUnreachable' });
  });
});

describe('bad raw input', () => {
  test.each([['a string', 'install my-website'], ['a list', [{ action: 'install' }]]])('%s fails the first state with InvalidInput', async (_case, input) => {
    const context = { Execution: { Id: `${EXECUTION_ARN_PREFIX}raw`, Name: 'raw' } };
    const result = await runDefinition(localDefinition(), input, { handlers: engineHandlers(deps()), waitScale: 0, validate: false, context });

    expect(result.error).toEqual({ error: 'InvalidInput', cause: expect.stringMatching(/^input: must be a JSON object; got /) });
  });

  test('locally: an input over 256 KiB, and a cluster key, are refused before anything runs', async () => {
    const big = { action: 'install', release: 'box', namespace: 'default', chart: { source: chart }, values: { blob: 'x'.repeat(300 * 1024) } };
    await expect(runReleaseLocally(big, { kubeconfigPath: h.sim.kubeconfigPath })).rejects.toThrow(/^input: is \d+ bytes; Step Functions takes at most 262144/);
    await expect(runReleaseLocally({ action: 'uninstall', release: 'box', namespace: 'default', cluster: 'prod' }, { kubeconfigPath: h.sim.kubeconfigPath })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^cluster: only on a deployed orchestrator/),
    });
  });

  test('hooks with an unknown event or delete policy: warned about in the output, as the README promises', async () => {
    const n = await h.namespace();
    const typos = writeChart({
      templates: {
        'all.yaml': docs(configMap('app'), hook({ name: 'typo-event', kind: 'ConfigMap', events: 'pre-instal' }), hook({ name: 'typo-policy', kind: 'ConfigMap', events: 'post-install', deletePolicy: 'hook-succeded' })),
      },
    });
    const result = await h.run({ action: 'install', release: 'typos', namespace: n, chart: { source: typos } });
    expect(result.error).toBeUndefined();
    expect((result.output as { warnings: string[] }).warnings).toEqual([
      'a hook document with helm.sh/hook "pre-instal" (unknown event) was dropped, as Helm does',
      expect.stringMatching(/typo-policy: helm\.sh\/hook-delete-policy has unknown "hook-succeded"; ignored, as Helm does/),
    ]);
  });
});
