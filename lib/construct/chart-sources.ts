/**
 * Where the orchestrator may fetch charts from (its task role's grants) and the ECR chart pushes
 * that upgrade a release. Registry and repository charts are fetched by the render task with the
 * real `helm pull`: ECR with the task role's token, anything else with the Secrets Manager
 * secret a source names (`chart.credentialsSecretArn`).
 */
import { Stack, Token } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { parseExecutionInput } from '../core/input';
import { LambdaEnv } from '../core/runtime-contract';
import { acknowledge } from './nag';
import { ConstructValidationError, invalidProp } from './validation';

/** The registries and repositories the orchestrator reads charts from. */
export interface ChartSourcesOptions {
  /**
   * ECR repositories holding charts (`oci://<account>.dkr.ecr.<region>.amazonaws.com/<name>`).
   * The task role may pull from them (`ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer` on each,
   * and `ecr:GetAuthorizationToken`). A repository in another account must also allow the task
   * role in its repository policy (`Repository.fromRepositoryArn` here, and in that account
   * `repository.grantPull(new iam.ArnPrincipal(<taskRole ARN>))`).
   * @default - none: ECR charts are refused by ECR (ChartFetchFailed)
   */
  readonly ecrRepositories?: ecr.IRepository[];
  /**
   * ARNs of Secrets Manager secrets with the credentials of other registries and repositories,
   * `{"username","password"}` or `{"token"}` (a bearer token, OCI registries only); a chart source
   * names its secret in `chart.credentialsSecretArn`. A customer-managed key of theirs goes in
   * `tokenSecretKeyArns`.
   * @default - none: only public registries and repositories, and ECR
   */
  readonly credentialSecretArns?: string[];
  /**
   * Registry hosts to authenticate with `ecr:GetAuthorizationToken` besides the
   * `<account>.dkr.ecr.<region>.amazonaws.com` names (a VPC endpoint's DNS name, for instance).
   * @default - none
   */
  readonly ecrRegistryHosts?: string[];
}

/** An ECR push of a Helm chart that upgrades a release to the pushed chart, pinned by its digest. */
export interface ChartPushTrigger {
  /** The ECR repository of the chart (in this account and region: ECR sends its events there). */
  readonly repository: ecr.IRepository;
  /**
   * Only tags matching this EventBridge wildcard pattern (`*` matches any characters) upgrade.
   * @default '*' (every tag)
   */
  readonly tagPattern?: string;
  readonly release: string;
  readonly namespace: string;
  /**
   * Registry key of the cluster.
   * @default - the registry's only cluster
   */
  readonly cluster?: string;
  /**
   * The execution input's `options` for these upgrades.
   * @default { reuseValues: true } (keep the values of the last revision)
   */
  readonly options?: Record<string, unknown>;
}

/** ECR's media type of a Helm chart's OCI config (what `helm push` writes). */
export const HELM_CHART_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';

/** Least privilege for the task role: pull on the named repositories (and those of the chart pushes), read on the named secrets. */
export function grantChartSources(role: iam.Role, opts: ChartSourcesOptions, pushes: readonly ChartPushTrigger[], secretResource: (arn: string) => string): void {
  const repositories = [...new Set([...(opts.ecrRepositories ?? []), ...pushes.map((p) => p.repository)])];
  for (const repository of repositories) repository.grantPull(role);
  if (repositories.length || opts.ecrRegistryHosts?.length) {
    if (!repositories.length) role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', 'ecr:GetAuthorizationToken supports no resource-level permissions (IAM requires Resource "*"); pulls are limited to the named repositories');
  }
  const secrets = opts.credentialSecretArns ?? [];
  if (secrets.length) role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [...new Set(secrets.map(secretResource))] }));
}

/** The render function's environment for chart sources. */
export function chartSourcesEnvironment(opts: ChartSourcesOptions | undefined): Record<string, string> {
  return opts?.ecrRegistryHosts?.length ? { [LambdaEnv.ecrRegistries]: JSON.stringify(opts.ecrRegistryHosts) } : {};
}

/** The execution input a chart push becomes: an upgrade to that chart, pinned by the pushed digest. */
export function chartPushInput(trigger: ChartPushTrigger, digest: string, stack: Stack = Stack.of(trigger.repository)): Record<string, unknown> {
  return {
    action: 'upgrade',
    release: trigger.release,
    namespace: trigger.namespace,
    ...(trigger.cluster ? { cluster: trigger.cluster } : {}),
    chart: { source: `oci://${trigger.repository.env.account}.dkr.ecr.${trigger.repository.env.region}.${stack.urlSuffix}/${trigger.repository.repositoryName}`, digest },
    options: trigger.options ?? { reuseValues: true },
  };
}

/**
 * One rule per trigger on the default bus: a successful PUSH of a Helm chart whose tag matches
 * starts an upgrade through the starter function (`target`), which names the execution after
 * the event, so a redelivered event never upgrades twice.
 */
export function addChartPushRules(scope: Construct, triggers: readonly ChartPushTrigger[], target: (input: Record<string, unknown>) => events.IRuleTarget): void {
  triggers.forEach((trigger, i) => {
    validateChartPush(scope, trigger, i);
    new events.Rule(scope, `ChartPushed${i}`, {
      description: `helm-sfn: upgrade ${trigger.release} in ${trigger.namespace} on chart pushes to ${trigger.repository.repositoryName}`,
      eventPattern: ecrPushPattern(trigger.repository.repositoryName, trigger.tagPattern && trigger.tagPattern !== '*' ? events.Match.wildcard(trigger.tagPattern) : events.Match.exists(), {
        'artifact-media-type': [HELM_CHART_MEDIA_TYPE],
      }),
      targets: [target(chartPushInput(trigger, events.EventField.fromPath('$.detail.image-digest')))],
    });
  });
}

/** A successful ECR push to `repositoryName` whose tag matches `imageTag` (image updates and chart pushes). */
export function ecrPushPattern(repositoryName: string, imageTag: string[], extra: Record<string, string[]> = {}): events.EventPattern {
  return {
    source: ['aws.ecr'],
    detailType: ['ECR Image Action'],
    detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': [repositoryName], ...extra, 'image-tag': imageTag },
  };
}

const TAG_PATTERN = /^[\w.*-]{1,128}$/;

function validateChartPush(scope: Construct, trigger: ChartPushTrigger, i: number): void {
  const at = `chartPushes[${i}]`;
  if (trigger.tagPattern !== undefined && !TAG_PATTERN.test(trigger.tagPattern)) {
    throw invalidProp(scope, `${at}.tagPattern`, 'must be a tag with * wildcards (letters, digits, _ . - *)', trigger.tagPattern);
  }
  const name = trigger.repository.repositoryName;
  try {
    // the very rules the first state applies (tokens stand in as a sample host), so a bad trigger fails at synth
    const input = chartPushInput(trigger, `sha256:${'0'.repeat(64)}`);
    const sample = Token.isUnresolved(name) ? 'charts/sample' : name;
    parseExecutionInput({ ...input, chart: { source: `oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/${sample}`, digest: `sha256:${'0'.repeat(64)}` } });
  } catch (e) {
    throw new ConstructValidationError(scope, `${at} makes an invalid execution input:\n${(e as Error).message}`);
  }
}
