/**
 * Fidelity of fault injection: how the real clients react to what the sim injects — client-go
 * retries a 429 after Retry-After and a GET after a reset connection, Helm reports a 500 on
 * apply and marks the release failed, and `--rollback-on-failure` then uninstalls it; latency
 * slows requests without changing outcomes.
 */
import { CHART, clientOps, simWithTools } from './support';

const env = simWithTools();
afterEach(() => env.sim.faults.clear());

describe('real clients under injected faults', () => {
  it('client-go retries a 429 after its Retry-After and then succeeds', async () => {
    env.sim.faults.add({ verbs: ['list'], resource: 'secrets', times: 2, effect: { type: 'error', code: 429, retryAfterSeconds: 0 } });
    const from = env.sim.operations.length;
    const res = await env.t.helm('list', '-A');
    expect(res.code).toBe(0);
    expect(clientOps(env.sim.operations, from, 'Helm/').filter((o) => o.verb === 'list').map((o) => o.code)).toEqual([429, 429, 200]);
  });

  it('fails helm install when applying a resource gets a 500, and records the release as failed', async () => {
    env.sim.faults.add({ verbs: ['apply'], resource: 'Deployment', effect: { type: 'error', code: 500, message: 'etcdserver: request timed out' } });
    const res = await env.t.helm('install', 'f1', CHART, '-n', 'default');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('INSTALLATION FAILED');
    expect(res.stderr).toContain('etcdserver: request timed out');
    expect((env.sim.get('v1', 'Secret', 'default', 'sh.helm.release.v1.f1.v1') as any).metadata.labels.status).toBe('failed');
  });

  it('uninstalls the release again with --rollback-on-failure', async () => {
    env.sim.faults.add({ verbs: ['apply'], resource: 'deployments', effect: { type: 'error', code: 500 } });
    const res = await env.t.helm('install', 'f2', CHART, '-n', 'default', '--rollback-on-failure', '--timeout', '30s');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/INSTALLATION FAILED: .*uninstalled/s);
    expect(env.sim.get('v1', 'Secret', 'default', 'sh.helm.release.v1.f2.v1')).toBeUndefined();
    expect(env.sim.get('v1', 'ConfigMap', 'default', 'f2-cfg')).toBeUndefined();
  });

  it('kubectl retries a GET whose connection was reset', async () => {
    env.sim.faults.add({ verbs: ['get'], resource: 'configmaps', name: 'kube-root-ca.crt', times: 1, effect: { type: 'reset' } });
    const from = env.sim.operations.length;
    const res = await env.t.kubectl('get', 'configmap', 'kube-root-ca.crt', '-o', 'name');
    expect(res.stdout).toBe('configmap/kube-root-ca.crt\n');
    expect(clientOps(env.sim.operations, from).filter((o) => o.kind === 'ConfigMap').map((o) => o.outcome)).toEqual(['reset', 'ok']);
  });

  it('adds latency without changing outcomes', async () => {
    env.sim.faults.add({ resource: 'namespaces', effect: { type: 'latency', ms: 30 } });
    expect((await env.t.kubectl('get', 'ns', 'default', '-o', 'name')).stdout).toBe('namespace/default\n');
  });
});
