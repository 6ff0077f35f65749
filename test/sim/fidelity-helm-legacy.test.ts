/**
 * Fidelity: Helm's legacy waiter (`--wait=legacy`, the Helm 3 logic) polls Deployments through
 * their ReplicaSets and Pods, and `--create-namespace` applies the Namespace first.
 */
import { CHART, clientOps, simWithTools } from './support';

const env = simWithTools();

it('installs into a new namespace with --wait=legacy once the ReplicaSet pods are ready', async () => {
  const from = env.sim.operations.length;
  const res = await env.t.helm('install', 'lg', CHART, '-n', 'team-b', '--create-namespace', '--wait=legacy', '--set', 'replicas=2', '--timeout', '60s');
  expect(res.stdout).toMatch(/NAMESPACE: team-b\nSTATUS: deployed/);
  const ops = clientOps(env.sim.operations, from, 'Helm/');
  expect(ops.find((o) => o.kind === 'Namespace')).toMatchObject({ verb: 'apply', name: 'team-b', code: 201 });
  const deploymentGets = ops.filter((o) => o.verb === 'get' && o.kind === 'Deployment' && o.name === 'lg-web').length;
  const replicaSetLists = ops.filter((o) => o.verb === 'list' && o.kind === 'ReplicaSet').length;
  expect(deploymentGets).toBeGreaterThan(0);
  expect(replicaSetLists).toBeGreaterThan(0);
  expect(env.sim.list('v1', 'Pod', 'team-b').filter((p) => (p as { metadata: { labels?: Record<string, string> } }).metadata.labels?.app === 'lg-web')).toHaveLength(2);
});
