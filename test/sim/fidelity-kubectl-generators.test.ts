/**
 * Fidelity of the protobuf decoder against kubectl's typed generators: what `kubectl create
 * deployment|job|cronjob|service|priorityclass|pdb|clusterrole|role|(cluster)rolebinding|ingress`
 * and `kubectl run` print with `--dry-run=client -o json` is exactly the object they send as
 * protobuf, so the stored object must contain all of it.
 */
import { simWithTools } from './support';

const env = simWithTools();

/** Drops what the server legitimately replaces: nulls (unset timestamps) and status. */
function sent(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sent);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k, v]) => v !== null && k !== 'status')
        .map(([k, v]) => [k, sent(v)]),
    );
  }
  return value;
}

it.each([
  ['Deployment', 'apps/v1', 'web', ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '--port=8080']],
  ['Job', 'batch/v1', 'once', ['create', 'job', 'once', '--image=busybox:1.36', '--', 'sh', '-c', 'echo hi; sleep 1']],
  ['CronJob', 'batch/v1', 'nightly', ['create', 'cronjob', 'nightly', '--image=busybox:1.36', '--schedule=0 3 * * *', '--', 'sh', '-c', 'echo backup']],
  ['Service', 'v1', 'web-svc', ['create', 'service', 'nodeport', 'web-svc', '--tcp=80:8080']],
  ['Pod', 'v1', 'shell', ['run', 'shell', '--image=busybox:1.36', '--restart=Never', '--env=A=1', '--labels=app=shell', '--', 'sh', '-c', 'echo ran']],
  ['PriorityClass', 'scheduling.k8s.io/v1', 'high', ['create', 'priorityclass', 'high', '--value=1000', '--description=batch jobs', '--preemption-policy=Never']],
  ['PodDisruptionBudget', 'policy/v1', 'web-pdb', ['create', 'poddisruptionbudget', 'web-pdb', '--selector=app=web', '--min-available=50%']],
  ['ClusterRole', 'rbac.authorization.k8s.io/v1', 'reader', ['create', 'clusterrole', 'reader', '--verb=get,list', '--resource=pods,deployments.apps', '--resource-name=x']],
  ['Role', 'rbac.authorization.k8s.io/v1', 'cm-reader', ['create', 'role', 'cm-reader', '--verb=get', '--resource=configmaps']],
  ['RoleBinding', 'rbac.authorization.k8s.io/v1', 'cm-readers', ['create', 'rolebinding', 'cm-readers', '--role=cm-reader', '--user=ann', '--serviceaccount=default:ci']],
  ['ClusterRoleBinding', 'rbac.authorization.k8s.io/v1', 'readers', ['create', 'clusterrolebinding', 'readers', '--clusterrole=reader', '--group=devs']],
  ['Ingress', 'networking.k8s.io/v1', 'site', ['create', 'ingress', 'site', '--class=nginx', '--rule=example.com/api*=api:8080,tls=site-tls', '--default-backend=web:http']],
])('kubectl %s generator: the protobuf body decodes to what kubectl prints', async (kind, apiVersion, name, args) => {
  const dash = args.includes('--') ? args.indexOf('--') : args.length; // flags go before the container command
  const dryRun = await env.t.kubectl(...args.slice(0, dash), '--dry-run=client', '-o', 'json', ...args.slice(dash));
  expect(dryRun.code).toBe(0);
  const created = await env.t.kubectl(...args);
  expect(created.stderr).toBe('');
  const namespace = ['PriorityClass', 'ClusterRole', 'ClusterRoleBinding'].includes(kind) ? undefined : 'default';
  const stored = env.sim.get(apiVersion, kind, namespace, name);
  expect(stored).toMatchObject(sent(JSON.parse(dryRun.stdout)) as object);
});

it('runs what kubectl run and kubectl create job started', async () => {
  await env.t.kubectl('wait', '--for=condition=complete', 'job/once', '--timeout=30s');
  expect((await env.t.kubectl('logs', 'job/once')).stdout).toBe('hi\n');
  await env.t.kubectl('wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/shell', '--timeout=30s');
  expect((await env.t.kubectl('logs', 'shell')).stdout).toBe('ran\n');
});
