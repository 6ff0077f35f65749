/**
 * Real Helm 4.1.4 as oracle for client-side apply: `helm install --server-side=false`, changes
 * made in the cluster by others, then `helm upgrade` (auto → csa) against the sim with request
 * bodies captured. For every object Helm updated, lib/core must compute the same patch bytes
 * from the same original (previous release manifest), modified (new manifest, with the
 * namespace and Helm's ownership metadata Helm adds) and current (the live object), and applying
 * it must give the object the sim stored.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { goMarshal, type JsonObject } from '../../lib/core/go-json';
import { createMergePatch, createThreeWayJsonMergePatch } from '../../lib/core/json-merge-patch';
import { upgradeManagedFieldsPatch } from '../../lib/core/managed-fields';
import { splitManifest } from '../../lib/core/manifest';
import { isClusterScoped } from '../../lib/core/objects';
import { clientSidePatchType, patchSchemaFor } from '../../lib/core/patch-meta';
import { applyStrategicMergePatch, createThreeWayMergePatch } from '../../lib/core/strategic-merge-patch';
import { startSimCluster, type SimCluster, type SimOperation } from '../../lib/sim';
import { send, tools, type Tools } from '../sim/support';

const NS = 'default';
const OWNERSHIP_LABELS = { 'app.kubernetes.io/managed-by': 'Helm' };
const ownershipAnnotations = (release: string) => ({ 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': NS });

const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

const gadgetCrd = (description: string, extraProperty?: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com', labels: { app: 'gadgets' } },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description,
            properties: { spec: { type: 'object', properties: { size: { type: 'integer' }, ...(extraProperty ? { [extraProperty]: { type: 'string' } } : {}) } } },
          },
        },
      },
    ],
  },
});

const container = (image: string, env: object[], extra: object = {}) => ({ name: 'web', image, env, ...extra });
const agent = (updateStrategy: object, annotations: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', annotations },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    updateStrategy,
    template: { metadata: { labels: { app: 'agent' }, creationTimestamp: null }, spec: { containers: [{ name: 'agent', image: 'busybox:1.36', command: ['sleep', '3600'] }] } },
  },
});
const sidecar = { name: 'sidecar', image: 'busybox:1.36', command: ['sh', '-c', 'sleep 3600'] };

/** Revision 1 and 2 of one chart: each object changes in one of the ways Helm's three-way merge must get right. */
const V1 = [
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1', b: '2' } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { selector: { app: 'web-a' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web-a', labels: { app: 'web-a', tier: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web-a' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
      template: {
        metadata: { labels: { app: 'web-a' } },
        spec: {
          containers: [
            container('nginx:1.27', [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], {
              args: ['--a', '--b'],
              ports: [{ containerPort: 80, name: 'http' }, { containerPort: 10000, name: 'metrics' }],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
              resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } },
            }),
            sidecar,
          ],
          volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }],
          tolerations: [{ key: 'a', operator: 'Exists' }],
        },
      },
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web-b', labels: { app: 'web-b' } },
    spec: {
      selector: { matchLabels: { app: 'web-b' } },
      template: { metadata: { labels: { app: 'web-b' } }, spec: { containers: [container('nginx:1.27', [{ name: 'A', value: '1' }])] } },
    },
  },
  { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 1, color: 'red', tags: ['blue', 'green'] } },
  gadgetCrd('gadgets v1'),
  agent({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } }, { 'example.com/a': '1', 'example.com/b': '2' }),
];

const V2 = [
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { selector: { app: 'web-a' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web-a', labels: { app: 'web-a' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web-a' } },
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels: { app: 'web-a' } },
        spec: {
          containers: [
            sidecar,
            container('nginx:1.28', [{ name: 'A', value: '1' }, { name: 'C', value: '3' }], {
              args: ['--b', '--c'],
              ports: [{ containerPort: 80, name: 'http' }, { containerPort: 8080, name: 'alt' }],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
              resources: { limits: { cpu: '2' }, requests: { cpu: '100m' } },
              securityContext: null,
            }),
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'b', operator: 'Exists' }],
        },
      },
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web-b', labels: { app: 'web-b' } },
    spec: {
      selector: { matchLabels: { app: 'web-b' } },
      template: { metadata: { labels: { app: 'web-b' } }, spec: { containers: [container('nginx:1.28', [{ name: 'A', value: '1' }])] } },
    },
  },
  { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 2, tags: ['green'] } },
  gadgetCrd('gadgets v2', 'color'),
  agent({ type: 'OnDelete' }, { 'example.com/a': '1' }),
];

