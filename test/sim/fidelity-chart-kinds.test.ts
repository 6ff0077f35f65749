/**
 * Fidelity: what real third-party charts need from the sim, judged by the real helm 4.1.4 and
 * kubectl 1.34 — admissionregistration.k8s.io/v1 and the other kinds they template (discovery,
 * SSA, patch, watch, Tables, validation), and containers that run their image's entrypoint
 * (args only, or neither command nor args) so `helm install --wait` succeeds.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { clientOps, simWithTools, stderrOf } from './support';

const env = simWithTools();
const CHART = path.join(__dirname, 'fixtures', 'real-images-chart');

/** The kinds added for real charts, as `kubectl api-resources` prints them (name, shortnames, apiVersion, namespaced, kind). */
const KINDS = [
  ['mutatingwebhookconfigurations', 'admissionregistration.k8s.io/v1', 'false', 'MutatingWebhookConfiguration'],
  ['validatingadmissionpolicies', 'admissionregistration.k8s.io/v1', 'false', 'ValidatingAdmissionPolicy'],
  ['validatingadmissionpolicybindings', 'admissionregistration.k8s.io/v1', 'false', 'ValidatingAdmissionPolicyBinding'],
  ['validatingwebhookconfigurations', 'admissionregistration.k8s.io/v1', 'false', 'ValidatingWebhookConfiguration'],
  ['apiservices', 'apiregistration.k8s.io/v1', 'false', 'APIService'],
  ['priorityclasses', 'scheduling.k8s.io/v1', 'false', 'PriorityClass'],
  ['runtimeclasses', 'node.k8s.io/v1', 'false', 'RuntimeClass'],
  ['endpointslices', 'discovery.k8s.io/v1', 'true', 'EndpointSlice'],
  ['csidrivers', 'storage.k8s.io/v1', 'false', 'CSIDriver'],
  ['csinodes', 'storage.k8s.io/v1', 'false', 'CSINode'],
  ['csistoragecapacities', 'storage.k8s.io/v1', 'true', 'CSIStorageCapacity'],
  ['volumeattachments', 'storage.k8s.io/v1', 'false', 'VolumeAttachment'],
];

const lines = (s: string) => s.trim().split('\n');

