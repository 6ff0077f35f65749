/**
 * Per-kind defaulting and validation, the parts of kube-apiserver's registry strategies that
 * clients notice: defaulted fields (they matter for apply conflicts and `kubectl get -o yaml`),
 * Job labels and selector, Service IPs, Secret `stringData`, and the 422 causes for bad names,
 * labels, missing containers and invalid Job restart policies.
 */
import type { StatusCause } from './errors';
import { badRequest } from './errors';
import type { ResourceType } from './registry';
import type { KubeObject } from './storage';

type Loose = Record<string, any>;

/** The StorageClass the sim seeds as default; PVCs without a class get it. */
export const DEFAULT_STORAGE_CLASS = 'standard';

export interface DefaultingContext {
  /** The next free cluster IP (10.96.0.0/12). */
  allocateClusterIP(): string;
  allocateNodePort(): number;
}

function defaultContainer(c: Loose): void {
  if (c.image && c.imagePullPolicy === undefined) {
    const tag = /:([^/:@]+)$/.exec(c.image)?.[1];
    c.imagePullPolicy = !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.resources ??= {};
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
}

/** PodSpec defaults (pkg/apis/core/v1/defaults.go). */
export function defaultPodSpec(spec: Loose | undefined): void {
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) defaultContainer(c);
}

function defaultTemplate(template: Loose | undefined): void {
  if (template) defaultPodSpec((template.spec ??= {}));
}

const JOB_LABELS = ['batch.kubernetes.io/controller-uid', 'batch.kubernetes.io/job-name', 'controller-uid', 'job-name'] as const;

function defaultJobSpec(spec: Loose, name: string | undefined, uid: string | undefined): void {
  spec.parallelism ??= 1;
  spec.completions ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  const template = (spec.template ??= {});
  defaultTemplate(template);
  if (uid && name && !spec.selector) {
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    const values = [uid, name, uid, name];
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}) } };
    JOB_LABELS.forEach((l, i) => (template.metadata.labels[l] ??= values[i]));
  }
}

