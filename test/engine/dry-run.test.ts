/** `install|upgrade --dry-run` on the in-memory cluster: refused where the run would be, nothing written. */
import { dryRunRelease } from '../../lib/engine/dry-run-release';
import { configMap } from '../support/charts';
import { deploy, engineHarness, records } from '../support/fake-engine';

const NS = 'web';
const CHARTS = {
  '/charts/v1': { templates: { 'cm.yaml': configMap('app') } },
  '/charts/v2': { templates: { 'cm.yaml': configMap('app'), 'cm2.yaml': configMap('extra') } },
};
const install = { action: 'install', release: 'site', namespace: NS, chart: { source: '/charts/v1' } };
const upgrade = { ...install, action: 'upgrade', chart: { source: '/charts/v2' } };
const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } };
const writes = (h: ReturnType<typeof engineHarness>) => h.kube.calls.filter((c) => ['apply', 'create', 'replace', 'patch', 'delete'].includes(c.verb) && !c.options?.dryRun);

test("an object another owner holds is refused as Helm's server dry run and the real install refuse it; takeOwnership passes", async () => {
  const h = engineHarness(CHARTS);
  h.kube.seed(namespace);
  h.kube.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: NS } });
  await expect(dryRunRelease(install, h.deps)).rejects.toMatchObject({ name: 'ApplyFailed', message: expect.stringMatching(/^unable to continue with install: ConfigMap "app" in namespace "web" exists and cannot be imported into the current release/) });
  expect(await dryRunRelease({ ...install, options: { takeOwnership: true } }, h.deps)).toMatchObject({ checked: 1 });
  expect(writes(h)).toEqual([]);
  expect(records(h, NS)).toEqual([]);
});

test('an upgrade checks only what the deployed revision lacks', async () => {
  const h = engineHarness(CHARTS);
  h.kube.seed(namespace);
  await deploy(h, install);
  h.kube.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra', namespace: NS } });
  await expect(dryRunRelease(upgrade, h.deps)).rejects.toMatchObject({ name: 'ApplyFailed', message: expect.stringContaining('ConfigMap "extra" in namespace "web" exists') });
  expect(records(h, NS)).toEqual(['1:deployed']);
});
