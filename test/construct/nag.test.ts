/**
 * cdk-nag 3 (AwsSolutions) over the orchestrator's stack: zero unacknowledged findings, and the
 * acknowledged ones are exactly the accepted list below, each with a reason.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ClusterDeployerRole } from '../../lib/construct/cluster-deployer-role';
import { HelmReleaseOrchestrator, type HelmReleaseOrchestratorProps } from '../../lib/construct/orchestrator';

// cdk-nag's EventBusOpenAccess reads CfnEventBusPolicy.principal, which jsii reports as deprecated on stderr
process.env.JSII_DEPRECATED = 'quiet';

interface NagRun {
  readonly findings: string[];
  readonly acknowledged: Map<string, string>;
}

function nag(configure: (stack: Stack) => HelmReleaseOrchestratorProps): NagRun {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'HelmSfn');
  new HelmReleaseOrchestrator(stack, 'Orchestrator', configure(stack));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch {
    // findings make synth throw; the report below lists them
  }
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  const findings: string[] = report.pluginReports
    .filter((p: { pluginName: string }) => p.pluginName === 'AwsSolutions')
    .flatMap((p: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }) =>
      p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} @ ${c.constructPath}`)),
    );
  fs.rmSync(outdir, { recursive: true, force: true });
  return { findings, acknowledged: acknowledgedRules(stack) };
}

function acknowledgedRules(root: IConstruct): Map<string, string> {
  const rules = new Map<string, string>();
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) rules.set(`${id.replace(/^annotation::/i, '')} @ ${c.node.path}`, reason);
    }
  }
  return rules;
}

const FULL = (stack: Stack): HelmReleaseOrchestratorProps => ({
  clusters: {
    prod: { clusterName: 'prod', roleArn: 'arn:aws:iam::111122223333:role/deployer', externalId: 'abc123' },
    dev: { clusterName: 'dev' },
    onprem: { endpoint: 'https://k8s.example.com', tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:t-AbCdEf' },
    shared: { endpoint: 'https://k8s.example.org', tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:444455556666:secret:shared/token' },
  },
  tokenSecretKeyArns: ['arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
  events: { allowedAccounts: ['444455556666'], allowedOrganizationId: 'o-abcdefghij' },
  imageUpdates: [{ repositoryName: 'web', release: 'web', namespace: 'web', cluster: 'prod', chart: { source: 's3://charts-bucket/web.tgz' } }],
  chartBucketAccessLogs: { bucket: s3.Bucket.fromBucketName(stack, 'AccessLogs', 'access-logs') },
  chartSources: {
    ecrRepositories: [ecr.Repository.fromRepositoryArn(stack, 'SharedCharts', 'arn:aws:ecr:eu-west-1:444455556666:repository/platform/charts')],
    credentialSecretArns: ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf'],
  },
  chartPushes: [{ repository: ecr.Repository.fromRepositoryName(stack, 'Charts', 'team/charts'), tagPattern: '1.*', release: 'web', namespace: 'web' }],
});

test.each<[string, (stack: Stack) => HelmReleaseOrchestratorProps]>([
  ['defaults', () => ({})],
  ['every option', FULL],
  ['a given chart bucket', (stack) => ({ chartBucket: s3.Bucket.fromBucketName(stack, 'Given', 'team-charts') })],
  [
    'a private cluster: a VPC of the stack, a KMS key, an existing bus',
    (stack) => ({
      ...FULL(stack),
      // the VPC is the app's; it logs its flows, as AwsSolutions-VPC7 asks of any VPC
      vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs() } } }),
      encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
      eventBus: events.EventBus.fromEventBusName(stack, 'Platform', 'platform-events'),
      events: {},
    }),
  ],
  [
    'an imported VPC with given security groups',
    (stack) => {
      const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
      return { vpc, securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-1')] };
    },
  ],
])('AwsSolutions: no unacknowledged finding (%s)', (_name, configure) => {
  expect(nag(configure).findings).toEqual([]);
}, 30_000);

test('AwsSolutions: a ClusterDeployerRole has no finding at all', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Target', { env: { account: '111122223333', region: 'eu-west-1' } });
  new ClusterDeployerRole(stack, 'Deployer', { clusterName: 'prod-eu', orchestratorRoleArn: 'arn:aws:iam::123456789012:role/task', externalId: 'helm-sfn-prod', namespaces: ['web'] });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).not.toThrow();
  expect(acknowledgedRules(stack).size).toBe(0);
  fs.rmSync(outdir, { recursive: true, force: true });
});

const normalized = (acknowledged: Map<string, string>) =>
  new Set([...acknowledged.keys()].map((k) => k.replace(/<Orchestrator\w+?[0-9A-F]{8}\./, '<Fn.').replace(/ @ HelmSfn\/Orchestrator\/(\w+).*/, ' @ $1')));

test('the accepted findings, each with a reason', () => {
  const { acknowledged } = nag(() => ({}));
  const rules = normalized(acknowledged);
  expect(rules).toEqual(
    new Set([
      'AwsSolutions-S1 @ ChartBucket', // server access logs are opt-in
      'AwsSolutions-IAM5[Resource::<Fn.Arn>/*] @ TaskRole', // objects of the chart bucket
      'AwsSolutions-IAM5[Resource::*] @ TaskRole', // X-Ray
      'AwsSolutions-IAM5[Resource::*] @ StartRole',
      'AwsSolutions-IAM5[Resource::*] @ HelmRelease', // X-Ray and vended log delivery
      'AwsSolutions-IAM5[Resource::<Fn.Arn>:*] @ HelmRelease', // LambdaInvoke's qualified ARNs
      // Node.js 22 runtime on purpose
      ...['Engine', 'Render', 'StartFromEvent', 'RecoverRelease'].map((f) => `AwsSolutions-L1 @ ${f}`),
    ]),
  );
  for (const reason of acknowledged.values()) expect(reason.length).toBeGreaterThan(40);
}, 30_000);

test('a VPC adds no other accepted finding: the ENI actions join the task role\'s wildcard, with their reason', () => {
  const inVpc = nag((stack) => ({ vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] }) }));
  expect(normalized(inVpc.acknowledged)).toEqual(normalized(nag(() => ({})).acknowledged));
  const taskRoleWildcard = [...inVpc.acknowledged].find(([k]) => k.startsWith('AwsSolutions-IAM5[Resource::*] @ HelmSfn/Orchestrator/TaskRole'))![1];
  expect(taskRoleWildcard).toMatch(/X-Ray.*ENI actions/);
}, 30_000);