function defaultService(spec: Loose, ctx: DefaultingContext): void {
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
    if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort === undefined) p.nodePort = ctx.allocateNodePort();
  }
  if (spec.type !== 'ExternalName') {
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = ctx.allocateClusterIP();
    spec.clusterIPs ??= [spec.clusterIP];
    if (spec.clusterIP !== 'None' || spec.selector) {
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    }
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

/** admissionregistration/v1 defaults of one webhook (SetDefaults_ValidatingWebhook, …_MutatingWebhook). */
function defaultWebhook(w: Loose, mutating: boolean): void {
  w.failurePolicy ??= 'Fail';
  w.matchPolicy ??= 'Equivalent';
  w.namespaceSelector ??= {};
  w.objectSelector ??= {};
  w.timeoutSeconds ??= 10;
  if (mutating) w.reinvocationPolicy ??= 'Never';
  for (const r of w.rules ?? []) r.scope ??= '*';
  if (w.clientConfig?.service) w.clientConfig.service.port ??= 443;
}

/** Fills the defaults of `obj` in place; idempotent, so applying it twice changes nothing. */
export function applyDefaults(type: ResourceType, obj: KubeObject, ctx: DefaultingContext): KubeObject {
  const o = obj as Loose;
  const spec = o.spec as Loose | undefined;
  switch (`${type.group}/${type.kind}`) {
    case '/Secret':
      o.type ??= 'Opaque';
      if (o.stringData) {
        o.data = { ...(o.data ?? {}) };
        for (const [k, v] of Object.entries(o.stringData)) o.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
        delete o.stringData;
      }
      break;
    case '/Namespace':
      o.spec = { finalizers: ['kubernetes'], ...(spec ?? {}) };
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
      break;
    case '/Pod':
      o.spec = spec ?? {};
      defaultPodSpec(o.spec);
      o.spec.serviceAccountName ??= 'default';
      o.spec.enableServiceLinks ??= true;
      o.spec.priority ??= 0;
      o.spec.preemptionPolicy ??= 'PreemptLowerPriority';
      break;
    case '/Service':
      defaultService((o.spec ??= {}), ctx);
      break;
    case '/PersistentVolumeClaim':
      (o.spec ??= {}).volumeMode ??= 'Filesystem';
      // the DefaultStorageClass admission plugin
      if (o.spec.storageClassName === undefined) o.spec.storageClassName = DEFAULT_STORAGE_CLASS;
      break;
    case 'apps/Deployment':
      o.spec ??= {};
      o.spec.replicas ??= 1;
      o.spec.revisionHistoryLimit ??= 10;
      o.spec.progressDeadlineSeconds ??= 600;
      o.spec.strategy ??= { type: 'RollingUpdate' };
      if (o.spec.strategy.type === 'RollingUpdate') o.spec.strategy.rollingUpdate ??= { maxSurge: '25%', maxUnavailable: '25%' };
      defaultTemplate(o.spec.template);
      break;
    case 'apps/ReplicaSet':
      o.spec ??= {};
      o.spec.replicas ??= 1;
      defaultTemplate(o.spec.template);
      break;
    case 'apps/StatefulSet':
      o.spec ??= {};
      o.spec.replicas ??= 1;
      o.spec.podManagementPolicy ??= 'OrderedReady';
      o.spec.revisionHistoryLimit ??= 10;
      o.spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      o.spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      defaultTemplate(o.spec.template);
      break;
    case 'apps/DaemonSet':
      o.spec ??= {};
      o.spec.revisionHistoryLimit ??= 10;
      o.spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
      defaultTemplate(o.spec.template);
      break;
    case 'batch/Job':
      defaultJobSpec((o.spec ??= {}), o.metadata.name, o.metadata.uid);
      break;
    case 'admissionregistration.k8s.io/ValidatingWebhookConfiguration':
    case 'admissionregistration.k8s.io/MutatingWebhookConfiguration':
      for (const w of o.webhooks ?? []) defaultWebhook(w, type.kind === 'MutatingWebhookConfiguration');
      break;
    case 'admissionregistration.k8s.io/ValidatingAdmissionPolicy': {
      o.spec ??= {};
      o.spec.failurePolicy ??= 'Fail';
      const match = o.spec.matchConstraints;
      if (match) {
        match.matchPolicy ??= 'Equivalent';
        match.namespaceSelector ??= {};
        match.objectSelector ??= {};
        for (const r of match.resourceRules ?? []) r.scope ??= '*';
      }
      break;
    }
    case 'scheduling.k8s.io/PriorityClass':
      o.preemptionPolicy ??= 'PreemptLowerPriority';
      break;
    case 'storage.k8s.io/CSIDriver':
      o.spec ??= {};
      o.spec.attachRequired ??= true;
      o.spec.podInfoOnMount ??= false;
      o.spec.storageCapacity ??= false;
      o.spec.requiresRepublish ??= false;
      o.spec.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
      o.spec.volumeLifecycleModes ??= ['Persistent'];
      break;
    case 'autoscaling/HorizontalPodAutoscaler':
      o.spec ??= {};
      o.spec.minReplicas ??= 1;
      if (!o.spec.metrics?.length) o.spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
      break;
    case 'batch/CronJob':
      o.spec ??= {};
      o.spec.concurrencyPolicy ??= 'Allow';
      o.spec.suspend ??= false;
      o.spec.successfulJobsHistoryLimit ??= 3;
      o.spec.failedJobsHistoryLimit ??= 1;
      if (o.spec.jobTemplate?.spec) defaultTemplate(o.spec.jobTemplate.spec.template);
      break;
  }
  return obj;
}

/** The status an object starts with (status is reset on create for kinds with a status subresource). */
export function initialStatus(type: ResourceType): Loose | undefined {
  switch (`${type.group}/${type.kind}`) {
    case '/Namespace':
      return { phase: 'Active' };
    case '/Pod':
      return { phase: 'Pending', qosClass: 'BestEffort' };
    case '/Service':
      return { loadBalancer: {} };
    case '/PersistentVolumeClaim':
      return { phase: 'Pending' };
    default:
      return type.subresources.includes('status') ? {} : undefined;
  }
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const MESSAGES = {
  subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  label:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  dns1035:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  labelValue:
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
};

const invalidValue = (field: string, value: unknown, detail: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  field,
});

const required = (field: string, detail = ''): StatusCause => ({ reason: 'FieldValueRequired', message: `Required value${detail ? `: ${detail}` : ''}`, field });

/** apimachinery path.IsValidPathSegmentName. */
function pathSegmentProblems(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

function validateName(type: ResourceType, name: string): StatusCause[] {
  if (type.kind === 'Namespace' && !(DNS1123_LABEL.test(name) && name.length <= 63)) return [invalidValue('metadata.name', name, MESSAGES.label)];
  if (type.kind === 'Service' && !(DNS1035_LABEL.test(name) && name.length <= 63)) return [invalidValue('metadata.name', name, MESSAGES.dns1035)];
  if (type.custom || type.kind === 'Service' || type.kind === 'Namespace') return [];
  // RBAC objects only need a valid path segment (ValidateRBACName = path.ValidatePathSegmentName): `kyverno:admission-controller` is fine
  if (type.group === 'rbac.authorization.k8s.io') return pathSegmentProblems(name).map((p) => invalidValue('metadata.name', name, p));
  if (!SUBDOMAIN.test(name) || name.length > 253) return [invalidValue('metadata.name', name, MESSAGES.subdomain)];
  return [];
}

function validateLabels(labels: Record<string, unknown> | undefined, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    const name = k.includes('/') ? k.slice(k.lastIndexOf('/') + 1) : k;
    if (!QUALIFIED_NAME.test(name) || name.length > 63) out.push(invalidValue(field, k, 'name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character'));
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) out.push(invalidValue(field, v, MESSAGES.labelValue));
  }
  return out;
}

