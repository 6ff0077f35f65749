/**
 * Fidelity for another client: Debian's python3-kubernetes 22.6 (typed models that refuse a
 * missing required field, `watch=True` spelled the Python way), and Yelp's Swagger 2.0
 * validator judging /openapi/v2 (test/sim/debian-tools.ts). Skipped, with the reason printed,
 * where the Debian packages cannot be had.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { describeWith, pythonTools } from './debian-tools';

const exec = promisify(execFile);

const PRELUDE = `
import json, sys
from kubernetes import client, config, watch
config.load_kube_config()
core = client.CoreV1Api()
`;

describeWith(pythonTools(), 'python3-kubernetes against the sim', ({ python, pythonPath }) => {
  let sim: SimCluster;
  let home: string;
  beforeAll(async () => {
    sim = await startSimCluster({ timeScale: 0.05 });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'python-client-'));
  });
  afterAll(() => sim?.stop());

  /** Runs a script after PRELUDE and parses the JSON it prints last. */
  async function py(script: string): Promise<any> {
    const env = { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: sim.kubeconfigPath, PYTHONPATH: pythonPath };
    const { stdout } = await exec(python, ['-c', `${PRELUDE}\n${script}`], { env, timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!);
  }

  it('accepts the Node list (every NodeSystemInfo field set) and the pods the kubelet runs', async () => {
    const out = await py(`
info = core.list_node().items[0].status.node_info.to_dict()
client.AppsV1Api().create_namespaced_deployment('default', {
  'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'py-app'},
  'spec': {'selector': {'matchLabels': {'app': 'py'}}, 'template': {'metadata': {'labels': {'app': 'py'}},
    'spec': {'containers': [{'name': 'app', 'image': 'ghcr.io/example/app:1.0', 'args': ['--port=8080']}]}}}})
print(json.dumps(info))`);
    for (const key of ['architecture', 'boot_id', 'container_runtime_version', 'kernel_version', 'kube_proxy_version', 'kubelet_version', 'machine_id', 'operating_system', 'os_image', 'system_uuid'])
      expect(out[key]).toEqual(expect.any(String));
    expect(out.machine_id).toMatch(/^[0-9a-f]{32}$/);

    const pods = await py(`
import time
for _ in range(200):
  pods = core.list_namespaced_pod('default', label_selector='app=py').items
  if pods and all(p.status.phase == 'Running' and p.status.container_statuses[0].ready for p in pods): break
  time.sleep(0.05)
print(json.dumps([[p.status.phase, p.status.container_statuses[0].ready, p.status.container_statuses[0].restart_count] for p in pods]))`);
    expect(pods).toEqual([['Running', true, 0]]);
  });

  it('opens a watch with watch=True and receives the ADDED event', async () => {
    const from = sim.operations.length;
    const events = await py(`
core.create_namespaced_config_map('default', {'metadata': {'name': 'py-watch'}, 'data': {'a': 'b'}})
w = watch.Watch()
seen = []
for e in w.stream(core.list_namespaced_config_map, 'default', field_selector='metadata.name=py-watch', timeout_seconds=10):
  seen.append([e['type'], e['object'].metadata.name, e['object'].data])
  w.stop()
print(json.dumps(seen))`);
    expect(events).toEqual([['ADDED', 'py-watch', { a: 'b' }]]);
    expect(sim.operations.slice(from).filter((o) => o.verb === 'watch').map((o) => `${o.kind} ${o.userAgent}`)).toEqual(['ConfigMap OpenAPI-Generator/22.6.0/python']);
  });

  it('creates and lists webhook configurations and priority classes through the typed APIs', async () => {
    const out = await py(`
adm = client.AdmissionregistrationV1Api()
adm.create_validating_webhook_configuration({
  'metadata': {'name': 'py-hook'},
  'webhooks': [{'name': 'check.py.example.com', 'clientConfig': {'url': 'https://hook.example.com/check'},
    'sideEffects': 'None', 'admissionReviewVersions': ['v1']}]})
hook = adm.list_validating_webhook_configuration().items[0].webhooks[0]
classes = [p.metadata.name for p in client.SchedulingV1Api().list_priority_class().items]
print(json.dumps({'policy': hook.failure_policy, 'timeout': hook.timeout_seconds, 'classes': classes}))`);
    expect(out).toEqual({ policy: 'Fail', timeout: 10, classes: ['system-cluster-critical', 'system-node-critical'] });
  });

  it('/openapi/v2 is a valid Swagger 2.0 document (swagger_spec_validator)', async () => {
    const file = path.join(home, 'openapi-v2.json');
    fs.writeFileSync(file, await fetch(`${sim.url}/openapi/v2`).then((r) => r.text()));
    const env = { PATH: process.env.PATH ?? '', PYTHONPATH: pythonPath };
    const script = `import json, sys\nfrom swagger_spec_validator.validator20 import validate_spec\nvalidate_spec(json.load(open(sys.argv[1])))\nprint("valid")`;
    const { stdout } = await exec(python, ['-c', script, file], { env, timeout: 60_000 });
    expect(stdout).toBe('valid\n');
  });
});
