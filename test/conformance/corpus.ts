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
  /**
   * Manifests (paths under test/fixtures/third-party) created with kubectl before the install,
   * on both clusters: what the chart finds there (e.g. a CRD its Capabilities checks look for).
   */
  readonly clusterSetup?: readonly string[];
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
    exercises: 'four-event hooks (pre+post install/upgrade: SA, ClusterRole(Binding), Role(Binding), NetworkPolicy), a pre and a post Job with ttlSecondsAfterFinished: 0, before-hook-creation,hook-succeeded; a comment-only template',
  },
  {
    name: 'argo-cd',
    release: 'argocd',
    namespace: 'argocd',
    needs: [],
    exercises: 'pre-install/pre-upgrade Job+SA+Role+RoleBinding with before-hook-creation only (they stay), CRDs in templates, NetworkPolicies, a ServiceMonitor gated on .Capabilities.APIVersions (the cluster has the CRD)',
    clusterSetup: ['kube-prometheus-stack/kube-prometheus-stack/charts/crds/crds/crd-servicemonitors.yaml'],
  },
  {
    name: 'prometheus-operator-admission-webhook',
    release: 'pow',
    namespace: 'monitoring',
    needs: [ADMISSION],
    exercises: 'weight -5 NetworkPolicy in pre-install/pre-upgrade, four-event RBAC hooks, pre and post Jobs (the post one with ttlSecondsAfterFinished: 0), webhook configurations',
  },
  {
    name: 'alertmanager',
    release: 'alertmanager',
    namespace: 'monitoring',
    needs: [],
    exercises: 'a legacy test-success test Pod without delete policy (it stays after the test)',
  },
  {
    name: 'velero',
    release: 'velero',
    namespace: 'velero',
    needs: [],
    exercises: 'CRDs in crds/, weights -5/-4/-3/5 in pre-install/pre-upgrade/pre-rollback, a post-install/post-upgrade/post-rollback Job and a pre-delete Job with hook-succeeded only, kubectl image tag from .Capabilities.KubeVersion',
  },
  {
    name: 'cert-manager',
    release: 'cert-manager',
    namespace: 'cert-manager',
    needs: [ADMISSION],
    exercises: 'post-install only: SA/Role/RoleBinding at weight -5, the startupapicheck Job at weight 1; CRDs in templates; RBAC names with colons',
  },
  {
    name: 'grafana',
    release: 'grafana',
    namespace: 'grafana',
    needs: [],
    exercises: 'no hooks as published (its .helmignore `tests/` drops templates/tests): test on a release without test hooks',
  },
  {
    name: 'vault',
    release: 'vault',
    namespace: 'vault',
    needs: [ADMISSION],
    exercises: 'a test Pod without delete policy, a MutatingWebhookConfiguration, a StatefulSet',
  },
  {
    name: 'kyverno',
    release: 'kyverno',
    namespace: 'kyverno',
    needs: [],
    exercises: 'post-upgrade weights 100/200 with hook-failed, pre-delete weights 90/100, five test Pods without delete policy, Capabilities-gated kinds, disabled subcharts',
  },
  {
    name: 'kube-prometheus-stack',
    release: 'kps',
    namespace: 'monitoring',
    needs: [ADMISSION],
    exercises: 'CRDs in a subchart\'s crds/, four packaged subcharts (values -a, dependency metadata), weights -5/-4/-3/-2/5 in pre-install/pre-upgrade/pre-rollback, four-event webhook-patch hooks, kubectl image tag from .Capabilities.KubeVersion',
  },
];
