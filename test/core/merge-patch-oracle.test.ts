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
import { createMergePatch } from '../../lib/core/json-merge-patch';
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
              ports: [{ containerPort: 80, name: 'http' }, { containerPort: 9090, name: 'metrics' }],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
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
  { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 1, color: 'red', tags: ['x', 'y'] } },
  gadgetCrd('gadgets v1'),
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
  { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 2, tags: ['y'] } },
  gadgetCrd('gadgets v2', 'color'),
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

interface Case {
  kind: string;
  name: string;
  /** What Helm sent: undefined when it sent no PATCH. */
  helm?: { contentType: string; body: string };
  ours: { contentType: string; body: string };
  current: JsonObject;
  patch: JsonObject;
}

let sim: SimCluster;
let t: Tools;
let tmp: string;
const cases: Case[] = [];

async function helmOk(...args: string[]) {
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

beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.05, captureBodies: true });
  t = tools(sim);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-oracle-'));
  const release = 'csa';
  await helmOk('install', release, writeChart(path.join(tmp, 'v1'), '0.1.0', V1), '-n', NS, '--server-side=false');

  // others change the live objects: an autoscaler scales web-b, a controller annotates it, someone edits the Widget
  const merge = 'application/merge-patch+json';
  await send(sim, 'PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/web-b?fieldManager=hpa`, { spec: { replicas: 5 } }, merge);
  await send(sim, 'PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/web-b?fieldManager=controller`, { metadata: { annotations: { 'example.com/seen': 'yes' } } }, merge);
  await send(sim, 'PATCH', `/apis/example.com/v1/namespaces/${NS}/widgets/w1?fieldManager=editor`, { spec: { owner: 'ops' } }, merge);

  const original = manifestObjects((await helmOk('get', 'manifest', release, '-n', NS)).stdout);
  const currents = original.map(liveOf);
  const from = sim.operations.length;
  await helmOk('upgrade', release, writeChart(path.join(tmp, 'v2'), '0.2.0', V2), '-n', NS);
  const modified = manifestObjects((await helmOk('get', 'manifest', release, '-n', NS, '--revision', '2')).stdout).map((o) => withOwnership(o, release));

  const patches = sim.operations.slice(from).filter((op: SimOperation) => op.verb === 'patch' && op.userAgent?.startsWith('Helm/'));
  for (const target of modified) {
    const i = original.findIndex((o) => sameObject(o, target));
    if (i < 0) continue;
    const schema = patchSchemaFor(target.apiVersion as string, target.kind as string);
    const patch = schema ? createThreeWayMergePatch(original[i], target, currents[i], schema) : createMergePatch(original[i], target);
    const contentType = clientSidePatchType(target.apiVersion as string, target.kind as string) === 'strategic' ? 'application/strategic-merge-patch+json' : 'application/merge-patch+json';
    const sent = patches.find((op) => op.kind === target.kind && op.name === nameOf(target));
    cases.push({
      kind: target.kind as string,
      name: nameOf(target),
      helm: sent && { contentType: sent.contentType!, body: sent.body! },
      ours: { contentType, body: goMarshal(patch) },
      current: currents[i],
      patch,
    });
  }
  // the numbers for the report
  process.stdout.write(`merge-patch oracle: ${cases.filter((c) => c.helm?.body === c.ours.body).length}/${cases.length} patches byte-identical to Helm 4.1.4's\n`);
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('client-side upgrade patches equal real Helm 4.1.4', () => {
  it('covers every object of the chart', () => {
    expect(cases.map((c) => `${c.kind}/${c.name}`).sort()).toEqual([
      'ConfigMap/cfg',
      'CustomResourceDefinition/gadgets.example.com',
      'Deployment/web-a',
      'Deployment/web-b',
      'Service/svc',
      'Widget/w1',
    ]);
  });

  it.each(['ConfigMap/cfg', 'Service/svc', 'Deployment/web-a', 'Deployment/web-b', 'Widget/w1', 'CustomResourceDefinition/gadgets.example.com'])(
    '%s: same content type and bytes',
    (id) => {
      const c = cases.find((x) => `${x.kind}/${x.name}` === id)!;
      expect(c.helm).toEqual(c.ours);
    },
  );

  it('applying our patch to the live object gives what the sim stored (which adds only its defaults)', () => {
    for (const c of cases.filter((x) => patchSchemaFor(x.current.apiVersion as string, x.kind))) {
      const applied = applyStrategicMergePatch(c.current, c.patch, patchSchemaFor(c.current.apiVersion as string, c.kind)!);
      const stored = liveOf(c.current);
      expect({ id: `${c.kind}/${c.name}`, spec: stored.spec ?? stored.data, labels: (stored.metadata as JsonObject).labels }).toMatchObject({
        id: `${c.kind}/${c.name}`,
        spec: applied.spec ?? applied.data,
        labels: (applied.metadata as JsonObject).labels,
      });
    }
  });

  it('keeps what others changed in the cluster: the autoscaler\'s replicas and the controller\'s annotation', () => {
    const web = liveOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web-b', namespace: NS } }) as any;
    expect(web.spec.replicas).toBe(5);
    expect(web.metadata.annotations['example.com/seen']).toBe('yes');
    expect(web.spec.template.spec.containers[0].image).toBe('nginx:1.28');
  });
});
