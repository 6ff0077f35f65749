import { applyMerge, fieldPaths, formatPath, fromFieldsV1, pathsToRemove, recordApply, recordUpdate, removePaths, toFieldsV1, valueAt } from '../../lib/sim/apply';
import { patchSchemaFor } from '../../lib/core/patch-meta';
import type { JsonObject } from '../../lib/sim/patch';
import type { ManagedFieldsEntry } from '../../lib/sim/storage';

const deployment = (image: string, replicas?: number): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' }, uid: 'u1', resourceVersion: '5' },
  spec: {
    ...(replicas === undefined ? {} : { replicas }),
    template: { spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 80 }] }] } },
  },
});

const DEPLOYMENT = patchSchemaFor('apps/v1', 'Deployment');
const POD = patchSchemaFor('v1', 'Pod');

const rec = (manager: string) => ({ manager, apiVersion: 'apps/v1', time: '2026-01-01T00:00:00Z' });

describe('field paths and FieldsV1', () => {
  it('tracks leaves, keyed list items and labels, but not server metadata', () => {
    const paths = [...fieldPaths(deployment('nginx', 2), 'main', true, DEPLOYMENT)].map(formatPath).sort();
    expect(paths).toEqual([
      '.metadata.labels.app',
      '.spec.replicas',
      '.spec.template.spec.containers[name="web"]',
      '.spec.template.spec.containers[name="web"].image',
      '.spec.template.spec.containers[name="web"].name',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]',
      '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].containerPort',
    ]);
  });

  it('round-trips through the FieldsV1 encoding', () => {
    const paths = fieldPaths(deployment('nginx', 2), 'main', true, DEPLOYMENT);
    const encoded = toFieldsV1(paths);
    expect(encoded).toMatchObject({ 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } } } });
    expect(fromFieldsV1(encoded)).toEqual(paths);
  });

  it('keeps status out of the main scope of kinds with a status subresource', () => {
    const obj = { spec: { a: 1 }, status: { b: 2 } };
    expect([...fieldPaths(obj, 'main', true)].map(formatPath)).toEqual(['.spec.a']);
    expect([...fieldPaths(obj, 'status', true)].map(formatPath)).toEqual(['.status.b']);
  });
});

describe('apply merge', () => {
  it('merges maps, merges keyed lists by key and replaces atomic lists', () => {
    const live: JsonObject = { spec: { containers: [{ name: 'a', image: 'x', args: ['1', '2'], env: [{ name: 'E', value: '1' }] }, { name: 'b', image: 'y' }] } };
    const applied = { spec: { containers: [{ name: 'a', image: 'z', args: ['3'] }] } };
    expect(applyMerge(live, applied, POD)).toEqual({
      spec: { containers: [{ name: 'a', image: 'z', args: ['3'], env: [{ name: 'E', value: '1' }] }, { name: 'b', image: 'y' }] },
    });
  });

  it('removes paths, including whole keyed items, and prunes emptied maps', () => {
    const obj = { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    const paths = [...fieldPaths(obj, 'main', false, POD)].filter((p) => formatPath(p) === '.metadata.labels.a' || formatPath(p) === '.spec.containers[name="b"]');
    expect(removePaths(obj, paths)).toEqual({ spec: { containers: [{ name: 'a' }] } });
  });

  it('reads values at keyed paths', () => {
    const paths = [...fieldPaths(deployment('nginx'), 'main', true, DEPLOYMENT)];
    const image = paths.find((p) => formatPath(p).endsWith('.image'))!;
    expect(valueAt(deployment('busybox'), image)).toBe('busybox');
  });
});

describe('ownership', () => {
  it('gives an Update the fields it changed and takes them from other managers', () => {
    const v1 = deployment('nginx', 1);
    const created = recordUpdate(undefined, new Set(), fieldPaths(v1, 'main', true, DEPLOYMENT), () => true, rec('kubectl-create'));
    const v2 = deployment('nginx', 3);
    const before = fieldPaths(v1, 'main', true, DEPLOYMENT);
    const after = fieldPaths(v2, 'main', true, DEPLOYMENT);
    const entries = recordUpdate(created, before, after, (p) => formatPath(p) === '.spec.replicas', rec('kubectl-scale'));
    const owners = (path: string) => entries.filter((e) => [...fromFieldsV1(e.fieldsV1)].some((p) => formatPath(p) === path)).map((e) => e.manager);
    expect(owners('.spec.replicas')).toEqual(['kubectl-scale']);
    expect(owners('.metadata.labels.app')).toEqual(['kubectl-create']);
  });

  it('removes fields an applier stopped applying unless another manager owns them', () => {
    const applied = fieldPaths({ metadata: { labels: { a: '1', b: '2' } } }, 'main', false);
    let entries: ManagedFieldsEntry[] = recordApply(undefined, applied, [], rec('helm'));
    const shared = fieldPaths({ metadata: { labels: { b: '2' } } }, 'main', false);
    entries = [...entries, ...recordUpdate(undefined, new Set(), shared, () => true, rec('kubectl-label'))];
    const next = fieldPaths({ metadata: { labels: {} } }, 'main', false);
    expect([...pathsToRemove(entries, 'helm', next)].map(formatPath)).toEqual(['.metadata.labels.a']);
  });
});
