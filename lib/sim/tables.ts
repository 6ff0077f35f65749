/**
 * Server-side printing (`Accept: …;as=Table;g=meta.k8s.io;v=v1`): the column sets of
 * pkg/printers/internalversion/printers.go for the kinds the sim runs, Name + Age otherwise,
 * and a CRD's additionalPrinterColumns.
 */
import type { PrinterColumn, ResourceType } from './registry';
import type { KubeObject } from './storage';

type Loose = Record<string, any>;
type Cell = string | number | boolean | null;

interface Column {
  name: string;
  type: string;
  format?: string;
  priority?: number;
  cell: (o: Loose, now: number) => Cell;
}

/** apimachinery's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

const age = (o: Loose, now: number): string => (o.metadata?.creationTimestamp ? humanDuration(now - Date.parse(o.metadata.creationTimestamp)) : '<unknown>');

const NAME: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata?.name ?? '' };
const AGE: Column = { name: 'Age', type: 'string', cell: age };
const col = (name: string, cell: Column['cell'], type = 'string', priority = 0): Column => ({ name, type, cell, priority });

/** The STATUS column of `kubectl get pods` (printPod in pkg/printers/internalversion/printers.go). */
function podStatus(p: Loose): string {
  if (p.metadata?.deletionTimestamp) return 'Terminating';
  const inits: Loose[] = p.status?.initContainerStatuses ?? [];
  const pendingInit = inits.findIndex((cs) => !(cs.state?.terminated?.exitCode === 0));
  if (pendingInit >= 0) {
    const cs = inits[pendingInit];
    if (cs.state?.terminated) return `Init:${cs.state.terminated.reason ?? 'Error'}`;
    if (cs.state?.waiting?.reason && cs.state.waiting.reason !== 'PodInitializing') return `Init:${cs.state.waiting.reason}`;
    return `Init:${pendingInit}/${inits.length}`;
  }
  let reason: string = p.status?.reason ?? p.status?.phase ?? 'Pending';
  for (const cs of p.status?.containerStatuses ?? []) {
    if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
    else if (cs.state?.terminated) reason = cs.state.terminated.reason ?? (cs.state.terminated.exitCode === 0 ? 'Completed' : 'Error');
  }
  return reason;
}

function jobStatus(j: Loose): string {
  const conds: Loose[] = j.status?.conditions ?? [];
  const has = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (j.metadata?.deletionTimestamp) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  return 'Running';
}

function jobDuration(j: Loose, now: number): string {
  const start = j.status?.startTime;
  if (!start) return '';
  const end = j.status?.completionTime ? Date.parse(j.status.completionTime) : now;
  return humanDuration(end - Date.parse(start));
}

