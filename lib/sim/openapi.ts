/**
 * The OpenAPI documents clients consult before they write: the v3 index and per group-version
 * documents (kubectl ≥ 1.27 and Helm 4 check `fieldValidation` support and build patches from
 * them), and the Swagger 2.0 document at /openapi/v2 that kubectl ≤ 1.26 needs for apply,
 * explain, diff and --dry-run=server (served as protobuf when asked, see openapi-proto.ts).
 * Schemas are permissive: every kind accepts any fields, but each names its
 * group-version-kind so old kubectl can map kinds to definitions.
 */
import { createHash } from 'crypto';
import { KUBERNETES_VERSION } from './discovery';
import { apiVersionOf, type Registry, type ResourceType } from './registry';

type Json = Record<string, unknown>;

const gvPath = (group: string, version: string): string => (group ? `apis/${group}/${version}` : `api/${version}`);

const gvkOf = (t: ResourceType, kind = t.kind) => ({ group: t.group, version: t.version, kind });

function gvHash(registry: Registry, group: string, version: string): string {
  const content = JSON.stringify(registry.inGroupVersion(group, version));
  return createHash('sha512').update(content).digest('hex').toUpperCase().slice(0, 128);
}

export function openapiIndex(registry: Registry) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of registry.groupVersions()) {
    const p = gvPath(gv.group, gv.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${gvHash(registry, gv.group, gv.version)}` };
  }
  return { paths };
}

/** The definition name kube-apiserver publishes for a kind (`io.k8s.api.apps.v1.Deployment`). */
function schemaName(t: ResourceType, kind = t.kind): string {
  if (t.custom) return `${t.group.split('.').reverse().join('.')}.${t.version}.${kind}`;
  if (t.group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${t.version}.${kind}`;
  if (t.group === 'apiregistration.k8s.io') return `io.k8s.kube-aggregator.pkg.apis.apiregistration.${t.version}.${kind}`;
  const short = t.group ? t.group.replace(/\.k8s\.io$/, '').replace(/\.authorization$/, '') : 'core';
  return `io.k8s.api.${short}.${t.version}.${kind}`;
}

/**
 * One group-version document. kubectl's `supportsQueryParamV3` needs a PATCH operation with the
 * GVK and a `fieldValidation` query parameter; the schemas are permissive.
 */
export function openapiGroupVersion(registry: Registry, group: string, version: string) {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const paths: Record<string, object> = {};
  const schemas: Record<string, object> = {};
  const query = (name: string) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } });
  for (const t of types) {
    const gvk = gvkOf(t);
    const base = `/${gvPath(group, version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`;
    paths[base] = {
      patch: {
        operationId: `patch${t.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        parameters: ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map(query),
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(t)}` } } } } },
      },
    };
    schemas[schemaName(t)] = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-group-version-kind': [gvk] };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion }, paths, components: { schemas } };
}

// ---- Swagger 2.0 (/openapi/v2) ----

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string) => ({ $ref: `#/definitions/${name}` });

const pathParam = (name: string, description: string): Json => ({ name, in: 'path', required: true, type: 'string', uniqueItems: true, description });
const queryParam = (name: string, type: 'string' | 'boolean' | 'integer', description: string): Json => ({ name, in: 'query', type, uniqueItems: true, description });
const bodyParam = (definition: string): Json => ({ name: 'body', in: 'body', required: true, schema: ref(definition) });

