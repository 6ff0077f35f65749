/**
 * Fidelity of fault injection: how the real clients react to what the sim injects — client-go
 * retries a 429 after Retry-After and a GET after a reset connection, Helm reports a 500 on
 * apply and marks the release failed, and `--rollback-on-failure` then uninstalls it; latency
 * slows requests without changing outcomes.
 */
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { CHART, clientOps, tools, type Tools } from './support';

let sim: SimCluster;
let t: Tools;
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.05 });
  t = tools(sim);
});
afterAll(() => sim.stop());
afterEach(() => sim.faults.clear());

describe('real clients under injected faults', () => {
  it('client-go retries a 429 after its Retry-After and then succeeds', async () => {
    sim.faults.add({ verbs: ['list'], resource: 'secrets', times: 2, effect: { type: 'error', code: 429, retryAfterSeconds: 0 } });
    const from = sim.operations.length;
    const res = await t.helm('list', '-A');
    expect(res.code).toBe(0);
    expect(clientOps(sim.operations, from, 'Helm/').filter((o) => o.verb === 'list').map((o) => o.code)).toEqual([429, 429, 200]);
  });

  it('fails helm install when applying a resource gets a 500, and records the release as failed', async () => {
    sim.faults.add({ verbs: ['apply'], resource: 'Deployment', effect: { type: 'error', code: 500, message: 'etcdserver: request timed out' } });
    const res = await t.helm('install', 'f1', CHART, '-n', 'default');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('INSTALLATION FAILED');
    expect(res.stderr).toContain('etcdserver: request timed out');
    expect((sim.get('v1', 'Secret', 'default', 'sh.helm.release.v1.f1.v1') as any).metadata.labels.status).toBe('failed');
  });

  it('uninstalls the release again with --rollback-on-failure', async () => {
    sim.faults.add({ verbs: ['apply'], resource: 'deployments', effect: { type: 'error', code: 500 } });
    const res = await t.helm('install', 'f2', CHART, '-n', 'default', '--rollback-on-failure', '--timeout', '30s');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/INSTALLATION FAILED: .*uninstalled/s);
    expect(sim.get('v1', 'Secret', 'default', 'sh.helm.release.v1.f2.v1')).toBeUndefined();
    expect(sim.get('v1', 'ConfigMap', 'default', 'f2-cfg')).toBeUndefined();
  });

  it('kubectl retries a GET whose connection was reset', async () => {
    sim.faults.add({ verbs: ['get'], resource: 'configmaps', name: 'kube-root-ca.crt', times: 1, effect: { type: 'reset' } });
    const from = sim.operations.length;
    const res = await t.kubectl('get', 'configmap', 'kube-root-ca.crt', '-o', 'name');
    expect(res.stdout).toBe('configmap/kube-root-ca.crt\n');
    expect(clientOps(sim.operations, from).filter((o) => o.kind === 'ConfigMap').map((o) => o.outcome)).toEqual(['reset', 'ok']);
  });

  it('adds latency without changing outcomes', async () => {
    sim.faults.add({ resource: 'namespaces', effect: { type: 'latency', ms: 30 } });
    expect((await t.kubectl('get', 'ns', 'default', '-o', 'name')).stdout).toBe('namespace/default\n');
  });
});
