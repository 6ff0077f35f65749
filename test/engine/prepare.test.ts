/** prepare is the lock: retried by Step Functions it must resume its own lock, never take another's. */
import { engineTasks } from '../../lib/engine';
import type { ReleaseContext } from '../../lib/core/contract';
import { localDeps } from '../../lib/local/run-locally';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { configMap, writeChart } from '../support/charts';

let sim: SimCluster;
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.02 });
});
afterAll(() => sim.stop());

const chart = writeChart({ templates: { 'cm.yaml': configMap('app') } });
const ARN = 'arn:aws:states:us-east-1:123456789012:execution:HelmRelease:';

async function prepareAs(execution: string, input: Record<string, unknown>): Promise<ReleaseContext> {
  const deps = localDeps({ kubeconfigPath: sim.kubeconfigPath });
  const validated = (await engineTasks.validate({ input, execution: `${ARN}${execution}` }, deps)) as { ctx: ReleaseContext };
  return (await engineTasks.prepare(validated, deps)) as ReleaseContext;
}

test('a retried install prepare resumes its own lock; another execution is refused', async () => {
  const input = { action: 'install', release: 'retry', namespace: 'default', chart: { source: chart } };
  expect(await prepareAs('first', input)).toMatchObject({ revision: 1 });
  expect(await prepareAs('first', input)).toMatchObject({ revision: 1 });
  await expect(prepareAs('second', input)).rejects.toMatchObject({ name: 'ReleaseLocked' });
});

test('a retried upgrade prepare resumes the pending-upgrade it created', async () => {
  const deps = localDeps({ kubeconfigPath: sim.kubeconfigPath });
  const install = { action: 'install', release: 'again', namespace: 'default', chart: { source: chart } };
  const installed = await prepareAs('i1', install);
  await engineTasks.finalize({ ctx: installed }, deps);
  const upgrade = { ...install, action: 'upgrade' };
  expect(await prepareAs('u1', upgrade)).toMatchObject({ revision: 2, previousRevision: 1 });
  expect(await prepareAs('u1', upgrade)).toMatchObject({ revision: 2, previousRevision: 1 });
  await expect(prepareAs('u2', upgrade)).rejects.toMatchObject({ name: 'ReleaseLocked', message: expect.stringMatching(/another operation .* is in progress/) });
});

test("createNamespace: created before the record, with helm's name label; an existing namespace is fine (a retry, a second release)", async () => {
  const deps = localDeps({ kubeconfigPath: sim.kubeconfigPath });
  const input = { action: 'install', release: 'ns-a', namespace: 'fresh', chart: { source: chart }, options: { createNamespace: true } };
  expect(await prepareAs('n1', input)).toMatchObject({ revision: 1, namespace: 'fresh' });
  expect(await deps.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'fresh' })).toMatchObject({ metadata: { name: 'fresh', labels: { name: 'fresh' } } });
  expect(await prepareAs('n1', input)).toMatchObject({ revision: 1 });
  expect(await prepareAs('n2', { ...input, release: 'ns-b' })).toMatchObject({ revision: 1 });
  // without it nothing creates the namespace, and the record has nowhere to go
  await expect(prepareAs('n3', { ...input, namespace: 'absent', options: {} })).rejects.toThrow(/absent/);
  expect(await deps.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'absent' })).toBeUndefined();
});
