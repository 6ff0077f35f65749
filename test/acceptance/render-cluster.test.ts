/**
 * Rendering against the cluster, as `helm install/upgrade` renders: capabilities from discovery,
 * lookup, the release's facts, notes and comment-only templates in the record — judged by the
 * real helm reading the same cluster. And a kind the cluster does not serve: Helm's message,
 * nothing written.
 */
import { execFile } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { releaseFromSecret } from '../../lib/core/release-record';
import { binaries } from '../../lib/helm/binaries';
import { ClientNodeKubeClient, loadKubeConfig } from '../../lib/kube/client-node';
import { KUBERNETES_VERSION } from '../../lib/sim/discovery';
import { lastSeq, useSim } from './support';

const CHART = path.resolve(__dirname, '..', 'fixtures', 'charts', 'capabilities');
const h = useSim();
const kube = () => new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: h.sim.kubeconfigPath }));

async function helm(...args: string[]): Promise<string> {
  const home = mkdtempSync(path.join(tmpdir(), 'helm-home-'));
  const { stdout } = await promisify(execFile)(binaries().helm, args, { env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: h.sim.kubeconfigPath } });
  return stdout;
}

const SERVICE_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { plural: 'servicemonitors', singular: 'servicemonitor', kind: 'ServiceMonitor', listKind: 'ServiceMonitorList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

test('capabilities, lookup, release facts and notes come from the cluster; the ServiceMonitor appears once its CRD does', async () => {
  const n = await h.namespace();
  await kube().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seen-by-lookup', namespace: n }, data: { answer: '42' } });
  const install = await h.run({ action: 'install', release: 'caps', namespace: n, chart: { source: CHART } });
  expect(install.error).toBeUndefined();
  const facts = () => (h.sim.get('v1', 'ConfigMap', n, 'caps-facts') as { data: Record<string, string> }).data;
  expect(facts()).toEqual({ kubeVersion: KUBERNETES_VERSION.gitVersion, isInstall: 'true', isUpgrade: 'false', revision: '1', lookedUp: '42' });
  expect(await helm('get', 'manifest', 'caps', '-n', n)).not.toContain('kind: ServiceMonitor');

  await kube().create(SERVICE_MONITOR_CRD);
  const upgrade = await h.run({ action: 'upgrade', release: 'caps', namespace: n, chart: { source: CHART } });
  expect(upgrade.error).toBeUndefined();
  expect(facts()).toMatchObject({ isInstall: 'false', isUpgrade: 'true', revision: '2' });
  expect(h.sim.get('monitoring.coreos.com/v1', 'ServiceMonitor', n, 'caps-metrics')).toMatchObject({ spec: { endpoints: [{ port: 'metrics' }] } });

  // the record, read by the real helm: notes rendered, the comment-only template kept
  expect(await helm('get', 'notes', 'caps', '-n', n)).toBe(`NOTES:\ncaps is at revision 2 on Kubernetes ${facts().kubeVersion}.\n\n`);
  expect(await helm('get', 'manifest', 'caps', '-n', n)).toContain('# Source: capabilities/templates/comment-only.yaml\n# This template renders only this comment');
});

test('a kind the cluster does not serve fails with Helm’s message before any write, no record either', async () => {
  const n = await h.namespace();
  const since = lastSeq(h.sim.operations);
  const result = await h.run({ action: 'install', release: 'widget', namespace: n, chart: { source: CHART }, values: { widgetHook: true } });
  expect(result.error).toEqual({
    error: 'ApplyFailed',
    cause: `resource mapping not found for name: "widget-widget" namespace: "${n}" from "": no matches for kind "Widget" in version "example.com/v1"\nensure CRDs are installed first`,
  });
  const writes = h.sim.operations.filter((o) => o.seq > since && o.userAgent && !['get', 'list', 'watch'].includes(o.verb));
  expect(writes).toEqual([]);
  expect(h.sim.list('v1', 'Secret', n).map((s) => releaseFromSecret(s as never))).toEqual([]);
});
