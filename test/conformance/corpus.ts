/**
 * The conformance corpus: real third-party charts with hooks, vendored under
 * test/fixtures/third-party/<name>/ (chart, LICENSE, SOURCE, values for install and upgrade).
 */
import * as path from 'path';

export const THIRD_PARTY = path.resolve(__dirname, '..', 'fixtures', 'third-party');

export interface CorpusChart {
  /** The fixture's directory name (and the chart's name). */
  readonly name: string;
  readonly release: string;
  readonly namespace: string;
  /** API groups the chart's objects need beyond what every cluster serves. */
  readonly needs: readonly string[];
  /** What its hooks exercise, for the report. */
  readonly exercises: string;
}

export const chartDir = (c: CorpusChart): string => path.join(THIRD_PARTY, c.name, c.name);
/** Values of the install (and rollback target); the upgrade's differ by one change each. */
export const installValues = (c: CorpusChart): string => path.join(THIRD_PARTY, c.name, 'values-install.yaml');
export const upgradeValues = (c: CorpusChart): string => path.join(THIRD_PARTY, c.name, 'values-upgrade.yaml');

const ADMISSION = 'admissionregistration.k8s.io/v1';

export const CORPUS: readonly CorpusChart[] = [
  {
    name: 'ingress-nginx',
    release: 'ingress-nginx',
    namespace: 'ingress',
    needs: [ADMISSION],
    exercises: 'pre+post install/upgrade in one hook (RBAC, SA, NetworkPolicy), Jobs split pre/post, before-hook-creation,hook-succeeded',
  },
  {
    name: 'argo-cd',
    release: 'argocd',
    namespace: 'argocd',
    needs: [],
    exercises: 'pre-install/pre-upgrade Job+SA+Role+RoleBinding with before-hook-creation only (hooks stay), CRDs in templates with keep, NetworkPolicies',
  },
  {
    name: 'prometheus-operator-admission-webhook',
    release: 'pow',
    namespace: 'monitoring',
    needs: [ADMISSION],
    exercises: 'weight -5 NetworkPolicy pre-install/pre-upgrade only, RBAC hooks in four events, webhook configurations patched post-install',
  },
  {
    name: 'alertmanager',
    release: 'alertmanager',
    namespace: 'monitoring',
    needs: [],
    exercises: 'legacy test-success test Pod without delete policy (stays after helm test)',
  },
  {
    name: 'velero',
    release: 'velero',
    namespace: 'velero',
    needs: [],
    exercises: 'CRDs in crds/, weights -5/-4/-3/5 in pre-install/pre-upgrade/pre-rollback, post-install/post-upgrade/post-rollback Job, pre-delete Job with hook-succeeded only',
  },
  {
    name: 'cert-manager',
    release: 'cert-manager',
    namespace: 'cert-manager',
    needs: [ADMISSION],
    exercises: 'post-install startupapicheck: SA/Role/RoleBinding weight -5, Job weight 1; CRDs in templates',
  },
  {
    name: 'grafana',
    release: 'grafana',
    namespace: 'grafana',
    needs: [],
    exercises: 'test hooks of four kinds (ConfigMap, ServiceAccount, Role, RoleBinding, Pod) with before-hook-creation,hook-succeeded',
  },
  {
    name: 'vault',
    release: 'vault',
    namespace: 'vault',
    needs: [ADMISSION],
    exercises: 'test Pod without delete policy, MutatingWebhookConfiguration, StatefulSet',
  },
  {
    name: 'kyverno',
    release: 'kyverno',
    namespace: 'kyverno',
    needs: [],
    exercises: 'post-upgrade weights 100/200 with hook-failed, pre-delete weights 90/100, eight test Pods, Capabilities-gated FlowSchema, disabled subcharts',
  },
  {
    name: 'kube-prometheus-stack',
    release: 'kps',
    namespace: 'monitoring',
    needs: [ADMISSION],
    exercises: 'CRDs in a subchart\'s crds/, five subcharts, admission patch hooks with weight -5 NetworkPolicies, pre-rollback CRD upgrade job',
  },
];