describe('kinds and containers of real charts, judged by kubectl and helm', () => {
  it('serves the kinds in aggregated discovery (kubectl api-resources) and in legacy discovery', async () => {
    const res = await env.t.kubectl('api-resources', '--no-headers');
    const rows = lines(res.stdout).map((l) => l.split(/\s+/));
    for (const [name, apiVersion, namespaced, kind] of KINDS) expect(rows).toContainEqual([name, ...(name === 'priorityclasses' ? ['pc'] : []), apiVersion, namespaced, kind]);

    const legacy = (await fetch(`${env.sim.url}/apis/admissionregistration.k8s.io/v1`).then((r) => r.json())) as any;
    expect(legacy.resources.map((r: any) => r.name)).toEqual([
      'mutatingwebhookconfigurations',
      'validatingadmissionpolicies',
      'validatingadmissionpolicies/status',
      'validatingadmissionpolicybindings',
      'validatingwebhookconfigurations',
    ]);
    const group = (await fetch(`${env.sim.url}/apis`).then((r) => r.json())) as any;
    expect(group.groups.map((g: any) => g.name)).toEqual(expect.arrayContaining(['admissionregistration.k8s.io', 'apiregistration.k8s.io', 'scheduling.k8s.io', 'node.k8s.io', 'discovery.k8s.io']));
  });

  it('installs a chart of real images with --wait: entrypoint containers run, the args-only hook Job completes', async () => {
    const from = env.sim.operations.length;
    const install = await env.t.helm('install', 'r1', CHART, '--wait', '--timeout', '60s');
    expect(stderrOf(install)).toBe('');
    expect(install.stdout).toContain('STATUS: deployed');

    const pods = await env.t.kubectl('get', 'pods', '--no-headers');
    const status = lines(pods.stdout).map((l) => l.split(/\s+/).slice(1, 4).join(' '));
    expect(status).toEqual(['1/1 Running 0', '1/1 Running 0', '1/1 Running 0', '1/1 Running 0']); // agent, cache-0, 2 controllers

    // the hook Job (args only, restartPolicy OnFailure) ran to completion: helm deleted it by hook-succeeded
    const hookOps = clientOps(env.sim.operations, from, 'Helm').filter((o) => o.kind === 'Job').map((o) => `${o.verb} ${o.outcome}`);
    expect(hookOps).toEqual(expect.arrayContaining(['apply created', 'delete deleted']));
    expect(env.sim.controllerErrors).toEqual([]);
  });

  it('prints the kinds as kube-apiserver does', async () => {
    const res = await env.t.kubectl('get', 'validatingwebhookconfigurations,mutatingwebhookconfigurations,pc,pdb,hpa,ingressclass,netpol,apiservice,clusterrolebinding');
    const rows = lines(res.stdout).map((l) => l.replace(/ +/g, ' ').replace(/ \d+s( |$)/, ' AGE$1'));
    expect(rows).toEqual([
      'NAME WEBHOOKS AGE',
      'validatingwebhookconfiguration.admissionregistration.k8s.io/r1-admission 1 AGE',
      '',
      'NAME WEBHOOKS AGE',
      'mutatingwebhookconfiguration.admissionregistration.k8s.io/r1-defaults 1 AGE',
      '',
      'NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY',
      'priorityclass.scheduling.k8s.io/r1-high 1000000 false AGE PreemptLowerPriority',
      'priorityclass.scheduling.k8s.io/system-cluster-critical 2000000000 false AGE PreemptLowerPriority',
      'priorityclass.scheduling.k8s.io/system-node-critical 2000001000 false AGE PreemptLowerPriority',
      '',
      'NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE',
      'poddisruptionbudget.policy/r1-controller 1 N/A 1 AGE', // 2 ready pods, 1 must stay
      '',
      'NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE',
      'horizontalpodautoscaler.autoscaling/r1-controller Deployment/r1-controller cpu: <unknown>/75% 2 5 0 AGE',
      '',
      'NAME CONTROLLER PARAMETERS AGE',
      'ingressclass.networking.k8s.io/r1 k8s.io/r1 <none> AGE',
      '',
      'NAME POD-SELECTOR AGE',
      'networkpolicy.networking.k8s.io/r1-controller app=r1-controller AGE',
      '',
      'NAME SERVICE AVAILABLE AGE',
      'apiservice.apiregistration.k8s.io/v1beta1.metrics.r1.example.com default/r1-webhook Unknown AGE',
      '',
      'NAME ROLE AGE',
      'clusterrolebinding.rbac.authorization.k8s.io/r1-controller ClusterRole/r1-controller AGE',
    ]);
    const pdb = env.sim.get('policy/v1', 'PodDisruptionBudget', 'default', 'r1-controller') as any;
    expect(pdb.status).toMatchObject({ observedGeneration: 1, expectedPods: 2, currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1 });
    expect(pdb.status.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' })]);
  });

  it("defaults webhooks like kube-apiserver and keeps the chart's fields", () => {
    const vwc = env.sim.get('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', undefined, 'r1-admission') as any;
    expect(vwc.metadata.generation).toBe(1);
    expect(vwc.webhooks[0]).toEqual({
      name: 'validate.r1.example.com',
      clientConfig: { service: { name: 'r1-webhook', namespace: 'default', path: '/networking/v1/ingresses', port: 443 } },
      rules: [{ apiGroups: ['networking.k8s.io'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['ingresses'], scope: '*' }],
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      sideEffects: 'None',
      timeoutSeconds: 10,
      admissionReviewVersions: ['v1'],
    });
    const mwc = env.sim.get('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', undefined, 'r1-defaults') as any;
    expect(mwc.webhooks[0]).toMatchObject({ reinvocationPolicy: 'Never', clientConfig: { url: 'https://webhook.example.com/mutate' } });
  });

  it("sees a caBundle patch (kube-webhook-certgen's) through kubectl wait's watch", async () => {
    const waiting = env.t.kubectl('wait', 'validatingwebhookconfiguration/r1-admission', '--for=jsonpath={.webhooks[0].clientConfig.caBundle}=Q0FC', '--timeout=30s');
    const patched = await env.t.kubectl(
      'patch',
      'validatingwebhookconfiguration',
      'r1-admission',
      '--type=json',
      '-p=[{"op":"add","path":"/webhooks/0/clientConfig/caBundle","value":"Q0FC"}]',
    );
    expect(patched.stdout).toBe('validatingwebhookconfiguration.admissionregistration.k8s.io/r1-admission patched\n');
    const waited = await waiting;
    expect(stderrOf(waited)).toBe('');
    expect(waited.stdout).toBe('validatingwebhookconfiguration.admissionregistration.k8s.io/r1-admission condition met\n');
  });

  it('server-side applies a changed webhook on upgrade (generation 3), and uninstall deletes every kind', async () => {
    const upgrade = await env.t.helm('upgrade', 'r1', CHART, '--set', 'failurePolicy=Ignore', '--wait', '--timeout', '60s');
    expect(stderrOf(upgrade)).toBe('');
    expect(upgrade.stdout).toContain('STATUS: deployed');
    const vwc = env.sim.get('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', undefined, 'r1-admission') as any;
    expect(vwc.webhooks[0].failurePolicy).toBe('Ignore');
    expect(vwc.webhooks[0].clientConfig.caBundle).toBe('Q0FC'); // owned by kubectl's patch, kept by helm's apply
    expect(vwc.metadata.generation).toBe(3);
    expect(vwc.metadata.managedFields.map((m: any) => `${m.manager} ${m.operation}`)).toEqual(['helm Apply', 'kubectl-patch Update']);

    expect((await env.t.helm('uninstall', 'r1', '--wait')).stdout).toContain('release "r1" uninstalled');
    for (const [apiVersion, kind, name] of [
      ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'r1-admission'],
      ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'r1-defaults'],
      ['apiregistration.k8s.io/v1', 'APIService', 'v1beta1.metrics.r1.example.com'],
      ['scheduling.k8s.io/v1', 'PriorityClass', 'r1-high'],
    ])
      expect(env.sim.get(apiVersion, kind, undefined, name)).toBeUndefined();
  });

  it('rejects an invalid webhook with the causes kube-apiserver gives', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vwc-')), 'bad.yaml');
    fs.writeFileSync(
      file,
      'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: bad}\nwebhooks:\n- name: short\n  clientConfig: {url: "https://x.example.com"}\n',
    );
    const res = await env.t.kubectl('apply', '--server-side', '-f', file);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('The ValidatingWebhookConfiguration "bad" is invalid');
    expect(res.stderr).toContain('webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots');
    expect(res.stderr).toContain('webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun');
    expect(res.stderr).toContain('webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1');
  });
});