function writeChart(dir: string, version: string, docs: object[]): string {
  fs.mkdirSync(path.join(dir, 'templates'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'crds'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: patches\nversion: ${version}\n`);
  fs.writeFileSync(path.join(dir, 'crds', 'widgets.yaml'), stringify(WIDGET_CRD));
  fs.writeFileSync(path.join(dir, 'templates', 'all.yaml'), docs.map((d) => stringify(d)).join('---\n'));
  return dir;
}

/** The objects of a stored manifest as Helm's builder makes them: the release namespace set on namespaced kinds. */
function manifestObjects(manifest: string): JsonObject[] {
  return splitManifest(manifest).map(({ object }) => {
    const o = structuredClone(object) as JsonObject & { metadata: JsonObject };
    if (!isClusterScoped(o.apiVersion as string, o.kind as string) && o.kind !== 'CustomResourceDefinition') o.metadata.namespace ??= NS;
    return o;
  });
}

/** setMetadataVisitor(release, namespace, true): Helm's ownership label and annotations on each target. */
function withOwnership(o: JsonObject, release: string): JsonObject {
  const out = structuredClone(o) as JsonObject & { metadata: Record<string, Record<string, string>> };
  out.metadata.labels = { ...out.metadata.labels, ...OWNERSHIP_LABELS };
  out.metadata.annotations = { ...out.metadata.annotations, ...ownershipAnnotations(release) };
  return out;
}

const nameOf = (o: JsonObject) => (o.metadata as { name: string }).name;
const sameObject = (a: JsonObject, b: JsonObject) => a.kind === b.kind && nameOf(a) === nameOf(b);
const STRATEGIC = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

interface Case {
  step: string;
  kind: string;
  name: string;
  /** What Helm sent: undefined when it sent no request of that type. */
  helm?: { contentType: string; body: string };
  /** What lib/core computes; undefined when Helm must send nothing. */
  ours?: { contentType: string; body: string };
  current: JsonObject;
  patch?: JsonObject;
}

let sim: SimCluster;
let t: Tools;
let tmp: string;
const cases: Case[] = [];

async function helm(...args: string[]) {
  const res = await t.helm(...args);
  if (res.code !== 0) throw new Error(`helm ${args.join(' ')}: ${res.stderr}`);
  return res;
}

const liveOf = (o: JsonObject): JsonObject => {
  const meta = o.metadata as { name: string; namespace?: string };
  const live = sim.get(o.apiVersion as string, o.kind as string, meta.namespace, meta.name);
  if (!live) throw new Error(`no live ${o.kind} ${meta.name}`);
  return structuredClone(live) as JsonObject;
};

const manifestAt = async (release: string, revision: number) => manifestObjects((await helm('get', 'manifest', release, '-n', NS, '--revision', String(revision))).stdout);

/** Helm's requests of one content type since operation `from`, per object. */
const sentSince = (from: number, contentType: string) =>
  sim.operations.slice(from).filter((op: SimOperation) => op.verb === 'patch' && op.userAgent?.startsWith('Helm/') && op.contentType === contentType);

/**
 * One client-side update by Helm: `run` changes the release from `originals` to the manifest of
 * `revision`; each object in both is recorded with Helm's request and ours.
 */
async function clientSideStep(step: string, release: string, originals: JsonObject[], revision: number, run: () => Promise<unknown>, opts: { threeWayForUnstructured?: boolean } = {}) {
  const currents = originals.map(liveOf);
  const from = sim.operations.length;
  await run();
  const targets = (await manifestAt(release, revision)).map((o) => withOwnership(o, release));
  const sent = [...sentSince(from, STRATEGIC), ...sentSince(from, MERGE)];
  for (const target of targets) {
    const i = originals.findIndex((o) => sameObject(o, target));
    if (i < 0) continue;
    const schema = patchSchemaFor(target.apiVersion as string, target.kind as string);
    let patch: JsonObject;
    if (schema) patch = createThreeWayMergePatch(originals[i], target, currents[i], schema);
    else if (opts.threeWayForUnstructured) patch = createThreeWayJsonMergePatch(originals[i], target, currents[i]);
    else patch = createMergePatch(originals[i], target);
    const contentType = clientSidePatchType(target.apiVersion as string, target.kind as string) === 'strategic' ? STRATEGIC : MERGE;
    const op = sent.find((o) => o.kind === target.kind && o.name === nameOf(target));
    const body = goMarshal(patch);
    cases.push({
      step,
      kind: target.kind as string,
      name: nameOf(target),
      helm: op && { contentType: op.contentType!, body: op.body! },
      ours: body === '{}' ? undefined : { contentType, body },
      current: currents[i],
      patch,
    });
  }
}

beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.05, captureBodies: true });
  t = tools(sim);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-oracle-'));
  const release = 'csa';
  await helm('install', release, writeChart(path.join(tmp, 'v1'), '0.1.0', V1), '-n', NS, '--server-side=false');

  // others change the live objects: an autoscaler scales web-b, a controller annotates it, someone edits the Widget
  await send(sim, 'PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/web-b?fieldManager=hpa`, { spec: { replicas: 5 } }, MERGE);
  await send(sim, 'PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/web-b?fieldManager=controller`, { metadata: { annotations: { 'example.com/seen': 'yes' } } }, MERGE);
  await send(sim, 'PATCH', `/apis/example.com/v1/namespaces/${NS}/widgets/w1?fieldManager=editor`, { spec: { owner: 'ops' } }, MERGE);

  // upgrade (auto → csa, the record says csa), then roll back to revision 1 (csa again)
  await clientSideStep('upgrade', release, await manifestAt(release, 1), 2, () => helm('upgrade', release, writeChart(path.join(tmp, 'v2'), '0.2.0', V2), '-n', NS));
  await clientSideStep('rollback', release, await manifestAt(release, 2), 3, () => helm('rollback', release, '1', '-n', NS));

  // csa → ssa: Helm first moves the client-side manager's fields to its Apply entry (a JSON patch per object)
  const objects = await manifestAt(release, 3);
  const before = objects.map(liveOf);
  const from = sim.operations.length;
  await helm('upgrade', release, path.join(tmp, 'v2'), '-n', NS, '--server-side=true');
  const sent = sentSince(from, JSON_PATCH);
  objects.forEach((o, i) => {
    const ours = upgradeManagedFieldsPatch(before[i] as never, ['helm'], 'helm');
    const op = sent.find((x) => x.kind === o.kind && x.name === nameOf(o));
    cases.push({
      step: 'migrate',
      kind: o.kind as string,
      name: nameOf(o),
      helm: op && { contentType: op.contentType!, body: op.body! },
      ours: ours && { contentType: JSON_PATCH, body: ours.body },
      current: before[i],
    });
  });

  // --take-ownership of objects kubectl created: original = the new manifest's own object
  const adoptChart = path.join(tmp, 'adopt');
  const adoptDocs = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'adopt-cfg' }, data: { a: '1' } },
    { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'adopt-w' }, spec: { size: 3 } },
  ];
  await send(sim, 'POST', `/api/v1/namespaces/${NS}/configmaps?fieldManager=kubectl-create`, { ...adoptDocs[0], data: { a: '0', extra: 'x' } });
  await send(sim, 'POST', `/apis/example.com/v1/namespaces/${NS}/widgets?fieldManager=kubectl-create`, { ...adoptDocs[1], spec: { size: 1, extra: 'x' } });
  const adoptTargets = adoptDocs.map((d) => withOwnership({ ...d, metadata: { ...d.metadata, namespace: NS } } as unknown as JsonObject, 'adopt'));
  await clientSideStep('adopt', 'adopt', adoptTargets, 1, () => helm('install', 'adopt', writeChart(adoptChart, '0.1.0', adoptDocs), '-n', NS, '--take-ownership', '--server-side=false'), {
    threeWayForUnstructured: true,
  });

  const same = cases.filter((c) => (c.helm?.body ?? '') === (c.ours?.body ?? '') && c.helm?.contentType === c.ours?.contentType).length;
  if (process.env.ORACLE_DUMP) for (const c of cases) process.stdout.write(`${c.step} ${c.kind}/${c.name} ${c.helm?.contentType}\n${c.helm?.body}\n`);
  process.stdout.write(`merge-patch oracle: ${same}/${cases.length} requests identical to Helm 4.1.4's (${cases.filter((c) => c.helm).length} sent)\n`);
}, 180_000);

