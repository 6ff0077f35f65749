import { humanDuration, toTable } from '../../lib/sim/tables';
import { Registry } from '../../lib/sim/registry';
import type { KubeObject } from '../../lib/sim/storage';

const registry = new Registry();
const type = (group: string, plural: string) => registry.byPlural(group, 'v1', plural)!;
const NOW = Date.parse('2026-01-10T12:00:00Z');
const row = (group: string, plural: string, obj: object) => toTable(type(group, plural), [obj as KubeObject], 'None', NOW, '1').rows[0].cells;
const meta = (name: string) => ({ name, creationTimestamp: '2026-01-10T11:59:00Z' });

describe('server-side printing', () => {
  it.each([
    [0, '0s'],
    [119_000, '119s'],
    [150_000, '2m30s'],
    [600_000, '10m'],
    [3 * 3600_000 + 60_000, '3h1m'],
    [30 * 3600_000, '30h'],
    [3 * 86400_000 + 3600_000, '3d1h'],
    [40 * 86400_000, '40d'],
    [(3 * 365 + 2) * 86400_000, '3y2d'],
    [-5000, '<invalid>'],
  ])('prints %d ms as %s (apimachinery HumanDuration)', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('prints pod STATUS like kubectl: init progress, crash loops, completion, termination', () => {
    const pod = (status: object, extra: object = {}) => row('', 'pods', { metadata: { ...meta('p'), ...extra }, spec: { containers: [{ name: 'c' }] }, status })[2];
    expect(pod({ phase: 'Pending', initContainerStatuses: [{ state: { running: {} } }, { state: { waiting: { reason: 'PodInitializing' } } }] })).toBe('Init:0/2');
    expect(pod({ phase: 'Failed', initContainerStatuses: [{ state: { terminated: { exitCode: 1, reason: 'Error' } } }] })).toBe('Init:Error');
    expect(pod({ phase: 'Running', containerStatuses: [{ state: { waiting: { reason: 'CrashLoopBackOff' } } }] })).toBe('CrashLoopBackOff');
    expect(pod({ phase: 'Succeeded', containerStatuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }] })).toBe('Completed');
    expect(pod({ phase: 'Running' }, { deletionTimestamp: '2026-01-10T12:00:00Z' })).toBe('Terminating');
  });

  it('prints Jobs, Services and PVCs with their real columns', () => {
    const job = { metadata: meta('j'), spec: { completions: 1 }, status: { startTime: '2026-01-10T11:59:00Z', completionTime: '2026-01-10T11:59:05Z', succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } };
    expect(row('batch', 'jobs', job)).toEqual(['j', 'Complete', '1/1', '5s', '60s']);
    const svc = { metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIP: '10.96.0.20', ports: [{ port: 80, nodePort: 30001, protocol: 'TCP' }] }, status: { loadBalancer: {} } };
    expect(row('', 'services', svc).slice(0, 5)).toEqual(['lb', 'LoadBalancer', '10.96.0.20', '<pending>', '80:30001/TCP']);
    const pvc = { metadata: meta('data'), spec: { volumeName: 'pv-1', storageClassName: 'standard' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } };
    expect(row('', 'persistentvolumeclaims', pvc)).toEqual(['data', 'Bound', 'pv-1', '1Gi', 'RWO', 'standard', '60s']);
  });

  it('includes the full object, partial metadata or nothing per includeObject', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('c'), data: { a: '1' } } as KubeObject;
    expect((toTable(type('', 'configmaps'), [cm], 'Object', NOW, '1').rows[0] as any).object).toBe(cm);
    expect((toTable(type('', 'configmaps'), [cm], 'Metadata', NOW, '1').rows[0] as any).object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm.metadata });
    expect(toTable(type('', 'configmaps'), [cm], 'None', NOW, '1').rows[0]).toEqual({ cells: ['c', 1, '60s'] });
  });
});
