/**
 * Fidelity: the real kubectl 1.34 against the sim — create/apply (client- and server-side)/
 * get/delete, protobuf generators, wait, logs, patch, scale, rollout status and SSA conflicts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { clientOps, MANIFESTS, opLine, tools, type Tools, simWithTools } from './support';

const env = simWithTools();

const APP = path.join(MANIFESTS, 'app.yaml');
const JOB = path.join(MANIFESTS, 'job.yaml');

describe('kubectl against the sim', () => {
  it('gets namespaces as a server-side Table', async () => {
    const res = await env.t.kubectl('get', 'ns');
    expect(res.stdout).toMatch(/^NAME +STATUS +AGE\ndefault +Active +\d+s\nkube-node-lease +Active/);
  });

  it('creates from a file, then server-side applies the same file without conflicts', async () => {
    expect((await env.t.kubectl('create', '-f', APP)).stdout).toBe('configmap/app-config created\nservice/app created\ndeployment.apps/app created\n');
    const from = env.sim.operations.length;
    const applied = await env.t.kubectl('apply', '--server-side', '-f', APP);
    expect(applied.stdout).toBe('configmap/app-config serverside-applied\nservice/app serverside-applied\ndeployment.apps/app serverside-applied\n');
    expect(clientOps(env.sim.operations, from).filter((o) => o.verb === 'apply').map((o) => `${o.kind} ${o.fieldManager}`)).toEqual([
      'ConfigMap kubectl',
      'Service kubectl',
      'Deployment kubectl',
    ]);
  });

  it('reports a server-side apply conflict the way kubectl prints it, and --force-conflicts resolves it', async () => {
    expect((await env.t.kubectl('scale', 'deployment/app', '--replicas=4')).stdout).toBe('deployment.apps/app scaled\n');
    const conflict = await env.t.kubectl('apply', '--server-side', '-f', APP);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
    const forced = await env.t.kubectl('apply', '--server-side', '--force-conflicts', '-f', APP);
    expect(forced.code).toBe(0);
    expect((env.sim.get('apps/v1', 'Deployment', 'default', 'app') as any).spec.replicas).toBe(2);
  });

  it('waits for the rollout and shows the pods', async () => {
    const rollout = await env.t.kubectl('rollout', 'status', 'deployment/app', '--timeout=30s');
    expect(rollout.stdout).toContain('deployment "app" successfully rolled out');
    const pods = await env.t.kubectl('get', 'pods', '-l', 'app=demo', '-o', 'wide');
    expect(pods.stdout.split('\n')[0]).toMatch(/^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE/);
    expect(pods.stdout).toMatch(/app-[a-z0-9]+-[a-z0-9]{5} +1\/1 +Running +0 +\d+s +10\.244\.0\.\d+ +sim-node/);
  });

  it('rolls a new image out and undoes it by reusing the old ReplicaSet as the newest revision', async () => {
    await env.t.kubectl('create', 'deployment', 'undo', '--image=nginx:1.27', '--replicas=2');
    await env.t.kubectl('rollout', 'status', 'deployment/undo', '--timeout=30s');
    await env.t.kubectl('set', 'image', 'deployment/undo', 'nginx=nginx:1.28');
    await env.t.kubectl('rollout', 'status', 'deployment/undo', '--timeout=30s');
    expect((await env.t.kubectl('rollout', 'undo', 'deployment/undo')).stdout).toBe('deployment.apps/undo rolled back\n');
    await env.t.kubectl('rollout', 'status', 'deployment/undo', '--timeout=30s');
    const history = await env.t.kubectl('rollout', 'history', 'deployment/undo');
    expect(history.stdout).toMatch(/REVISION +CHANGE-CAUSE\n2 +<none>\n3 +<none>\n/);
    const sets = env.sim.list('apps/v1', 'ReplicaSet', 'default').filter((rs: any) => rs.metadata.labels?.app === 'undo') as any[];
    expect(sets.map((rs) => rs.spec.replicas).sort()).toEqual([0, 2]);
    expect((env.sim.get('apps/v1', 'Deployment', 'default', 'undo') as any).spec.template.spec.containers[0].image).toBe('nginx:1.27');
  });

  it('runs a Job, waits for condition=complete and reads its logs', async () => {
    expect((await env.t.kubectl('apply', '-f', JOB)).stdout).toBe('job.batch/hello created\n');
    const wait = await env.t.kubectl('wait', '--for=condition=complete', 'job/hello', '--timeout=30s');
    expect(wait.stdout).toBe('job.batch/hello condition met\n');
    expect((await env.t.kubectl('logs', 'job/hello')).stdout).toBe('starting\ndone\n');
    const jobs = await env.t.kubectl('get', 'jobs');
    expect(jobs.stdout).toMatch(/^NAME +STATUS +COMPLETIONS +DURATION +AGE\nhello +Complete +1\/1 /);
  });

  it('creates namespaces, ConfigMaps and Secrets with the protobuf generators', async () => {
    expect((await env.t.kubectl('create', 'ns', 'gen')).stdout).toBe('namespace/gen created\n');
    expect((await env.t.kubectl('create', 'cm', 'x', '-n', 'gen', '--from-literal=a=b')).stdout).toBe('configmap/x created\n');
    expect((await env.t.kubectl('create', 'secret', 'generic', 's', '-n', 'gen', '--from-literal=p=q')).stdout).toBe('secret/s created\n');
    expect(env.sim.get('v1', 'Secret', 'gen', 's')).toMatchObject({ type: 'Opaque', data: { p: 'cQ==' } });
    const res = await env.t.kubectl('get', 'cm,secret', '-n', 'gen');
    expect(res.stdout).toMatch(/configmap\/kube-root-ca\.crt +1 /);
    expect(res.stdout).toMatch(/secret\/s +Opaque +1 /);
  });

  it('patches with merge, JSON and strategic merge patches, and refuses a conflicting resourceVersion', async () => {
    await env.t.kubectl('patch', 'cm', 'app-config', '--type=merge', '-p', '{"data":{"mode":"slow"}}');
    await env.t.kubectl('patch', 'cm', 'app-config', '--type=json', '-p', '[{"op":"add","path":"/data/extra","value":"1"}]');
    await env.t.kubectl('patch', 'deployment', 'app', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}');
    expect((env.sim.get('v1', 'ConfigMap', 'default', 'app-config') as any).data).toEqual({ mode: 'slow', extra: '1' });
    expect((env.sim.get('apps/v1', 'Deployment', 'default', 'app') as any).spec.template.spec.containers[0]).toMatchObject({ name: 'web', image: 'nginx:1.28', ports: [{ containerPort: 8080, protocol: 'TCP' }] });
    const stale = await env.t.kubectl('patch', 'cm', 'app-config', '--type=merge', '-p', '{"metadata":{"resourceVersion":"1"},"data":{"mode":"x"}}');
    expect(stale.stderr).toContain('Operation cannot be fulfilled on configmaps "app-config": the object has been modified');
  });

  it('client-side applies a changed file with a strategic merge patch that keeps other managers\' fields', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csa-'));
    const file = (image: string, labels: string) => {
      const f = path.join(dir, `${image.replace(/[:.]/g, '-')}.yaml`);
      fs.writeFileSync(f, `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: csa\n  labels: {${labels}}\nspec:\n  selector: {matchLabels: {app: csa}}\n  template:\n    metadata: {labels: {app: csa}}\n    spec:\n      containers:\n        - name: web\n          image: ${image}\n          env: [{name: A, value: "1"}]\n`);
      return f;
    };
    expect((await env.t.kubectl('apply', '-f', file('nginx:1.27', 'team: a, tier: web'))).stdout).toBe('deployment.apps/csa created\n');
    await env.t.kubectl('patch', 'deployment', 'csa', '--type=merge', '-p', '{"metadata":{"annotations":{"owner":"someone-else"}}}');
    expect((await env.t.kubectl('apply', '-f', file('nginx:1.28', 'team: a'))).stdout).toBe('deployment.apps/csa configured\n');
    const d = env.sim.get('apps/v1', 'Deployment', 'default', 'csa') as any;
    expect(d.metadata.labels).toEqual({ team: 'a' });
    expect(d.metadata.annotations.owner).toBe('someone-else');
    expect(d.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'web', image: 'nginx:1.28', env: [{ name: 'A', value: '1' }] })]);
    expect(d.metadata.generation).toBe(2);
    const fromCsa = d.metadata.managedFields.map((m: any) => m.manager);
    expect(fromCsa).toEqual(expect.arrayContaining(['kubectl-client-side-apply', 'kubectl-patch']));
  });

  it('answers auth reviews: everything is allowed for the one sim user', async () => {
    expect((await env.t.kubectl('auth', 'can-i', 'delete', 'secrets', '-n', 'kube-system')).stdout).toBe('yes\n');
    expect((await env.t.kubectl('auth', 'whoami')).stdout).toMatch(/Username +sim-admin/);
  });

  it('reports a missing object with the server\'s message', async () => {
    const res = await env.t.kubectl('get', 'deployment', 'nope');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Error from server (NotFound): deployments.apps "nope" not found');
  });

  it('deletes from a file and waits until the objects are gone, then deletes a namespace', async () => {
    const res = await env.t.kubectl('delete', '-f', APP);
    expect(res.stdout).toContain('deployment.apps "app" deleted');
    expect(env.sim.get('apps/v1', 'Deployment', 'default', 'app')).toBeUndefined();
    const from = env.sim.operations.length;
    expect((await env.t.kubectl('delete', 'ns', 'gen')).stdout).toBe('namespace "gen" deleted\n');
    expect(env.sim.get('v1', 'Namespace', undefined, 'gen')).toBeUndefined();
    // kubectl watches for the DELETED event unless the namespace is already gone when it looks
    const [deletion, ...waits] = clientOps(env.sim.operations, from).filter((o) => o.verb !== 'get' && o.verb !== 'list').map(opLine);
    expect(deletion).toBe('delete Namespace gen deleting');
    expect(waits.every((w) => w === 'watch Namespace  watch')).toBe(true);
    expect(env.sim.controllerErrors).toEqual([]);
  });
});

describe('kubectl driving status by hand (controllers off)', () => {
  let manual: SimCluster;
  let k: Tools;
  beforeAll(async () => {
    manual = await startSimCluster({ controllers: false });
    k = tools(manual);
  });
  afterAll(() => manual.stop());

  it('lets a harness complete a Job through the status subresource while kubectl wait watches', async () => {
    expect((await k.kubectl('apply', '-f', JOB)).code).toBe(0);
    const waiting = k.kubectl('wait', '--for=condition=complete', 'job/hello', '--timeout=30s');
    const patch = JSON.stringify({ status: { conditions: [{ type: 'Complete', status: 'True' }], succeeded: 1 } });
    const patched = await k.kubectl('patch', 'job', 'hello', '--subresource=status', '--type=merge', '-p', patch);
    expect(patched.stdout).toBe('job.batch/hello patched\n');
    expect((await waiting).stdout).toBe('job.batch/hello condition met\n');
    const job = manual.get('batch/v1', 'Job', 'default', 'hello') as any;
    expect(job.metadata.managedFields.find((m: any) => m.subresource === 'status')).toMatchObject({ manager: 'kubectl-patch', operation: 'Update' });
    expect(manual.list('v1', 'Pod', 'default')).toEqual([]); // no Job controller, no pods
  });
});
