/**
 * Fidelity for old kubectl: Debian's kubectl 1.20 (test/sim/debian-tools.ts) reads the
 * protobuf /openapi/v2 for client-side validation, apply's strategic merge, explain, diff and
 * --dry-run=server, and uses legacy discovery. Skipped, with the reason printed, where the
 * Debian package cannot be had.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { startSimCluster, type SimCluster, type SimRequest } from '../../lib/sim';
import { describeWith, oldKubectl } from './debian-tools';
import type { ToolResult } from './support';

const exec = promisify(execFile);

const DEPLOYMENT = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ${image}
          args: ["-g", "daemon off;"]
`;

describeWith(oldKubectl(), 'kubectl 1.20 against the sim', (kubectlPath) => {
  let sim: SimCluster;
  const requests: SimRequest[] = [];
  let home: string;
  let file: string;
  beforeAll(async () => {
    sim = await startSimCluster({ timeScale: 0.05, onRequest: (r) => requests.push(r) });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-1.20-'));
    file = path.join(home, 'web.yaml');
  });
  afterAll(() => sim?.stop());

  async function kubectl(...args: string[]): Promise<ToolResult> {
    try {
      const { stdout, stderr } = await exec(kubectlPath, args, { env: { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: sim.kubeconfigPath }, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }

  it('validates against the protobuf /openapi/v2 and creates with apply; the args-only Deployment rolls out', async () => {
    fs.writeFileSync(file, DEPLOYMENT('nginx:1.27'));
    expect(await kubectl('apply', '-f', file)).toEqual({ code: 0, stdout: 'deployment.apps/web created\n', stderr: '' });
    expect(requests).toContainEqual(expect.objectContaining({ verb: 'get', path: '/openapi/v2?timeout=32s', userAgent: expect.stringMatching(/^kubectl\/v1\.20/), status: 200 }));
    expect((await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s')).stdout).toContain('deployment "web" successfully rolled out');
  });

  it('finds --dry-run=server support in the PATCH operation and changes nothing', async () => {
    fs.writeFileSync(file, DEPLOYMENT('nginx:1.28'));
    const res = await kubectl('apply', '-f', file, '--dry-run=server');
    expect(res.stdout).toBe('deployment.apps/web configured (server dry run)\n');
    expect((sim.get('apps/v1', 'Deployment', 'default', 'web') as any).spec.template.spec.containers[0].image).toBe('nginx:1.27');
  });

  it('diffs through a server-side dry run', async () => {
    const res = await kubectl('diff', '-f', file);
    expect(res.code).toBe(1); // differences found
    expect(res.stdout).toMatch(/^-\s+image: nginx:1\.27$/m);
    expect(res.stdout).toMatch(/^\+\s+image: nginx:1\.28$/m);
  });

  it("applies a change with its built-in strategic merge (the permissive schema only costs kubectl's warning)", async () => {
    const res = await kubectl('apply', '-f', file);
    expect(res.stdout).toBe('deployment.apps/web configured\n');
    expect(res.stderr).toBe('warning: error calculating patch from openapi spec: expected kind, but got map\n');
    const live = sim.get('apps/v1', 'Deployment', 'default', 'web') as any;
    expect(live.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'web', image: 'nginx:1.28', args: ['-g', 'daemon off;'] })]);
  });

  it('explains a kind it maps through x-kubernetes-group-version-kind', async () => {
    const res = await kubectl('explain', 'validatingwebhookconfiguration');
    expect(res.stdout).toMatch(/^KIND: +ValidatingWebhookConfiguration\nVERSION: +admissionregistration.k8s.io\/v1\n/);
  });

  it('lists the kinds real charts need through legacy discovery', async () => {
    const res = await kubectl('get', 'priorityclasses', '-o', 'name');
    expect(res.stdout).toBe('priorityclass.scheduling.k8s.io/system-cluster-critical\npriorityclass.scheduling.k8s.io/system-node-critical\n');
    expect((await kubectl('get', 'validatingwebhookconfigurations')).stderr).toBe('No resources found\n');
  });
});