afterAll(async () => {
  await sim?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const caseIds = () => cases.map((c) => `${c.step} ${c.kind}/${c.name}`);

const OBJECTS = ['ConfigMap/cfg', 'CustomResourceDefinition/gadgets.example.com', 'DaemonSet/agent', 'Deployment/web-a', 'Deployment/web-b', 'Service/svc', 'Widget/w1'];
const IDS = [
  ...['upgrade', 'rollback', 'migrate'].flatMap((step) => OBJECTS.map((o) => `${step} ${o}`)),
  'adopt ConfigMap/adopt-cfg',
  'adopt Widget/adopt-w',
];

describe('client-side apply requests equal real Helm 4.1.4\'s', () => {
  it('covers every object of every step', () => {
    expect(caseIds().sort()).toEqual([...IDS].sort());
  });

  it.each(IDS)('%s: same request (content type and bytes), or none', (id) => {
    const c = cases.find((x) => `${x.step} ${x.kind}/${x.name}` === id)!;
    expect(c.helm).toEqual(c.ours);
  });

  it('applying our patches to the live objects gives what the sim stored (which adds only its defaults)', () => {
    for (const c of cases.filter((x) => x.step === 'upgrade' && x.patch && patchSchemaFor(x.current.apiVersion as string, x.kind))) {
      const applied = applyStrategicMergePatch(c.current, c.patch!, patchSchemaFor(c.current.apiVersion as string, c.kind)!);
      const stored = (cases.find((x) => x.step === 'rollback' && x.kind === c.kind && x.name === c.name) ?? c).current;
      expect({ id: `${c.kind}/${c.name}`, spec: stored.spec ?? stored.data, labels: (stored.metadata as JsonObject).labels }).toMatchObject({
        id: `${c.kind}/${c.name}`,
        spec: applied.spec ?? applied.data,
        labels: (applied.metadata as JsonObject).labels,
      });
    }
  });

  it('keeps what others changed in the cluster through csa updates: the autoscaler\'s replicas and the controller\'s annotation', () => {
    const web = cases.find((x) => x.step === 'migrate' && x.name === 'web-b')!.current as any;
    expect(web.spec.replicas).toBe(5);
    expect(web.metadata.annotations['example.com/seen']).toBe('yes');
  });
});
