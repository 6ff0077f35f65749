/**
 * What clients ask before they touch objects: /version, legacy discovery (APIVersions,
 * APIGroupList, APIResourceList) and aggregated discovery v2 (apidiscovery.k8s.io/v2). The
 * OpenAPI documents are in openapi.ts.
 */
import type { Registry, ResourceType } from './registry';

export const KUBERNETES_VERSION = { major: '1', minor: '34', gitVersion: 'v1.34.0+sim' };

/** `gitVersion` must be plain semver (build metadata allowed) or charts' kubeVersion checks fail. */
export const versionInfo = () => ({
  ...KUBERNETES_VERSION,
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.24.6',
  compiler: 'gc',
  platform: 'linux/amd64',
});

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const verbsOf = (t: ResourceType): string[] => (t.review ? ['create'] : ALL_VERBS);
const SUB_VERBS: Record<string, string[]> = { status: ['get', 'patch', 'update'], scale: ['get', 'patch', 'update'], log: ['get'] };

function subresourceKind(type: ResourceType, sub: string): { group: string; version: string; kind: string } {
  if (sub === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  return { group: type.group, version: type.version, kind: type.kind };
}

export function apiVersions(hostPort: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostPort }] };
}

function groups(registry: Registry): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const gv of registry.groupVersions()) {
    if (!gv.group) continue;
    const versions = out.get(gv.group) ?? [];
    if (!versions.includes(gv.version)) versions.push(gv.version);
    out.set(gv.group, versions);
  }
  return out;
}

export function apiGroupList(registry: Registry) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups(registry)].map(([name, versions]) => ({
      name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    })),
  };
}

export function apiGroup(registry: Registry, group: string) {
  const versions = groups(registry).get(group);
  if (!versions) return undefined;
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: list, preferredVersion: list[0] };
}

/** APIResourceList; each main resource comes before its subresources (client-node takes the first kind match). */
export function apiResourceList(registry: Registry, group: string, version: string) {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: types.flatMap((t) => [
      {
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: verbsOf(t),
        ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
        ...(t.categories.length ? { categories: t.categories } : {}),
      },
      ...t.subresources.map((sub) => {
        const k = subresourceKind(t, sub);
        return {
          name: `${t.plural}/${sub}`,
          singularName: '',
          namespaced: t.namespaced,
          ...(sub === 'scale' ? { group: k.group, version: k.version } : {}),
          kind: k.kind,
          verbs: SUB_VERBS[sub],
        };
      }),
    ]),
  };
}

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function discoveryResource(t: ResourceType) {
  return {
    resource: t.plural,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: verbsOf(t),
    ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length ? { categories: t.categories } : {}),
    ...(t.subresources.length
      ? { subresources: t.subresources.map((sub) => ({ subresource: sub, responseKind: subresourceKind(t, sub), verbs: SUB_VERBS[sub] })) }
      : {}),
  };
}

/** Aggregated discovery of the core group (`/api`) or of all named groups (`/apis`). */
export function aggregatedDiscovery(registry: Registry, which: 'core' | 'groups') {
  const names = which === 'core' ? [''] : [...groups(registry).keys()];
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: names.map((group) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: registry
        .groupVersions()
        .filter((gv) => gv.group === group)
        .map((gv) => ({ version: gv.version, resources: registry.inGroupVersion(group, gv.version).map(discoveryResource), freshness: 'Current' })),
    })),
  };
}
