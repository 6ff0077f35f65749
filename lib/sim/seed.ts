/**
 * What a fresh cluster already holds: the four system namespaces, the node the kubelet runs
 * on, the two system PriorityClasses, the default StorageClass and the `kubernetes` Service
 * (10.96.0.1:443), so `kubectl get nodes,pc,sc` and Helm's capability checks see a cluster like
 * kind's.
 */
import { createHash } from 'crypto';
import { rfc3339 } from './clock';
import { SEED_NAMESPACES } from './controllers/namespaces';
import { NODE_NAME } from './controllers/kubelet';
import { DEFAULT_STORAGE_CLASS } from './defaults';
import { KUBERNETES_VERSION } from './discovery';
import type { ObjectApi } from './objects';

/** A fixed UUID-shaped id per purpose (not from the seeded generator, so seeds keep replaying the same names). */
const nodeId = (purpose: string): string => {
  const h = createHash('sha256').update(`${NODE_NAME}/${purpose}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

export function seedCluster(api: ObjectApi): void {
  const type = (group: string, plural: string) => api.registry.byPlural(group, 'v1', plural)!;
  const as = { manager: 'kube-apiserver' };
  for (const name of SEED_NAMESPACES) api.create(type('', 'namespaces'), undefined, { metadata: { name } }, as);

  const node = api.create(
    type('', 'nodes'),
    undefined,
    {
      metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'node-role.kubernetes.io/control-plane': '' } },
      spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] },
    },
    { manager: 'kubelet' },
  );
  const now = rfc3339(api.clock.now());
  api.update(
    type('', 'nodes'),
    undefined,
    NODE_NAME,
    {
      ...node,
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
        addresses: [
          { type: 'InternalIP', address: '172.18.0.2' },
          { type: 'Hostname', address: NODE_NAME },
        ],
        capacity: { cpu: '2', memory: '24Gi', pods: '110' },
        allocatable: { cpu: '2', memory: '24Gi', pods: '110' },
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        // every field of NodeSystemInfo: typed clients (the Python client) refuse a Node without one
        nodeInfo: {
          machineID: nodeId('machine').replace(/-/g, ''),
          systemUUID: nodeId('system'),
          bootID: nodeId('boot'),
          kubeletVersion: KUBERNETES_VERSION.gitVersion,
          kubeProxyVersion: KUBERNETES_VERSION.gitVersion,
          operatingSystem: 'linux',
          architecture: 'amd64',
          osImage: 'helm-sfn sim',
          kernelVersion: '6.1.0',
          containerRuntimeVersion: 'sim://1.0',
        },
      },
    },
    { manager: 'kubelet', subresource: 'status' },
  );

  // kube-apiserver's built-in classes, which charts name in priorityClassName
  for (const [name, value, description] of [
    ['system-node-critical', 2000001000, 'Used for system critical pods that must not be moved from their current node.'],
    ['system-cluster-critical', 2000000000, 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.'],
  ] as const)
    api.create(type('scheduling.k8s.io', 'priorityclasses'), undefined, { metadata: { name }, value, description }, as);

  api.create(
    type('storage.k8s.io', 'storageclasses'),
    undefined,
    {
      metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'sim.helm-sfn.io/hostpath',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    },
    as,
  );
  api.create(
    type('', 'services'),
    'default',
    {
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
    },
    as,
  );
}
