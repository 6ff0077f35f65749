/**
 * The resource types the sim serves: built-in kinds plus those CRDs register at runtime. Every
 * other module looks kinds up here (by URL segment or by apiVersion + kind).
 */

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface ResourceType {
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: string[];
  readonly categories: string[];
  readonly subresources: ('status' | 'scale' | 'log')[];
  /** Kinds with a spec get `metadata.generation`; ConfigMap, Secret, RBAC objects don't. */
  readonly generation: boolean;
  /** Served from a CustomResourceDefinition (lists carry kind/apiVersion; unconditional PUT refused). */
  readonly custom: boolean;
  /** A create-only review (SelfSubjectAccessReview, …): answered, never stored. */
  readonly review?: boolean;
  readonly printerColumns?: PrinterColumn[];
}

export const apiVersionOf = (t: Pick<ResourceType, 'group' | 'version'>): string => (t.group ? `${t.group}/${t.version}` : t.version);

export const typeKey = (t: Pick<ResourceType, 'group' | 'plural'>): string => `${t.group}/${t.plural}`;

type BuiltIn = [plural: string, kind: string, opts?: Partial<Omit<ResourceType, 'plural' | 'kind' | 'group' | 'version'>>];

const CLUSTER = { namespaced: false };
const NO_GENERATION = { generation: false };
const STATUS = { subresources: ['status'] as ResourceType['subresources'] };
const WORKLOAD = { subresources: ['status', 'scale'] as ResourceType['subresources'], categories: ['all'] };
const REVIEW = { namespaced: false, generation: false, review: true };
const API_EXTENSIONS = { categories: ['api-extensions'] };

