/**
 * Small infrastructure controllers: LoadBalancer Services get an ingress IP, and
 * PersistentVolumeClaims bind to a PersistentVolume created for them.
 */
import { DEFAULT_STORAGE_CLASS } from '../defaults';
import type { KubeObject, StoreEvent } from '../storage';
import { ControllerClient, isType, WorkQueue, type Controller, type ControllerContext, type Loose } from './runtime';

export class InfrastructureController implements Controller {
  private readonly client: ControllerClient;
  private readonly queue: WorkQueue;
  private nextIngress = 1;

  constructor(ctx: ControllerContext) {
    this.client = new ControllerClient(ctx, 'kube-controller-manager');
    this.queue = new WorkQueue(ctx);
  }

  onEvent(e: StoreEvent): void {
    if (e.type === 'DELETED') return;
    const { namespace, name } = e.object.metadata;
    if (isType(e, '', 'services')) this.queue.add(`svc/${namespace}/${name}`, () => this.service(namespace!, name!));
    if (isType(e, '', 'persistentvolumeclaims')) this.queue.add(`pvc/${namespace}/${name}`, () => this.claim(namespace!, name!));
  }

  private service(namespace: string, name: string): void {
    const type = this.client.type('', 'v1', 'services');
    const svc = this.client.get(type, namespace, name) as Loose | undefined;
    if (!svc || svc.spec?.type !== 'LoadBalancer' || svc.status?.loadBalancer?.ingress?.length) return;
    this.client.setStatus(type, svc as KubeObject, { ...svc.status, loadBalancer: { ingress: [{ ip: `172.18.255.${this.nextIngress++}`, ipMode: 'VIP' }] } });
  }

  private claim(namespace: string, name: string): void {
    const type = this.client.type('', 'v1', 'persistentvolumeclaims');
    const pvc = this.client.get(type, namespace, name) as Loose | undefined;
    if (!pvc || pvc.metadata.deletionTimestamp || pvc.status?.phase === 'Bound') return;
    const pvType = this.client.type('', 'v1', 'persistentvolumes');
    const volumeName = `pvc-${pvc.metadata.uid}`;
    const storage = pvc.spec?.resources?.requests?.storage ?? '1Gi';
    const accessModes = pvc.spec?.accessModes ?? ['ReadWriteOnce'];
    if (!this.client.get(pvType, undefined, volumeName)) {
      const pv = this.client.create(pvType, {
        metadata: { name: volumeName, annotations: { 'pv.kubernetes.io/provisioned-by': 'sim' } },
        spec: {
          capacity: { storage },
          accessModes,
          persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: pvc.spec?.storageClassName ?? DEFAULT_STORAGE_CLASS,
          volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
          claimRef: { kind: 'PersistentVolumeClaim', namespace, name, uid: pvc.metadata.uid, apiVersion: 'v1' },
          hostPath: { path: `/var/sim/${volumeName}` },
        },
      });
      this.client.setStatus(pvType, pv, { phase: 'Bound' });
    }
    const bound = this.client.update(type, pvc as KubeObject, (c) => {
      c.spec.volumeName = volumeName;
      c.metadata.annotations = { ...(c.metadata.annotations ?? {}), 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' };
    });
    this.client.setStatus(type, bound, { phase: 'Bound', accessModes, capacity: { storage } });
  }
}
