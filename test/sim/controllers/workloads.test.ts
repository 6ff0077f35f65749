import { startSimCluster, type SimCluster } from '../../../lib/sim';
import { rolloutStep } from '../../../lib/sim/controllers/workloads';
import { eventually, send } from '../support';

let sim: SimCluster;
beforeAll(async () => {
  sim = await startSimCluster({ timeScale: 0.01, seed: 11 });
});
afterAll(() => sim.stop());

const template = (app: string, script?: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27', ...(script ? { command: ['sh', '-c', script] } : {}) }] },
});
const get = (kind: string, name: string) => sim.get(kind === 'Pod' ? 'v1' : 'apps/v1', kind, 'default', name) as any;
const owned = (kind: string, uid: string) => sim.list(kind === 'Pod' ? 'v1' : 'apps/v1', kind, 'default').filter((o: any) => o.metadata.ownerReferences?.[0]?.uid === uid) as any[];
const condition = (o: any, type: string) => o?.status?.conditions?.find((c: any) => c.type === type);

/** kstatus' rule for a Current Deployment (cli-utils status/core.go). */
const deploymentCurrent = (d: any) =>
  d &&
  d.status?.observedGeneration === d.metadata.generation &&
  ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'].every((f) => d.status[f] === d.spec.replicas) &&
  condition(d, 'Available')?.status === 'True' &&
  condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable';

describe('workload controllers', () => {
  it('rolls a Deployment out through a ReplicaSet until kstatus would call it Current', async () => {
    await send(sim, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template('web') },
    });
    const d = await eventually('web to be current', () => deploymentCurrent(get('Deployment', 'web')) && get('Deployment', 'web'));
    const [rs] = owned('ReplicaSet', d.metadata.uid);
    expect(rs.metadata.labels['pod-template-hash']).toMatch(/^[a-z0-9]{10}$/);
    expect(rs.metadata.name).toBe(`web-${rs.metadata.labels['pod-template-hash']}`);
    expect(owned('Pod', rs.metadata.uid)).toHaveLength(2);
    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
  });

  it('replaces the ReplicaSet when the template changes and scales the old one to zero', async () => {
    const d0 = get('Deployment', 'web');
    await send(sim, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.28' }] } } } }, 'application/strategic-merge-patch+json');
    const d = await eventually('web v2 to be current', () => {
      const x = get('Deployment', 'web');
      return x.metadata.generation > d0.metadata.generation && deploymentCurrent(x) && x;
    });
    const sets = owned('ReplicaSet', d.metadata.uid);
    expect(sets.map((rs) => rs.spec.replicas).sort()).toEqual([0, 2]);
    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('never makes a Deployment available when its container script exits non-zero', async () => {
    await send(sim, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bad' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'bad' } }, template: template('bad', 'echo starting; exit 1') },
    });
    const rs = await eventually('bad pod to crash', () => {
      const pods = sim.list('v1', 'Pod', 'default').filter((p: any) => p.metadata.labels?.app === 'bad') as any[];
      return (pods[0]?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && pods[0];
    });
    expect(rs.status.containerStatuses[0].ready).toBe(false);
    expect(condition(get('Deployment', 'bad'), 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });

  it('starts StatefulSet pods in order with bound claims from volumeClaimTemplates', async () => {
    await send(sim, 'POST', '/apis/apps/v1/namespaces/default/statefulsets', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        replicas: 2,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: template('db'),
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    });
    const s = await eventually('db to be ready', () => get('StatefulSet', 'db')?.status?.readyReplicas === 2 && get('StatefulSet', 'db'));
    expect(s.status).toMatchObject({ replicas: 2, currentReplicas: 2, updatedReplicas: 2, observedGeneration: 1 });
    expect(s.status.currentRevision).toBe(s.status.updateRevision);
    expect(get('Pod', 'db-0').metadata.labels['statefulset.kubernetes.io/pod-name']).toBe('db-0');
    const pvc = await eventually('data-db-0 to bind', () => (sim.get('v1', 'PersistentVolumeClaim', 'default', 'data-db-0') as any)?.status?.phase === 'Bound' && (sim.get('v1', 'PersistentVolumeClaim', 'default', 'data-db-0') as any));
    expect(pvc.status.capacity).toEqual({ storage: '1Gi' });
    expect(sim.get('v1', 'PersistentVolume', undefined, pvc.spec.volumeName)).toBeDefined();
  });

  it('runs one DaemonSet pod on the node', async () => {
    await send(sim, 'POST', '/apis/apps/v1/namespaces/default/daemonsets', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent') },
    });
    const ds = await eventually('agent to be ready', () => get('DaemonSet', 'agent')?.status?.numberReady === 1 && get('DaemonSet', 'agent'));
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 1, numberAvailable: 1, updatedNumberScheduled: 1 });
  });

  it('gives a LoadBalancer Service an ingress IP', async () => {
    await send(sim, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] } });
    const svc = await eventually('lb ingress', () => (sim.get('v1', 'Service', 'default', 'lb') as any)?.status?.loadBalancer?.ingress?.[0] && (sim.get('v1', 'Service', 'default', 'lb') as any));
    expect(svc.status.loadBalancer.ingress[0].ip).toMatch(/^172\.18\.255\.\d+$/);
    expect(svc.spec.ports[0]).toMatchObject({ port: 80, protocol: 'TCP', targetPort: 80, nodePort: expect.any(Number) });
    expect(sim.controllerErrors).toEqual([]);
  });
});

describe('rolloutStep', () => {
  const rolling = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };

  it.each([
    ['a first rollout starts every replica at once', 4, rolling, { replicas: 0, available: 0 }, [], { newReplicas: 4, oldReplicas: [] }],
    ['a new template surges by 25% and drops 25% of the old', 4, rolling, { replicas: 0, available: 0 }, [{ replicas: 4, available: 4 }], { newReplicas: 1, oldReplicas: [3] }],
    ['new pods not yet available hold the old ones (the surge still applies)', 4, rolling, { replicas: 1, available: 0 }, [{ replicas: 3, available: 3 }], { newReplicas: 2, oldReplicas: [3] }],
    ['available new pods let old ones go', 4, rolling, { replicas: 2, available: 2 }, [{ replicas: 3, available: 3 }], { newReplicas: 2, oldReplicas: [1] }],
    ['unavailable old pods can always go', 2, rolling, { replicas: 1, available: 0 }, [{ replicas: 2, available: 0 }], { newReplicas: 1, oldReplicas: [0] }],
    ['maxUnavailable 0 with maxSurge 1 replaces one at a time', 3, { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, { replicas: 0, available: 0 }, [{ replicas: 3, available: 3 }], { newReplicas: 1, oldReplicas: [3] }],
    ['Recreate waits for the old pods to be gone', 2, { type: 'Recreate' }, { replicas: 0, available: 0 }, [{ replicas: 2, available: 2, alive: 2 }], { newReplicas: 0, oldReplicas: [0] }],
    ['Recreate starts the new pods once the old are gone', 2, { type: 'Recreate' }, { replicas: 0, available: 0 }, [{ replicas: 0, available: 0, alive: 0 }], { newReplicas: 2, oldReplicas: [0] }],
  ])('%s', (_what, desired, strategy, current, old, expected) => {
    expect(rolloutStep(desired, strategy, current, old)).toEqual(expected);
  });
});