const NAMESPACE_PARAM = pathParam('namespace', 'object name and auth scope, such as for teams and projects');
const WRITE_PARAMS = [
  queryParam('dryRun', 'string', 'When present, indicates that modifications should not be persisted. The only valid value is All.'),
  queryParam('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  queryParam('fieldValidation', 'string', 'Ignore, Warn or Strict: how the server treats unknown and duplicate fields.'),
];
const LIST_PARAMS = [
  queryParam('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels.'),
  queryParam('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields.'),
  queryParam('limit', 'integer', 'The maximum number of responses to return for a list call.'),
  queryParam('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  queryParam('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  queryParam('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.'),
];
const PRODUCES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_CONSUMES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

/** `listAppsV1NamespacedDeployment`, as kube-openapi names operations. */
function operationId(verb: string, t: ResourceType, namespaced: boolean, suffix = ''): string {
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const group = t.group ? t.group.replace(/\.k8s\.io$/, '').split('.').map(cap).join('') : 'Core';
  return `${verb}${group}${cap(t.version)}${namespaced ? 'Namespaced' : ''}${t.kind}${suffix}`;
}

function operation(verb: string, action: string, t: ResourceType, namespaced: boolean, parameters: Json[], response: string, extra: Json = {}): Json {
  const code = action === 'post' ? '201' : '200';
  return {
    description: `${action} ${t.kind}`,
    operationId: operationId(verb, t, namespaced),
    consumes: ['*/*'],
    produces: PRODUCES,
    schemes: ['https'],
    parameters,
    responses: { [code]: { description: code === '201' ? 'Created' : 'OK', schema: ref(response) }, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvkOf(t),
    ...extra,
  };
}

/** The collection and item paths of one kind (reviews: create only). */
function kindPaths(t: ResourceType): Record<string, Json> {
  const namespaced = t.namespaced;
  const collection = `/${gvPath(t.group, t.version)}${namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
  const scope = namespaced ? [NAMESPACE_PARAM] : [];
  const kind = schemaName(t);
  if (t.review) return { [collection]: { post: operation('create', 'post', t, false, [bodyParam(kind), ...WRITE_PARAMS], kind) } };
  return {
    [collection]: {
      parameters: scope,
      get: operation('list', 'list', t, namespaced, LIST_PARAMS, schemaName(t, `${t.kind}List`)),
      post: operation('create', 'post', t, namespaced, [bodyParam(kind), ...WRITE_PARAMS], kind),
    },
    [`${collection}/{name}`]: {
      parameters: [pathParam('name', `name of the ${t.kind}`), ...scope],
      get: operation('read', 'get', t, namespaced, [], kind),
      put: operation('replace', 'put', t, namespaced, [bodyParam(kind), ...WRITE_PARAMS], kind),
      patch: operation('patch', 'patch', t, namespaced, [bodyParam(`${META}.Patch`), ...WRITE_PARAMS, queryParam('force', 'boolean', 'Force is going to "force" Apply requests.')], kind, {
        consumes: PATCH_CONSUMES,
      }),
      delete: operation(
        'delete',
        'delete',
        t,
        namespaced,
        [
          bodyParam(`${META}.DeleteOptions`),
          WRITE_PARAMS[0],
          queryParam('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted.'),
          queryParam('propagationPolicy', 'string', 'Whether and how garbage collection will be performed.'),
        ],
        `${META}.Status`,
      ),
    },
  };
}

/**
 * A permissive definition: an object without properties, which kube-openapi reads as a map of
 * anything, so old kubectl's client-side validation accepts every field. (Without `type` it
 * would be an "arbitrary" schema, on which kubectl 1.20's strategic-merge diff dereferences a
 * nil schema and panics; as a map, it warns "expected kind, but got map" and uses its
 * built-in patch strategies.)
 */
const permissive = (description: string, gvks: object[]): Json => ({ description, type: 'object', 'x-kubernetes-group-version-kind': gvks });

const v2Cache = new WeakMap<Registry, { revision: number; doc: Json }>();

/** The Swagger 2.0 document of every served kind (rebuilt when CRDs change the registry). */
export function openapiV2(registry: Registry): Json {
  const cached = v2Cache.get(registry);
  if (cached?.revision === registry.revision) return cached.doc;
  const doc = buildOpenapiV2(registry);
  v2Cache.set(registry, { revision: registry.revision, doc });
  return doc;
}

function buildOpenapiV2(registry: Registry): Json {
  const paths: Record<string, Json> = {};
  const definitions: Record<string, Json> = {
    [`${META}.Patch`]: { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' },
    [`${META}.Status`]: permissive('Status is a return value for calls that don\'t return other objects.', [{ group: '', version: 'v1', kind: 'Status' }]),
    [`${META}.DeleteOptions`]: permissive(
      'DeleteOptions may be provided when deleting an API object.',
      registry.groupVersions().map((gv) => ({ group: gv.group, version: gv.version, kind: 'DeleteOptions' })),
    ),
  };
  for (const t of registry.all()) {
    Object.assign(paths, kindPaths(t));
    const about = `${t.kind} (${apiVersionOf(t)}); the sim publishes no field schema`;
    definitions[schemaName(t)] = permissive(about, [gvkOf(t)]);
    if (!t.review) definitions[schemaName(t, `${t.kind}List`)] = permissive(`A list of ${t.kind} objects`, [gvkOf(t, `${t.kind}List`)]);
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion }, paths, definitions };
}
