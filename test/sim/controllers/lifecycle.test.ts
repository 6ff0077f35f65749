import { startSimCluster, type SimCluster } from '../../../lib/sim';
import { eventually, jobManifest, send } from '../support';

// Garbage collection, namespace lifecycle and CRDs (controllers/gc.ts, namespaces.ts, crds.ts).
let sim: SimCluster;
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.01, seed: 13 });
});
afterAll(() => sim.stop());

const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
});
const rsOf = (app: string) => sim.list('apps/v1', 'ReplicaSet', 'default').filter((r: any) => r.metadata.labels?.app === app) as any[];
const podsOf = (app: string) => sim.list('v1', 'Pod', 'default').filter((p: any) => p.metadata.labels?.app === app) as any[];

describe('garbage collection', () => {
  it('deletes a Job\'s pods in the background after the Job goes', async () => {
    await send(sim, 'POST', '/apis/batch/v1/namespaces/default/jobs', jobManifest('gc-job', 'sleep 100'));
    await eventually('gc-job pod', () => sim.list('v1', 'Pod', 'default').some((p: any) => p.metadata.labels?.['job-name'] === 'gc-job'));
    await send(sim, 'DELETE', '/apis/batch/v1/namespaces/default/jobs/gc-job?propagationPolicy=Background');
    await eventually('gc-job pods to go', () => !sim.list('v1', 'Pod', 'default').some((p: any) => p.metadata.labels?.['job-name'] === 'gc-job'));
  });

  it('deletes dependents first under Foreground propagation', async () => {
    await send(sim, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment('fg'));
    await eventually('fg pods', () => podsOf('fg').length === 1);
    const res = await send(sim, 'DELETE', '/apis/apps/v1/namespaces/default/deployments/fg', { propagationPolicy: 'Foreground' });
    expect(res).toMatchObject({ metadata: { finalizers: ['foregroundDeletion'], deletionTimestamp: expect.any(String) } });
    await eventually('fg to go', () => !sim.get('apps/v1', 'Deployment', 'default', 'fg'));
    expect(rsOf('fg')).toEqual([]);
    await eventually('fg pods to go', () => podsOf('fg').length === 0);
  });

  it('releases dependents under Orphan propagation', async () => {
    await send(sim, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment('orph'));
    await eventually('orph replicaset', () => rsOf('orph').length === 1);
    await send(sim, 'DELETE', '/apis/apps/v1/namespaces/default/deployments/orph', { propagationPolicy: 'Orphan' });
    await eventually('orph to go', () => !sim.get('apps/v1', 'Deployment', 'default', 'orph'));
    expect(rsOf('orph')[0].metadata.ownerReferences).toBeUndefined();
  });
});

describe('namespaces', () => {
  it('seeds a node, the default StorageClass and the kubernetes Service', () => {
    expect(sim.get('v1', 'Node', undefined, 'sim-node')).toMatchObject({ status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    expect(sim.get('storage.k8s.io/v1', 'StorageClass', undefined, 'standard')).toMatchObject({ metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });
    expect(sim.get('v1', 'Service', 'default', 'kubernetes')).toMatchObject({ spec: { clusterIP: '10.96.0.1' } });
  });

  it('seeds the default namespaces with their ServiceAccount and root CA ConfigMap', () => {
    expect(sim.list('v1', 'Namespace').map((n: any) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect(sim.get('v1', 'ServiceAccount', 'kube-system', 'default')).toBeDefined();
    expect(sim.get('v1', 'ConfigMap', 'default', 'kube-root-ca.crt')).toMatchObject({ data: { 'ca.crt': expect.stringContaining('BEGIN CERTIFICATE') } });
  });

  it('deletes a namespace\'s content, then the namespace (Terminating in between)', async () => {
    await send(sim, 'POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await send(sim, 'POST', '/apis/apps/v1/namespaces/doomed/deployments', deployment('inside'));
    await eventually('inside pod', () => sim.list('v1', 'Pod', 'doomed').length === 1);
    const res = await send(sim, 'DELETE', '/api/v1/namespaces/doomed');
    expect(res.status.phase).toBe('Terminating');
    await eventually('doomed to go', () => !sim.get('v1', 'Namespace', undefined, 'doomed'));
    expect(sim.list('v1', 'Pod', 'doomed')).toEqual([]);
    expect(sim.list('apps/v1', 'Deployment', 'doomed')).toEqual([]);
  });
});

describe('custom resource definitions', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
        },
      ],
    },
  };

  it('establishes a CRD, serves its kind, and removes the kind with the CRD', async () => {
    const before = (await fetch(`${sim.url}/openapi/v3`).then((r) => r.json())) as any;
    await send(sim, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    const established = await eventually('widgets to be established', () => {
      const c = sim.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'widgets.example.com') as any;
      return c?.status?.conditions?.some((x: any) => x.type === 'Established' && x.status === 'True') && c;
    });
    expect(established.status.acceptedNames.kind).toBe('Widget');
    const discovery = (await fetch(`${sim.url}/apis/example.com/v1`).then((r) => r.json())) as any;
    expect(discovery.resources.map((r: any) => r.name)).toEqual(['widgets', 'widgets/status']);
    const after = (await fetch(`${sim.url}/openapi/v3`).then((r) => r.json())) as any;
    expect(after.paths['apis/example.com/v1']).toBeDefined();
    expect(before.paths['apis/example.com/v1']).toBeUndefined();

    const w = await send(sim, 'POST', '/apis/example.com/v1/namespaces/default/widgets', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } });
    expect(w.metadata.generation).toBe(1);
    const list = await send(sim, 'GET', '/apis/example.com/v1/namespaces/default/widgets');
    expect(list.items[0]).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Widget' });
    const table = (await fetch(`${sim.url}/apis/example.com/v1/namespaces/default/widgets`, { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } }).then((r) => r.json())) as any;
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Size', 'Age']);
    expect(table.rows[0].cells.slice(0, 2)).toEqual(['w1', 3]);

    await send(sim, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
    await eventually('widgets to stop being served', () => !sim.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition').length);
    expect((await fetch(`${sim.url}/apis/example.com/v1/namespaces/default/widgets`)).status).toBe(404);
    expect(sim.controllerErrors).toEqual([]);
  });
});