function validatePodSpec(spec: Loose | undefined, field: string): StatusCause[] {
  const containers = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) return [required(`${field}.containers`)];
  const out: StatusCause[] = [];
  containers.forEach((c: Loose, i: number) => {
    if (!c?.name) out.push(required(`${field}.containers[${i}].name`));
    if (!c?.image) out.push(required(`${field}.containers[${i}].image`));
  });
  return out;
}

/** The admissionregistration/v1 checks chart authors meet (ValidateValidatingWebhookConfiguration). */
function validateWebhooks(webhooks: Loose[] | undefined): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  (webhooks ?? []).forEach((w, i) => {
    const at = `webhooks[${i}]`;
    if (!w.name) out.push(required(`${at}.name`));
    else if (seen.has(w.name)) out.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(w.name)}`, field: `${at}.name` });
    else if (w.name.split('.').length < 3) out.push(invalidValue(`${at}.name`, w.name, 'should be a domain with at least three segments separated by dots'));
    seen.add(w.name);
    if (!w.sideEffects) out.push(required(`${at}.sideEffects`, 'must specify one of None, NoneOnDryRun'));
    if (!w.admissionReviewVersions?.length) out.push(required(`${at}.admissionReviewVersions`, 'must specify one of v1, v1beta1'));
    if (!w.clientConfig?.url === !w.clientConfig?.service) out.push(required(`${at}.clientConfig`, 'exactly one of url or service is required'));
  });
  return out;
}

/** The 422 causes of an object about to be stored (empty = valid). */
export function validate(type: ResourceType, obj: KubeObject): StatusCause[] {
  const o = obj as Loose;
  const name = obj.metadata.name;
  const causes: StatusCause[] = [];
  if (!name) causes.push(required('metadata.name', 'name or generateName is required'));
  else causes.push(...validateName(type, name));
  causes.push(...validateLabels(obj.metadata.labels, 'metadata.labels'));
  switch (`${type.group}/${type.kind}`) {
    case '/Pod':
      causes.push(...validatePodSpec(o.spec, 'spec'));
      break;
    case 'apps/Deployment':
    case 'apps/ReplicaSet':
    case 'apps/StatefulSet':
    case 'apps/DaemonSet': {
      causes.push(...validatePodSpec(o.spec?.template?.spec, 'spec.template.spec'));
      const selector = o.spec?.selector?.matchLabels as Record<string, string> | undefined;
      if (!o.spec?.selector) causes.push(required('spec.selector'));
      const labels = (o.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
      if (selector && Object.entries(selector).some(([k, v]) => labels[k] !== v))
        causes.push(invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
      break;
    }
    case 'admissionregistration.k8s.io/ValidatingWebhookConfiguration':
    case 'admissionregistration.k8s.io/MutatingWebhookConfiguration':
      causes.push(...validateWebhooks(o.webhooks));
      break;
    case 'batch/Job': {
      causes.push(...validatePodSpec(o.spec?.template?.spec, 'spec.template.spec'));
      const policy = o.spec?.template?.spec?.restartPolicy;
      if (policy !== 'Never' && policy !== 'OnFailure')
        causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "OnFailure", "Never"`, field: 'spec.template.spec.restartPolicy' });
      break;
    }
  }
  return causes;
}

/** Fields that must not change on update; returns the 422 causes. */
export function validateImmutable(type: ResourceType, before: KubeObject, after: KubeObject): StatusCause[] {
  const b = before as Loose;
  const a = after as Loose;
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const immutable = (field: string, value: unknown): StatusCause => ({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: field is immutable`, field });
  const out: StatusCause[] = [];
  switch (`${type.group}/${type.kind}`) {
    case 'batch/Job':
      if (!same(b.spec?.selector, a.spec?.selector)) out.push(immutable('spec.selector', a.spec?.selector));
      if (!same(b.spec?.template, a.spec?.template)) out.push(immutable('spec.template', a.spec?.template));
      if (!same(b.spec?.completions, a.spec?.completions)) out.push(immutable('spec.completions', a.spec?.completions));
      break;
    case 'apps/Deployment':
    case 'apps/ReplicaSet':
    case 'apps/StatefulSet':
    case 'apps/DaemonSet':
      if (!same(b.spec?.selector, a.spec?.selector)) out.push(immutable('spec.selector', a.spec?.selector));
      break;
    case '/Service':
      if (b.spec?.clusterIP && a.spec?.clusterIP !== b.spec.clusterIP) out.push(immutable('spec.clusterIP', a.spec?.clusterIP));
      break;
    case '/Secret':
    case '/ConfigMap':
      if (b.immutable === true && (!same(b.data, a.data) || !same(b.binaryData, a.binaryData))) out.push({ reason: 'FieldValueForbidden', message: 'Forbidden: field is immutable when `immutable` is set', field: 'data' });
      break;
  }
  return out;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Secret data must be base64, or the JSON decoding of `[]byte` fails before validation (400). */
export function checkDecodable(type: ResourceType, obj: KubeObject): void {
  if (type.group !== '' || type.kind !== 'Secret') return;
  for (const v of Object.values(((obj as Loose).data ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string' || !BASE64.test(v) || v.length % 4 !== 0)
      throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0`);
  }
}
