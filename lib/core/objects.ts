/**
 * Kubernetes objects as helm-sfn sees them: just enough structure to name, order and match them.
 */

/**
 * A mapping as JSON and YAML decode one: an object that is not null and not an array. No
 * prototype check: `structuredClone` and jest's sandbox hand out objects of another realm,
 * whose Object.prototype is not this one's.
 */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** Names one object. `namespace` is absent for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** `apps/v1` → `apps`; `v1` → `` (the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Built-in kinds without a namespace, as `<group>/<kind>`. Custom resources cannot be told
 * apart without discovery: they are treated as namespaced here, and lib/kube resolves them.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  '/Namespace',
  '/PersistentVolume',
  '/Node',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'scheduling.k8s.io/PriorityClass',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/VolumeAttachment',
  'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass',
  'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'certificates.k8s.io/CertificateSigningRequest',
]);

export function isClusterScoped(apiVersion: string, kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(`${groupOf(apiVersion)}/${kind}`);
}

/**
 * The object's reference. A namespaced object without `metadata.namespace` belongs to
 * `defaultNamespace` (the release namespace), as kube's resource builder defaults it; a
 * cluster-scoped object never has one, even if the manifest sets it.
 */
export function refOf(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, defaultNamespace?: string): ObjectRef {
  const { apiVersion, kind } = obj;
  const ref: ObjectRef = { apiVersion, kind, name: obj.metadata.name };
  if (isClusterScoped(apiVersion, kind)) return ref;
  const namespace = obj.metadata.namespace || defaultNamespace;
  return namespace ? { ...ref, namespace } : ref;
}

/**
 * Identity of an object across manifests: group, kind, namespace and name; the version is
 * ignored, so `apps/v1beta2` and `apps/v1` Deployments of one name are the same object
 * (`pkg/kube/resource.go` `isMatchingInfo`, used by upgrade to find what left the chart).
 */
export function refKey(ref: ObjectRef): string {
  return [groupOf(ref.apiVersion), ref.kind, ref.namespace ?? '', ref.name].join('/');
}

/** `Kind/namespace/name` or `Kind/name`: how objects are named in messages. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/** An annotation's value; Helm reads annotations into a `map[string]string`, so null is "". */
export function annotationOf(obj: Pick<KubeObject, 'metadata'>, key: string): string | undefined {
  const annotations = obj.metadata.annotations;
  if (!annotations || !Object.hasOwn(annotations, key)) return undefined;
  return annotations[key] ?? '';
}

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const RELEASE_NAME_ANNOTATION = 'meta.helm.sh/release-name';
export const RELEASE_NAMESPACE_ANNOTATION = 'meta.helm.sh/release-namespace';

/**
 * Why an existing object may not join a release, in Helm's words (pkg/action/validate.go
 * existingResourceConflict, checkOwnership, requireValue), or undefined when the release owns it.
 */
export function ownershipConflict(live: Pick<KubeObject, 'kind' | 'metadata'>, release: string, namespace: string): string | undefined {
  const require = (where: 'label' | 'annotation', meta: Record<string, string> | undefined, key: string, value: string) => {
    const actual = meta?.[key];
    if (actual === undefined) return `${where} validation error: missing key "${key}": must be set to "${value}"`;
    return actual === value ? undefined : `${where} validation error: key "${key}" must equal "${value}": current value is "${actual}"`;
  };
  const problems = [
    require('label', live.metadata.labels, MANAGED_BY_LABEL, 'Helm'),
    require('annotation', live.metadata.annotations, RELEASE_NAME_ANNOTATION, release),
    require('annotation', live.metadata.annotations, RELEASE_NAMESPACE_ANNOTATION, namespace),
  ].filter((p): p is string => p !== undefined);
  if (!problems.length) return undefined;
  const where = live.metadata.namespace ? ` in namespace "${live.metadata.namespace}"` : '';
  return `${live.kind} "${live.metadata.name}"${where} exists and cannot be imported into the current release: invalid ownership metadata; ${problems.join('; ')}`;
}
