/**
 * The orchestrator's chart sources: least-privilege grants for ECR repositories and credential
 * secrets, the render function's ECR hosts, and the ECR chart-push rule whose input transformer
 * turns a push event into an upgrade pinned by the pushed digest.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { parseExecutionInput } from '../../lib/core/input';
import { HelmReleaseOrchestrator, type HelmReleaseOrchestratorProps } from '../../lib/construct/orchestrator';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:registry-AbCdEf';

function synth(configure: (stack: Stack) => HelmReleaseOrchestratorProps) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'HelmSfn', { env: { account: '111122223333', region: 'eu-west-1' } });
  new HelmReleaseOrchestrator(stack, 'Orchestrator', { clusters: { prod: { clusterName: 'prod' } }, ...configure(stack) });
  return Template.fromStack(stack);
}

const template = synth((stack) => {
  const charts = new ecr.Repository(stack, 'Charts', { repositoryName: 'team/charts' });
  const shared = ecr.Repository.fromRepositoryArn(stack, 'Shared', 'arn:aws:ecr:eu-west-1:444455556666:repository/platform/charts');
  return {
    chartSources: { ecrRepositories: [shared], credentialSecretArns: [SECRET], ecrRegistryHosts: ['vpce-1.dkr.ecr.eu-west-1.vpce.amazonaws.com'] },
    chartPushes: [{ repository: charts, tagPattern: '1.*', release: 'api', namespace: 'web', cluster: 'prod' }],
  };
});

test('the task role may pull from the named repositories and the pushed one, and read the named secrets only', () => {
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p).includes('TaskRole'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
  const actions = (a: string | string[]) => (Array.isArray(a) ? a : [a]);
  const pulls = statements.filter((s) => actions(s.Action).includes('ecr:BatchGetImage'));
  expect(pulls.map((s) => JSON.stringify(s.Resource))).toEqual(expect.arrayContaining([JSON.stringify('arn:aws:ecr:eu-west-1:444455556666:repository/platform/charts'), expect.stringContaining('Charts')]));
  expect(statements.filter((s) => actions(s.Action).includes('ecr:GetAuthorizationToken')).map((s) => s.Resource)).toEqual(expect.arrayContaining(['*']));
  expect(statements.filter((s) => actions(s.Action).includes('secretsmanager:GetSecretValue')).map((s) => s.Resource)).toContainEqual(SECRET);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ HELM_SFN_ECR_REGISTRIES: '["vpce-1.dkr.ecr.eu-west-1.vpce.amazonaws.com"]', HELM_SFN_HELM_BINARY: '/opt/helm/helm' }) },
  });
});

test('a chart push matching the tag pattern becomes an upgrade pinned by the pushed digest, through the starter (execution named after the event)', () => {
  const [rule] = Object.entries(template.findResources('AWS::Events::Rule')).filter(([id]) => id.startsWith('OrchestratorChartPushed0')).map(([, r]) => r.Properties);
  expect(rule.EventPattern).toEqual({
    source: ['aws.ecr'],
    'detail-type': ['ECR Image Action'],
    detail: {
      'action-type': ['PUSH'],
      result: ['SUCCESS'],
      'repository-name': [{ Ref: expect.stringMatching(/^Charts/) }],
      'artifact-media-type': ['application/vnd.cncf.helm.config.v1+json'],
      'image-tag': [{ wildcard: '1.*' }],
    },
  });
  const target = rule.Targets[0];
  expect(target.Arn['Fn::GetAtt'][0]).toMatch(/^OrchestratorStartFromEvent/);
  // the transformer as EventBridge applies it to ECR's event (CloudFormation references resolved as deployed)
  const resolve = (v: unknown): string =>
    typeof v === 'string' ? v : 'Fn::Join' in (v as object) ? (v as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map(resolve).join('') : (v as { Ref: string }).Ref === 'AWS::URLSuffix' ? 'amazonaws.com' : 'team/charts';
  const { InputPathsMap: paths, InputTemplate: inputTemplate } = target.InputTransformer;
  const event = { id: 'e-1', source: 'aws.ecr', account: '111122223333', detail: { 'image-digest': `sha256:${'a'.repeat(64)}`, 'image-tag': '1.4.0' } };
  const at = (p: string) => p.replace(/^\$\./, '').split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], event);
  const text = Object.entries(paths as Record<string, string>).reduce((t, [name, p]) => t.split(`<${name}>`).join(JSON.stringify(at(p))), resolve(inputTemplate));
  const request = JSON.parse(text);
  expect(request).toMatchObject({ eventId: 'e-1', source: 'aws.ecr', account: '111122223333' });
  expect(parseExecutionInput(request.input)).toMatchObject({
    action: 'upgrade',
    release: 'api',
    namespace: 'web',
    cluster: 'prod',
    chart: { source: 'oci://111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/charts', digest: `sha256:${'a'.repeat(64)}` },
    options: { reuseValues: true },
  });
});

test('a bad tag pattern or release fails at synth, naming the trigger', () => {
  const bad = (trigger: Record<string, unknown>) => () =>
    synth((stack) => ({ chartPushes: [{ repository: ecr.Repository.fromRepositoryName(stack, 'R', 'charts'), release: 'api', namespace: 'web', ...trigger }] }));
  expect(bad({ tagPattern: '1.[0-9]' })).toThrow(/chartPushes\[0\]\.tagPattern: must be a tag with \* wildcards/);
  expect(bad({ release: 'Api_1' })).toThrow(/chartPushes\[0\] makes an invalid execution input:\nrelease: must be a DNS-1053 label/);
});