const BUILT_INS: Record<string, BuiltIn[]> = {
  v1: [
    ['namespaces', 'Namespace', { ...CLUSTER, ...STATUS, shortNames: ['ns'] }],
    ['configmaps', 'ConfigMap', { ...NO_GENERATION, shortNames: ['cm'] }],
    ['secrets', 'Secret', NO_GENERATION],
    ['serviceaccounts', 'ServiceAccount', { ...NO_GENERATION, shortNames: ['sa'] }],
    ['services', 'Service', { ...STATUS, shortNames: ['svc'], categories: ['all'] }],
    ['pods', 'Pod', { subresources: ['status', 'log'], shortNames: ['po'], categories: ['all'] }],
    ['endpoints', 'Endpoints', { ...NO_GENERATION, shortNames: ['ep'] }],
    ['events', 'Event', { ...NO_GENERATION, shortNames: ['ev'] }],
    ['persistentvolumeclaims', 'PersistentVolumeClaim', { ...STATUS, shortNames: ['pvc'] }],
    ['persistentvolumes', 'PersistentVolume', { ...CLUSTER, ...STATUS, shortNames: ['pv'] }],
    ['nodes', 'Node', { ...CLUSTER, ...STATUS, shortNames: ['no'] }],
    ['resourcequotas', 'ResourceQuota', { ...STATUS, shortNames: ['quota'] }],
    ['limitranges', 'LimitRange', { shortNames: ['limits'] }],
  ],
  'apps/v1': [
    ['deployments', 'Deployment', { ...WORKLOAD, shortNames: ['deploy'] }],
    ['replicasets', 'ReplicaSet', { ...WORKLOAD, shortNames: ['rs'] }],
    ['statefulsets', 'StatefulSet', { ...WORKLOAD, shortNames: ['sts'] }],
    ['daemonsets', 'DaemonSet', { ...STATUS, categories: ['all'], shortNames: ['ds'] }],
    ['controllerrevisions', 'ControllerRevision', NO_GENERATION],
  ],
  'batch/v1': [
    ['jobs', 'Job', { ...STATUS, categories: ['all'] }],
    ['cronjobs', 'CronJob', { ...STATUS, categories: ['all'], shortNames: ['cj'] }],
  ],
  'networking.k8s.io/v1': [
    ['ingresses', 'Ingress', { ...STATUS, shortNames: ['ing'] }],
    ['networkpolicies', 'NetworkPolicy', { shortNames: ['netpol'] }],
    ['ingressclasses', 'IngressClass', CLUSTER],
  ],
  'rbac.authorization.k8s.io/v1': [
    ['roles', 'Role', NO_GENERATION],
    ['rolebindings', 'RoleBinding', NO_GENERATION],
    ['clusterroles', 'ClusterRole', { ...CLUSTER, ...NO_GENERATION }],
    ['clusterrolebindings', 'ClusterRoleBinding', { ...CLUSTER, ...NO_GENERATION }],
  ],
  'policy/v1': [['poddisruptionbudgets', 'PodDisruptionBudget', { ...STATUS, shortNames: ['pdb'] }]],
  'autoscaling/v2': [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', { ...STATUS, shortNames: ['hpa'], categories: ['all'] }]],
  'apiextensions.k8s.io/v1': [['customresourcedefinitions', 'CustomResourceDefinition', { ...CLUSTER, ...STATUS, ...API_EXTENSIONS, shortNames: ['crd', 'crds'] }]],
  'storage.k8s.io/v1': [
    ['storageclasses', 'StorageClass', { ...CLUSTER, ...NO_GENERATION, shortNames: ['sc'] }],
    ['csidrivers', 'CSIDriver', { ...CLUSTER, ...NO_GENERATION }],
    ['csinodes', 'CSINode', { ...CLUSTER, ...NO_GENERATION }],
    ['csistoragecapacities', 'CSIStorageCapacity', NO_GENERATION],
    ['volumeattachments', 'VolumeAttachment', { ...CLUSTER, ...STATUS, ...NO_GENERATION }],
  ],
  'coordination.k8s.io/v1': [['leases', 'Lease', NO_GENERATION]],
  'admissionregistration.k8s.io/v1': [
    ['mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', { ...CLUSTER, ...API_EXTENSIONS }],
    ['validatingadmissionpolicies', 'ValidatingAdmissionPolicy', { ...CLUSTER, ...STATUS, ...API_EXTENSIONS }],
    ['validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', { ...CLUSTER, ...API_EXTENSIONS }],
    ['validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', { ...CLUSTER, ...API_EXTENSIONS }],
  ],
  'apiregistration.k8s.io/v1': [['apiservices', 'APIService', { ...CLUSTER, ...STATUS, ...NO_GENERATION, ...API_EXTENSIONS }]],
  'scheduling.k8s.io/v1': [['priorityclasses', 'PriorityClass', { ...CLUSTER, ...NO_GENERATION, shortNames: ['pc'] }]],
  'node.k8s.io/v1': [['runtimeclasses', 'RuntimeClass', { ...CLUSTER, ...NO_GENERATION }]],
  'discovery.k8s.io/v1': [['endpointslices', 'EndpointSlice', {}]],
  'authorization.k8s.io/v1': [
    ['selfsubjectaccessreviews', 'SelfSubjectAccessReview', REVIEW],
    ['selfsubjectrulesreviews', 'SelfSubjectRulesReview', REVIEW],
  ],
  'authentication.k8s.io/v1': [['selfsubjectreviews', 'SelfSubjectReview', REVIEW]],
};

function builtIn(apiVersion: string, [plural, kind, opts]: BuiltIn): ResourceType {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return {
    group,
    version,
    plural,
    kind,
    singular: kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    subresources: [],
    generation: true,
    custom: false,
    ...opts,
  };
}

export interface GroupVersion {
  group: string;
  version: string;
}

/** A mutable table of served types; `revision` changes whenever a CRD adds or removes kinds. */
export class Registry {
  private readonly types = new Map<string, ResourceType>(); // key: group/version/plural
  revision = 1;

  constructor() {
    for (const [apiVersion, list] of Object.entries(BUILT_INS)) for (const entry of list) this.add(builtIn(apiVersion, entry));
  }

  private add(type: ResourceType): void {
    this.types.set(`${type.group}/${type.version}/${type.plural}`, type);
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  /** Served group-versions, core first, then groups in registration order. */
  groupVersions(): GroupVersion[] {
    const seen = new Map<string, GroupVersion>();
    for (const t of this.types.values()) seen.set(apiVersionOf(t), { group: t.group, version: t.version });
    return [...seen.values()];
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version);
  }

  byPlural(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${plural}`);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  /** Adds (or replaces) the versions of a custom resource; bumps `revision`. */
  registerCustom(types: ResourceType[]): void {
    for (const t of types) this.add(t);
    this.revision++;
  }

  unregisterCustom(group: string, plural: string): void {
    for (const [key, t] of this.types) if (t.custom && t.group === group && t.plural === plural) this.types.delete(key);
    this.revision++;
  }
}
