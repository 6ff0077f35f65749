/**
 * validate and prepare on the fake cluster: the input checks, and the lock each action takes
 * (Helm's pkg/action install.go, upgrade.go, rollback.go, uninstall.go, release_testing.go).
 */
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import { engineTasks } from '../../lib/engine';
import { LOCK_ANNOTATION, ReleaseStore } from '../../lib/engine/release-store';
import { releaseFromSecret, releaseSecretName } from '../../lib/core/release-record';
import { apiErrors } from '../support/fake-kube';
import { configMap, docs, hook as hookDoc } from '../support/charts';
import { ARN, deploy, engineHarness, prepared, records } from '../support/fake-engine';

const NS = 'web';
const CHARTS = {
  '/charts/v1': { templates: { 'cm.yaml': configMap('app'), 'hook.yaml': hookDoc({ name: 'migrate', events: 'pre-install,pre-upgrade' }) } },
  '/charts/v2': { templates: { 'cm.yaml': configMap('app'), 'cm2.yaml': configMap('extra') } },
};
const install = { action: 'install', release: 'site', namespace: NS, chart: { source: '/charts/v1' } };
const upgrade = { ...install, action: 'upgrade', chart: { source: '/charts/v2' } };
const secret = (revision: number) => `Secret ${NS}/${releaseSecretName('site', revision)}`;
const record = (h: ReturnType<typeof engineHarness>, revision: number) =>
  releaseFromSecret(h.kube.peek({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: releaseSecretName('site', revision) }) as never);

describe('validate', () => {
  test('fills in defaults, names the execution and hands the chart source on; touches no cluster', async () => {
    const h = engineHarness(CHARTS);
    const out = await engineTasks.validate({ input: { ...install, values: { a: 1 } }, execution: `${ARN}x` }, h.deps);
    expect(out.ctx).toMatchObject({ action: 'install', release: 'site', namespace: NS, execution: `${ARN}x`, options: { timeoutSeconds: 300, hookMode: 'weight-groups' } });
    expect(out.source).toEqual({ chart: { source: '/charts/v1' }, values: { a: 1 } });
    expect(h.kube.calls).toEqual([]);
  });

  test('an uninstall carries no source', async () => {
    const h = engineHarness();
    expect((await engineTasks.validate({ input: { action: 'uninstall', release: 'site', namespace: NS } }, h.deps)).source).toBeUndefined();
  });

  test('bad input is InvalidInput naming the field, before any call', async () => {
    const h = engineHarness();
    await expect(engineTasks.validate({ input: { ...install, release: 'Not_A_Name' } }, h.deps)).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('release') });
    expect(h.kube.calls).toEqual([]);
  });

  test("the deployment's policy: an unknown cluster key is InvalidInput", async () => {
    const resolveCluster = (key: string | undefined) => {
      if (key && key !== 'prod') throw new HelmSfnError(ErrorName.InvalidInput, `cluster: ${key} is not registered`);
      return 'prod';
    };
    const h = engineHarness({}, { inputPolicy: { resolveCluster }, localSources: false });
    const out = await engineTasks.validate({ input: { action: 'uninstall', release: 'site', namespace: NS } }, h.deps);
    expect(out.ctx.cluster).toBe('prod');
    await expect(engineTasks.validate({ input: { action: 'uninstall', release: 'site', namespace: NS, cluster: 'dev' } }, h.deps)).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringMatching(/^cluster: /) });
  });
});