const ports = (s: Loose): string =>
  (s.spec?.ports ?? []).map((p: Loose) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>';

const externalIp = (s: Loose): string => {
  const ingress = (s.status?.loadBalancer?.ingress ?? []).map((i: Loose) => i.ip ?? i.hostname);
  if (ingress.length) return ingress.join(',');
  if (s.spec?.type === 'LoadBalancer') return '<pending>';
  return (s.spec?.externalIPs ?? []).join(',') || '<none>';
};

const selector = (o: Loose): string =>
  Object.entries(o.spec?.selector?.matchLabels ?? o.spec?.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '<none>';

const images = (o: Loose): string => (o.spec?.template?.spec?.containers ?? []).map((c: Loose) => c.image).join(',');
const containerNames = (o: Loose): string => (o.spec?.template?.spec?.containers ?? []).map((c: Loose) => c.name).join(',');

/** metav1.FormatLabelSelector: matchLabels then expressions, `<none>` when empty. */
function labelSelector(sel: Loose | undefined): string {
  const labels = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  const expressions = (sel?.matchExpressions ?? []).map((e: Loose) => {
    if (e.operator === 'Exists') return e.key;
    if (e.operator === 'DoesNotExist') return `!${e.key}`;
    return `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`;
  });
  return [...labels, ...expressions].join(',') || '<none>';
}

/** The TARGETS column: `cpu: <unknown>/80%` until a metrics pipeline reports (the sim has none). */
function hpaTargets(o: Loose): string {
  const targets = (o.spec?.metrics ?? []).map((m: Loose) => {
    const target = m.resource?.target ?? m.containerResource?.target ?? m.pods?.target ?? m.object?.target ?? m.external?.target ?? {};
    const want = target.averageUtilization !== undefined ? `${target.averageUtilization}%` : (target.averageValue ?? target.value ?? '<unset>');
    const name = m.resource?.name ?? m.containerResource?.name;
    return `${name ? `${name}: ` : ''}<unknown>/${want}`;
  });
  return targets.join(', ') || '<none>';
}

const subjects = (o: Loose, kind: string): string =>
  (o.subjects ?? [])
    .filter((s: Loose) => s.kind === kind)
    .map((s: Loose) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
    .join(', ');

const nodeAddress = (o: Loose, type: string): string => (o.status?.addresses ?? []).find((a: Loose) => a.type === type)?.address ?? '<none>';

const ROLE_BINDING: Column[] = [
  NAME,
  col('Role', (o) => `${o.roleRef?.kind}/${o.roleRef?.name}`),
  AGE,
  col('Users', (o) => subjects(o, 'User'), 'string', 1),
  col('Groups', (o) => subjects(o, 'Group'), 'string', 1),
  col('ServiceAccounts', (o) => subjects(o, 'ServiceAccount'), 'string', 1),
];

const COLUMNS: Record<string, Column[]> = {
  '/Namespace': [NAME, col('Status', (o) => o.status?.phase ?? ''), AGE],
  '/Secret': [NAME, col('Type', (o) => o.type ?? ''), col('Data', (o) => Object.keys(o.data ?? {}).length, 'string'), AGE],
  '/ConfigMap': [NAME, col('Data', (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, 'string'), AGE],
  '/ServiceAccount': [NAME, col('Secrets', (o) => (o.secrets ?? []).length, 'string'), AGE],
  '/Service': [
    NAME,
    col('Type', (o) => o.spec?.type ?? ''),
    col('Cluster-IP', (o) => o.spec?.clusterIP ?? ''),
    col('External-IP', externalIp),
    col('Port(s)', ports),
    AGE,
    col('Selector', selector, 'string', 1),
  ],
  '/Pod': [
    NAME,
    col('Ready', (o) => `${(o.status?.containerStatuses ?? []).filter((c: Loose) => c.ready).length}/${(o.spec?.containers ?? []).length}`),
    col('Status', podStatus),
    col('Restarts', (o) => (o.status?.containerStatuses ?? []).reduce((n: number, c: Loose) => n + (c.restartCount ?? 0), 0), 'string'),
    AGE,
    col('IP', (o) => o.status?.podIP ?? '<none>', 'string', 1),
    col('Node', (o) => o.spec?.nodeName ?? '<none>', 'string', 1),
  ],
  'apps/Deployment': [
    NAME,
    col('Ready', (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`),
    col('Up-to-date', (o) => o.status?.updatedReplicas ?? 0, 'integer'),
    col('Available', (o) => o.status?.availableReplicas ?? 0, 'integer'),
    AGE,
    col('Containers', containerNames, 'string', 1),
    col('Images', images, 'string', 1),
    col('Selector', selector, 'string', 1),
  ],
  'apps/ReplicaSet': [
    NAME,
    col('Desired', (o) => o.spec?.replicas ?? 0, 'integer'),
    col('Current', (o) => o.status?.replicas ?? 0, 'integer'),
    col('Ready', (o) => o.status?.readyReplicas ?? 0, 'integer'),
    AGE,
  ],
  'apps/StatefulSet': [NAME, col('Ready', (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`), AGE],
  'apps/DaemonSet': [
    NAME,
    col('Desired', (o) => o.status?.desiredNumberScheduled ?? 0, 'integer'),
    col('Current', (o) => o.status?.currentNumberScheduled ?? 0, 'integer'),
    col('Ready', (o) => o.status?.numberReady ?? 0, 'integer'),
    col('Up-to-date', (o) => o.status?.updatedNumberScheduled ?? 0, 'integer'),
    col('Available', (o) => o.status?.numberAvailable ?? 0, 'integer'),
    col('Node Selector', (o) => Object.entries(o.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'),
    AGE,
  ],
  'batch/Job': [
    NAME,
    col('Status', jobStatus),
    col('Completions', (o) => `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}`),
    col('Duration', jobDuration),
    AGE,
  ],
  '/PersistentVolumeClaim': [
    NAME,
    col('Status', (o) => o.status?.phase ?? ''),
    col('Volume', (o) => o.spec?.volumeName ?? ''),
    col('Capacity', (o) => o.status?.capacity?.storage ?? ''),
    col('Access Modes', (o) => (o.status?.accessModes ?? []).map((m: string) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[m] ?? m).join(',')),
    col('StorageClass', (o) => o.spec?.storageClassName ?? '<unset>'),
    AGE,
  ],
  '/Node': [
    NAME,
    col('Status', (o) => ((o.status?.conditions ?? []).find((c: Loose) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady')),
    col('Roles', (o) => Object.keys(o.metadata?.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.slice('node-role.kubernetes.io/'.length)).join(',') || '<none>'),
    AGE,
    col('Version', (o) => o.status?.nodeInfo?.kubeletVersion ?? ''),
    col('Internal-IP', (o) => nodeAddress(o, 'InternalIP'), 'string', 1),
    col('External-IP', (o) => nodeAddress(o, 'ExternalIP'), 'string', 1),
    col('OS-Image', (o) => o.status?.nodeInfo?.osImage ?? '', 'string', 1),
    col('Kernel-Version', (o) => o.status?.nodeInfo?.kernelVersion ?? '', 'string', 1),
    col('Container-Runtime', (o) => o.status?.nodeInfo?.containerRuntimeVersion ?? '', 'string', 1),
  ],
  'storage.k8s.io/StorageClass': [
    col('Name', (o) => `${o.metadata?.name}${o.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true' ? ' (default)' : ''}`),
    col('Provisioner', (o) => o.provisioner ?? ''),
    col('ReclaimPolicy', (o) => o.reclaimPolicy ?? 'Delete'),
    col('VolumeBindingMode', (o) => o.volumeBindingMode ?? 'Immediate'),
    col('AllowVolumeExpansion', (o) => o.allowVolumeExpansion ?? false),
    AGE,
  ],
  '/Event': [
    col('Last Seen', (o, now) => humanDuration(now - Date.parse(o.lastTimestamp ?? o.metadata?.creationTimestamp))),
    col('Type', (o) => o.type ?? ''),
    col('Reason', (o) => o.reason ?? ''),
    col('Object', (o) => `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}`),
    col('Message', (o) => o.message ?? ''),
  ],
  'apiextensions.k8s.io/CustomResourceDefinition': [NAME, col('Created At', (o) => o.metadata?.creationTimestamp ?? '', 'date')],
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': [NAME, col('Webhooks', (o) => (o.webhooks ?? []).length, 'integer'), AGE],
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': [NAME, col('Webhooks', (o) => (o.webhooks ?? []).length, 'integer'), AGE],
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': [
    NAME,
    col('Validations', (o) => (o.spec?.validations ?? []).length, 'integer'),
    col('ParamKind', (o) => (o.spec?.paramKind ? `${o.spec.paramKind.apiVersion}/${o.spec.paramKind.kind}` : '<unset>')),
    AGE,
  ],
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': [
    NAME,
    col('PolicyName', (o) => o.spec?.policyName ?? ''),
    col('ParamRef', (o) => (o.spec?.paramRef ? [o.spec.paramRef.namespace, o.spec.paramRef.name ?? '*'].filter(Boolean).join('/') : '<unset>')),
    AGE,
  ],
  'apiregistration.k8s.io/APIService': [
    NAME,
    col('Service', (o) => (o.spec?.service ? `${o.spec.service.namespace}/${o.spec.service.name}` : 'Local')),
    col('Available', (o) => {
      const c = (o.status?.conditions ?? []).find((x: Loose) => x.type === 'Available');
      if (!c) return 'Unknown';
      return c.status === 'True' ? 'True' : `${c.status} (${c.reason})`;
    }),
    AGE,
  ],
  'scheduling.k8s.io/PriorityClass': [
    NAME,
    col('Value', (o) => o.value ?? 0, 'integer'),
    col('Global-Default', (o) => o.globalDefault ?? false, 'boolean'),
    AGE,
    col('PreemptionPolicy', (o) => o.preemptionPolicy ?? ''),
  ],
  'policy/PodDisruptionBudget': [
    NAME,
    col('Min Available', (o) => (o.spec?.minAvailable === undefined ? 'N/A' : String(o.spec.minAvailable))),
    col('Max Unavailable', (o) => (o.spec?.maxUnavailable === undefined ? 'N/A' : String(o.spec.maxUnavailable))),
    col('Allowed Disruptions', (o) => o.status?.disruptionsAllowed ?? 0, 'integer'),
    AGE,
  ],
  'autoscaling/HorizontalPodAutoscaler': [
    NAME,
    col('Reference', (o) => `${o.spec?.scaleTargetRef?.kind}/${o.spec?.scaleTargetRef?.name}`),
    col('Targets', hpaTargets),
    col('MinPods', (o) => String(o.spec?.minReplicas ?? '<unset>')),
    col('MaxPods', (o) => String(o.spec?.maxReplicas ?? 0)),
    col('Replicas', (o) => String(o.status?.currentReplicas ?? 0)),
    AGE,
  ],
  'networking.k8s.io/Ingress': [
    NAME,
    col('Class', (o) => o.spec?.ingressClassName ?? '<none>'),
    col('Hosts', (o) => (o.spec?.rules ?? []).map((r: Loose) => r.host).filter(Boolean).join(',') || '*'),
    col('Address', (o) => (o.status?.loadBalancer?.ingress ?? []).map((i: Loose) => i.ip ?? i.hostname).join(',')),
    col('Ports', (o) => ((o.spec?.tls ?? []).length ? '80, 443' : '80')),
    AGE,
  ],
  'networking.k8s.io/IngressClass': [
    NAME,
    col('Controller', (o) => o.spec?.controller ?? ''),
    col('Parameters', (o) => {
      const p = o.spec?.parameters;
      return p ? `${p.kind}${p.apiGroup ? `.${p.apiGroup}` : ''}/${p.name}` : '<none>';
    }),
    AGE,
  ],
  'networking.k8s.io/NetworkPolicy': [NAME, col('Pod-Selector', (o) => labelSelector(o.spec?.podSelector)), AGE],
  'rbac.authorization.k8s.io/Role': [NAME, col('Created At', (o) => o.metadata?.creationTimestamp ?? '')],
  'rbac.authorization.k8s.io/ClusterRole': [NAME, col('Created At', (o) => o.metadata?.creationTimestamp ?? '')],
  'rbac.authorization.k8s.io/RoleBinding': ROLE_BINDING,
  'rbac.authorization.k8s.io/ClusterRoleBinding': ROLE_BINDING,
  'coordination.k8s.io/Lease': [NAME, col('Holder', (o) => o.spec?.holderIdentity ?? ''), AGE],
  'storage.k8s.io/CSIDriver': [
    NAME,
    col('AttachRequired', (o) => o.spec?.attachRequired ?? true, 'boolean'),
    col('PodInfoOnMount', (o) => o.spec?.podInfoOnMount ?? false, 'boolean'),
    col('StorageCapacity', (o) => o.spec?.storageCapacity ?? false, 'boolean'),
    col('TokenRequests', (o) => (o.spec?.tokenRequests ? o.spec.tokenRequests.map((t: Loose) => t.audience).join(',') : '<unset>')),
    col('RequiresRepublish', (o) => o.spec?.requiresRepublish ?? false, 'boolean'),
    col('Modes', (o) => (o.spec?.volumeLifecycleModes ?? []).join(',') || '<none>'),
    AGE,
  ],
  'storage.k8s.io/CSINode': [NAME, col('Drivers', (o) => (o.spec?.drivers ?? []).length, 'integer'), AGE],
  'node.k8s.io/RuntimeClass': [NAME, col('Handler', (o) => o.handler ?? ''), AGE],
  'discovery.k8s.io/EndpointSlice': [
    NAME,
    col('AddressType', (o) => o.addressType ?? ''),
    col('Ports', (o) => (o.ports ?? []).map((p: Loose) => p.port ?? '<unset>').join(',') || '<unset>'),
    col('Endpoints', (o) => {
      const addresses: string[] = (o.endpoints ?? []).flatMap((e: Loose) => e.addresses ?? []);
      if (!addresses.length) return '<unset>';
      return addresses.length > 3 ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...` : addresses.join(',');
    }),
    AGE,
  ],
};

/** Evaluates the simple `.a.b[0].c` JSONPaths printer columns use. */
function jsonPathValue(o: Loose, path: string): Cell {
  let cur: any = o;
  for (const m of path.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) cur = cur?.[m[1] ?? Number(m[2])];
  if (cur === undefined || cur === null) return null;
  return typeof cur === 'object' ? JSON.stringify(cur) : cur;
}

function customColumns(columns: PrinterColumn[]): Column[] {
  return [
    NAME,
    ...columns.map((c) => col(c.name, (o, now) => (c.type === 'date' && jsonPathValue(o, c.jsonPath) ? humanDuration(now - Date.parse(String(jsonPathValue(o, c.jsonPath)))) : jsonPathValue(o, c.jsonPath)), c.type, c.priority ?? 0)),
    ...(columns.some((c) => c.name.toLowerCase() === 'age') ? [] : [AGE]),
  ];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function toTable(type: ResourceType, objects: KubeObject[], include: IncludeObject, now: number, resourceVersion: string) {
  const columns = type.printerColumns?.length ? customColumns(type.printerColumns) : (COLUMNS[`${type.group}/${type.kind}`] ?? [NAME, AGE]);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: '', priority: c.priority ?? 0 })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o as Loose, now)),
      ...(include === 'None'
        ? {}
        : { object: include === 'Object' ? o : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } }),
    })),
  };
}