describe('prepare install', () => {
  test('creates the pending-install record (the lock) with the rendered hooks and manifest', async () => {
    const h = engineHarness(CHARTS);
    const ctx = await prepared(h.deps, install);
    expect(ctx).toMatchObject({ action: 'install', revision: 1 });
    expect(h.kube.trace()).toEqual([`create ${secret(1)}`]);
    const rel = record(h, 1);
    expect(rel.info).toMatchObject({ status: 'pending-install', description: 'Initial install underway' });
    expect(rel.hooks?.map((x) => x.name)).toEqual(['migrate']);
    expect(rel.manifest).toContain('name: app');
    expect(rel.apply_method).toBe('ssa');
  });

  test('retried by the same execution it resumes its own lock and writes nothing', async () => {
    const h = engineHarness(CHARTS);
    await prepared(h.deps, install, 'first');
    h.kube.resetCalls();
    expect(await prepared(h.deps, install, 'first')).toMatchObject({ revision: 1 });
    expect(h.kube.trace()).toEqual([]);
  });

  test('a create whose answer was lost is found on retry as its own', async () => {
    const h = engineHarness(CHARTS);
    h.kube.failOn({ verb: 'create', kind: 'Secret' }, apiErrors.transient('create Secret'), { lostAnswer: true });
    await expect(prepared(h.deps, install, 'first')).rejects.toMatchObject({ name: 'KubeTransient' });
    expect(await prepared(h.deps, install, 'first')).toMatchObject({ revision: 1 });
    expect(records(h, NS)).toEqual(['1:pending-install']);
  });

  test('a second install of the same name by another execution is ReleaseLocked and writes nothing', async () => {
    const h = engineHarness(CHARTS);
    await prepared(h.deps, install, 'first');
    h.kube.resetCalls();
    await expect(prepared(h.deps, install, 'second')).rejects.toMatchObject({ name: 'ReleaseLocked' });
    expect(h.kube.trace()).toEqual([]);
  });

  test('two installs racing past the history read: the second create gets AlreadyExists → ReleaseLocked', async () => {
    const h = engineHarness(CHARTS);
    const a = await engineTasks.validate({ input: install, execution: `${ARN}a` }, h.deps);
    const b = await engineTasks.validate({ input: install, execution: `${ARN}b` }, h.deps);
    const results = await Promise.allSettled([engineTasks.prepare(a, h.deps), engineTasks.prepare(b, h.deps)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { name: 'ReleaseLocked' } });
    expect(records(h, NS)).toEqual(['1:pending-install']);
  });

  test('installing over a deployed release is ReleaseLocked ("cannot re-use a name")', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await expect(prepared(h.deps, install, 'again')).rejects.toMatchObject({ name: 'ReleaseLocked', message: expect.stringContaining('cannot re-use a name') });
  });

  test('a kind the cluster does not serve fails with Helm\'s message before anything is written', async () => {
    const h = engineHarness({ '/c': { templates: { 'x.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n' } } });
    await expect(prepared(h.deps, { ...install, chart: { source: '/c' } })).rejects.toMatchObject({
      name: 'ApplyFailed',
      message: expect.stringContaining('no matches for kind "Widget" in version "example.com/v1"'),
    });
    expect(h.kube.trace()).toEqual([]);
  });

  test("the chart's CRDs are applied first, so its custom resources map", async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names:\n    kind: Widget\n    plural: widgets\n  versions:\n  - name: v1\n    served: true\n    storage: true\n`;
    const h = engineHarness({ '/c': { crds: { 'crd.yaml': crd }, templates: { 'x.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n' } } });
    expect(await prepared(h.deps, { ...install, chart: { source: '/c' } })).toMatchObject({ revision: 1 });
    expect(h.kube.trace()).toEqual(['apply CustomResourceDefinition widgets.example.com', `create ${secret(1)}`]);
  });

  test('an existing object another owner holds is refused before the lock; takeOwnership adopts it', async () => {
    const h = engineHarness(CHARTS);
    h.kube.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: NS } });
    await expect(prepared(h.deps, install)).rejects.toMatchObject({ name: 'ApplyFailed', message: expect.stringContaining('invalid ownership metadata') });
    expect(records(h, NS)).toEqual([]);
    expect(await prepared(h.deps, { ...install, options: { takeOwnership: true } })).toMatchObject({ revision: 1 });
  });

  test('render warnings reach ctx, bounded', async () => {
    const h = engineHarness({ '/c': { templates: { 'cm.yaml': configMap('a') }, warnings: ['x'.repeat(400), ...Array.from({ length: 30 }, (_, i) => `w${i}`)] } });
    const ctx = await prepared(h.deps, { ...install, chart: { source: '/c' } });
    expect(ctx.warnings).toHaveLength(20);
    expect(ctx.warnings![0]).toHaveLength(300);
  });
});

describe('prepare upgrade', () => {
  test('claims the deployed record, creates the pending-upgrade one, then drops the claim', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    h.kube.resetCalls();
    const ctx = await prepared(h.deps, upgrade, 'up');
    expect(ctx).toMatchObject({ action: 'upgrade', revision: 2, previousRevision: 1 });
    expect(h.kube.trace()).toEqual([`replace ${secret(1)}`, `create ${secret(2)}`, `replace ${secret(1)}`]);
    expect(records(h, NS)).toEqual(['1:deployed', '2:pending-upgrade']);
    expect(h.renderer.requests.at(-1)).toMatchObject({ chartPath: '/charts/v2', serverSide: 'auto', history: [expect.objectContaining({ version: 1 })] });
  });

  test('retried, it resumes its pending record and writes nothing new', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await prepared(h.deps, upgrade, 'up');
    h.kube.resetCalls();
    expect(await prepared(h.deps, upgrade, 'up')).toMatchObject({ revision: 2, previousRevision: 1 });
    expect(h.kube.trace()).toEqual([]);
  });

  test('a retry after the first attempt stopped between create and dropping the claim drops it', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    h.kube.failOn({ verb: 'replace', kind: 'Secret' }, apiErrors.transient(), { nth: 2 });
    await expect(prepared(h.deps, upgrade, 'up')).rejects.toMatchObject({ name: 'KubeTransient' });
    expect(h.kube.peek({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: releaseSecretName('site', 1) })?.metadata.annotations?.[LOCK_ANNOTATION]).toBe(`${ARN}up`);
    expect(await prepared(h.deps, upgrade, 'up')).toMatchObject({ revision: 2 });
    expect(h.kube.all('Secret', NS).map((s) => s.metadata.annotations?.[LOCK_ANNOTATION])).toEqual([undefined, undefined]);
  });

  test('another upgrade while one is pending is ReleaseLocked', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await prepared(h.deps, upgrade, 'up1');
    await expect(prepared(h.deps, upgrade, 'up2')).rejects.toMatchObject({ name: 'ReleaseLocked', message: expect.stringContaining('is pending-upgrade') });
  });

  test('no release: ReleaseNotFound; with installIfMissing it installs', async () => {
    const h = engineHarness(CHARTS);
    await expect(prepared(h.deps, upgrade)).rejects.toMatchObject({ name: 'ReleaseNotFound' });
    expect(await prepared(h.deps, { ...upgrade, options: { installIfMissing: true } })).toMatchObject({ action: 'install', revision: 1 });
  });

  test('a corrupt record fails it with ReleaseCorrupt naming the Secret, never its data', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    const stored = h.kube.peek({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: releaseSecretName('site', 1) })!;
    h.kube.seed({ ...stored, data: { release: Buffer.from(Buffer.from('{"password":"hunter2"').toString('base64')).toString('base64') } });
    const failure = await prepared(h.deps, upgrade, 'up').catch((e: Error) => e);
    expect(failure).toMatchObject({ name: 'ReleaseCorrupt', message: `Secret ${NS}/${releaseSecretName('site', 1)}: release data: not a JSON release record after base64 decoding` });
    expect(JSON.stringify(failure) + String((failure as Error).stack)).not.toContain('hunter2');
  });

  test('the pending-upgrade record carries Helm\'s description "Preparing upgrade"', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await prepared(h.deps, upgrade, 'up');
    expect(record(h, 2).info).toMatchObject({ status: 'pending-upgrade', description: 'Preparing upgrade' });
  });

  test('history beyond historyMax is pruned before the new record is created', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await deploy(h, upgrade, 'u2');
    h.kube.resetCalls();
    await prepared(h.deps, { ...upgrade, options: { historyMax: 2 } }, 'u3');
    expect(h.kube.trace()).toEqual([`replace ${secret(2)}`, `delete ${secret(1)}`, `create ${secret(3)}`, `replace ${secret(2)}`]);
  });
});

describe('prepare rollback', () => {
  test('copies the previous revision whole into a new pending-rollback record', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await deploy(h, upgrade, 'u');
    const ctx = await prepared(h.deps, { action: 'rollback', release: 'site', namespace: NS }, 'rb');
    expect(ctx).toMatchObject({ revision: 3, previousRevision: 2 });
    const rel = record(h, 3);
    expect(rel.info).toMatchObject({ status: 'pending-rollback', description: 'Rollback to 1' });
    expect(rel.manifest).toBe(record(h, 1).manifest);
    expect(h.renderer.requests).toHaveLength(2); // no render for a rollback
  });

  test('a revision that does not exist is ReleaseNotFound', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await expect(prepared(h.deps, { action: 'rollback', release: 'site', namespace: NS, revision: 7 })).rejects.toMatchObject({ name: 'ReleaseNotFound', message: expect.stringContaining('has no 7 version') });
  });
});

describe('prepare uninstall and test', () => {
  test('uninstall moves the latest record to uninstalling by a conditional write; a retry writes nothing', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    h.kube.resetCalls();
    const ctx = await prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'del');
    expect(ctx.revision).toBe(1);
    expect(h.kube.calls.filter((c) => c.verb === 'replace').map((c) => (c.body as { metadata: { resourceVersion?: string } }).metadata.resourceVersion)).toEqual([expect.any(String)]);
    expect(records(h, NS)).toEqual(['1:uninstalling']);
    h.kube.resetCalls();
    await prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'del');
    expect(h.kube.trace()).toEqual([]);
  });

  test('the uninstalling record carries Helm\'s description "Deletion in progress (or silently failed)"', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'del');
    expect(record(h, 1).info).toMatchObject({ status: 'uninstalling', description: 'Deletion in progress (or silently failed)' });
  });

  test('an upgrade after an uninstall took the release is ReleaseLocked, and the other way round', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    await prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'del');
    await expect(prepared(h.deps, upgrade, 'up')).rejects.toMatchObject({ name: 'ReleaseLocked', message: expect.stringContaining('is uninstalling') });

    const h2 = engineHarness(CHARTS);
    await deploy(h2, install);
    const store = new ReleaseStore(h2.deps, `${ARN}up`);
    await store.claim(await store.get('site', NS, 1)); // an upgrade between its claim and its create
    await expect(prepared(h2.deps, { action: 'uninstall', release: 'site', namespace: NS }, 'del')).rejects.toMatchObject({ name: 'ReleaseLocked', message: expect.stringContaining(`claimed by ${ARN}up`) });
  });

  test('of two claims on the record read at one version, the second loses on the resourceVersion: ReleaseLocked', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    const [a, b] = [new ReleaseStore(h.deps, `${ARN}a`), new ReleaseStore(h.deps, `${ARN}b`)];
    const [seenByA, seenByB] = [await a.get('site', NS, 1), await b.get('site', NS, 1)];
    await a.claim(seenByA);
    await expect(b.claim(seenByB, { status: 'uninstalling' })).rejects.toMatchObject({ name: 'ReleaseLocked', message: expect.stringContaining(`held by ${ARN}a`) });
    expect(records(h, NS)).toEqual(['1:deployed']);
  });

  test('uninstall of a release that does not exist is ReleaseNotFound', async () => {
    const h = engineHarness();
    await expect(prepared(h.deps, { action: 'uninstall', release: 'site', namespace: NS })).rejects.toMatchObject({ name: 'ReleaseNotFound' });
  });

  test('test claims the latest record with the lock annotation and creates no revision', async () => {
    const h = engineHarness(CHARTS);
    await deploy(h, install);
    h.kube.resetCalls();
    expect(await prepared(h.deps, { action: 'test', release: 'site', namespace: NS }, 't')).toMatchObject({ revision: 1 });
    expect(h.kube.trace()).toEqual([`replace ${secret(1)}`]);
    expect(h.kube.peek({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: releaseSecretName('site', 1) })?.metadata.annotations?.[LOCK_ANNOTATION]).toBe(`${ARN}t`);
    expect(records(h, NS)).toEqual(['1:deployed']);
  });
});

test('hooks of a chart are recorded in Helm\'s order, never run yet', async () => {
  const h = engineHarness({
    '/c': { templates: { 'h.yaml': docs(hookDoc({ name: 'b', events: 'post-install', weight: '1' }), hookDoc({ name: 'a', events: 'pre-install', weight: '-1', kind: 'ConfigMap' })) } },
  });
  await prepared(h.deps, { ...install, chart: { source: '/c' } });
  expect(record(h, 1).hooks?.map((x) => [x.kind, x.name, x.last_run.phase])).toEqual([
    ['ConfigMap', 'a', ''],
    ['Job', 'b', ''],
  ]);
});

test("createNamespace: created before the record, with helm's name label; an existing namespace is fine (a retry, a second release)", async () => {
  const h = engineHarness(CHARTS);
  const input = { ...install, namespace: 'fresh', options: { createNamespace: true } };
  expect(await prepared(h.deps, input, 'n1')).toMatchObject({ revision: 1, namespace: 'fresh' });
  expect(h.kube.trace()).toEqual(['create Namespace fresh', `create Secret fresh/${releaseSecretName('site', 1)}`]);
  expect(h.kube.peek({ apiVersion: 'v1', kind: 'Namespace', name: 'fresh' })).toMatchObject({ metadata: { name: 'fresh', labels: { name: 'fresh' } } });
  expect(await prepared(h.deps, input, 'n1')).toMatchObject({ revision: 1 });
  expect(await prepared(h.deps, { ...input, release: 'other' }, 'n2')).toMatchObject({ revision: 1 });
  // without the option nothing creates a namespace
  await prepared(h.deps, { ...install, release: 'third', namespace: 'elsewhere' }, 'n3');
  expect(h.kube.peek({ apiVersion: 'v1', kind: 'Namespace', name: 'elsewhere' })).toBeUndefined();
});
