/**
 * The orchestrator's escape hatches, prop by prop: network, sizes, logs, removal, KMS, an existing
 * bus, grants, metrics and the errors that name the construct.
 */
import { App, Duration, Errors, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { TASKS } from '../../lib/core/contract';
import { HelmReleaseOrchestrator, type HelmReleaseOrchestratorProps } from '../../lib/construct/orchestrator';
import { ConstructValidationError } from '../../lib/construct/validation';
import { LambdaEnv } from '../../lib/core/runtime-contract';

type Resource = { Type: string; Properties: any; Metadata?: Record<string, string>; DependsOn?: string[]; DeletionPolicy?: string };

/** `use` runs before the one synthesis: grants, alarms and tags are added there. */
function synth(configure: (stack: Stack) => HelmReleaseOrchestratorProps = () => ({}), use?: (orchestrator: HelmReleaseOrchestrator, stack: Stack) => void) {
  // GIVEN an app that skips bundling (unit tests), with construct paths recorded
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'HelmSfn', { env: { account: '123456789012', region: 'eu-west-1' } });
  // WHEN
  const orchestrator = new HelmReleaseOrchestrator(stack, 'Orchestrator', configure(stack));
  use?.(orchestrator, stack);
  let synthesized: Template | undefined;
  const template = () => (synthesized ??= Template.fromStack(stack));
  const resources = () => template().toJSON().Resources as Record<string, Resource>;
  const fn = (id: string): Resource => {
    const found = Object.values(resources()).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:cdk:path'] === `HelmSfn/Orchestrator/${id}/Resource`);
    expect(found).toHaveLength(1);
    return found[0];
  };
  return { stack, orchestrator, template, resources, fn };
}

/** A VPC of this stack with public, private (NAT) and isolated subnets in two zones. */
const vpcOf = (stack: Stack) =>
  new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });

const CLUSTER_FACING = ['Engine', 'Render', 'RecoverRelease'];
const NOT_CLUSTER_FACING = ['StartFromEvent'];
const ALL_FUNCTIONS = [...CLUSTER_FACING, ...NOT_CLUSTER_FACING];

const refsTo = (prefix: string) => expect.objectContaining({ Ref: expect.stringMatching(new RegExp(`^${prefix}`)) });

describe('vpc', () => {
  const s = synth((stack) => ({ vpc: vpcOf(stack) }));

  it('puts every function that reaches a cluster (and the lock recovery) in the private subnets, with one shared security group', () => {
    for (const id of CLUSTER_FACING) {
      expect(s.fn(id).Properties.VpcConfig).toEqual({
        SubnetIds: [refsTo('VpcprivateSubnet1'), refsTo('VpcprivateSubnet2')],
        SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^OrchestratorFunctionSecurityGroup/), 'GroupId'] }],
      });
    }
    s.template().resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^helm-sfn functions') }, 1);
    s.template().hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^helm-sfn functions'),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: '-1' }],
    });
  });

  it('leaves the function that reaches no cluster (the event starter) outside the VPC', () => {
    for (const id of NOT_CLUSTER_FACING) expect(s.fn(id).Properties.VpcConfig).toBeUndefined();
  });

  it('lets the task role manage the network interfaces Lambda attaches, before the functions are created', () => {
    const policies = Object.entries(s.resources()).filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('OrchestratorTaskRole'));
    const actions = policies.flatMap(([, r]) => r.Properties.PolicyDocument.Statement.flatMap((st: any) => [st.Action].flat()));
    expect(actions).toEqual(expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface']));
    // CloudFormation must not create a function in the VPC before its role may create its ENIs
    expect(s.fn('Engine').DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^OrchestratorTaskRoleDefaultPolicy/)]));
    // the role of the function outside the VPC gets no ENI permissions
    const starter = Object.entries(s.resources()).filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('OrchestratorStartRole'));
    expect(JSON.stringify(starter)).not.toMatch(/ec2:/);
  });

  it('vpcSubnets picks the subnets', () => {
    const isolated = synth((stack) => ({ vpc: vpcOf(stack), vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }));
    expect(isolated.fn('Render').Properties.VpcConfig.SubnetIds).toEqual([refsTo('VpcisolatedSubnet1'), refsTo('VpcisolatedSubnet2')]);
  });

  it('given securityGroups are used instead of a created one, and connections opens the cluster to them', () => {
    const given = synth(
      (stack) => {
        const vpc = vpcOf(stack);
        return { vpc, securityGroups: [new ec2.SecurityGroup(stack, 'Mine', { vpc })] };
      },
      (orchestrator, stack) => {
        const clusterSg = new ec2.SecurityGroup(stack, 'ClusterSg', { vpc: ec2.Vpc.fromVpcAttributes(stack, 'Same', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] }) });
        clusterSg.connections.allowFrom(orchestrator, ec2.Port.tcp(443));
      },
    );
    given.template().resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^helm-sfn functions') }, 0);
    expect(given.fn('Engine').Properties.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^Mine/), 'GroupId'] }]);
    given.template().hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      ToPort: 443,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterSg'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Mine'), 'GroupId'] },
    });
  });

  it('allowAllOutbound: false leaves the created group without egress (add rules through connections)', () => {
    const closed = synth((stack) => ({ vpc: vpcOf(stack), allowAllOutbound: false }));
    closed.template().hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^helm-sfn functions'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
  });
});

describe('memorySize and timeout, by role', () => {
  it('default to 1024 MB and 5 minutes for the rendering function, 256 MB and 2 minutes for the others', () => {
    const s = synth();
    expect(s.fn('Render').Properties).toMatchObject({ MemorySize: 1024, Timeout: 300 });
    for (const id of ALL_FUNCTIONS.filter((f) => f !== 'Render')) expect(s.fn(id).Properties).toMatchObject({ MemorySize: 256, Timeout: 120 });
  });

  it('are set per role', () => {
    const s = synth(() => ({ memorySize: 512, timeout: Duration.seconds(150), renderMemorySize: 3008, renderTimeout: Duration.minutes(10) }));
    expect(s.fn('Render').Properties).toMatchObject({ MemorySize: 3008, Timeout: 600 });
    for (const id of ALL_FUNCTIONS.filter((f) => f !== 'Render')) expect(s.fn(id).Properties).toMatchObject({ MemorySize: 512, Timeout: 150 });
  });

  it('the deprecated taskTimeout still sets both timeouts, and yields to the new props', () => {
    const old = synth(() => ({ taskTimeout: Duration.minutes(3) }));
    expect(old.fn('Render').Properties.Timeout).toBe(180);
    expect(old.fn('Engine').Properties.Timeout).toBe(180);
    const both = synth(() => ({ taskTimeout: Duration.minutes(3), renderTimeout: Duration.minutes(7) }));
    expect(both.fn('Render').Properties.Timeout).toBe(420);
    expect(both.fn('Engine').Properties.Timeout).toBe(180);
  });
});

describe('log groups, removal policy and encryption key', () => {
  const logGroups = (s: ReturnType<typeof synth>) => Object.values(s.resources()).filter((r) => r.Type === 'AWS::Logs::LogGroup');

  it('by default: one log group per function and the execution log, kept a year, retained with the bucket and its key', () => {
    const s = synth();
    expect(logGroups(s)).toHaveLength(ALL_FUNCTIONS.length + 1);
    for (const group of logGroups(s)) expect(group).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365 } });
    for (const group of logGroups(s)) expect(group.Properties.KmsKeyId).toBeUndefined();
    s.template().hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    s.template().hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    s.template().hasResourceProperties('AWS::StepFunctions::StateMachine', { EncryptionConfiguration: Match.absent() });
  });

  it('logRetention and removalPolicy reach every log group, the chart bucket and its key', () => {
    const s = synth(() => ({ logRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }));
    for (const group of logGroups(s)) expect(group).toMatchObject({ DeletionPolicy: 'Delete', Properties: { RetentionInDays: 30 } });
    s.template().hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    s.template().hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  describe('encryptionKey', () => {
    const s = synth(
      (stack) => ({ encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) }),
      (orchestrator, stack) => {
        orchestrator.grantStartRelease(new iam.User(stack, 'Releaser'));
        orchestrator.grantReadReleases(new iam.User(stack, 'Reader'));
      },
    );
    const keyArn = { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] };

    it('encrypts every log group, and its policy lets CloudWatch Logs use it for this account\'s log groups', () => {
      for (const group of logGroups(s)) expect(group.Properties.KmsKeyId).toEqual(keyArn);
      s.template().hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'HelmSfnLogGroups',
              Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
              Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:*']] } } },
            }),
          ]),
        },
      });
    });

    it('encrypts the state machine (definition and execution history)', () => {
      s.template().hasResourceProperties('AWS::StepFunctions::StateMachine', {
        EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY', KmsKeyId: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] }) },
      });
    });

    it('lets the event starter start executions with it, and grants give callers what starting and reading need', () => {
      const statements = (prefix: string) =>
        Object.entries(s.resources())
          .filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith(prefix))
          .flatMap(([, r]) => r.Properties.PolicyDocument.Statement);
      const onKey = (action: string) => expect.objectContaining({ Action: action, Resource: keyArn, Condition: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': { Ref: expect.stringMatching(/^OrchestratorHelmRelease/) } } } });
      expect(statements('OrchestratorStartRole')).toContainEqual(onKey('kms:GenerateDataKey'));
      expect(statements('ReleaserDefaultPolicy')).toEqual(expect.arrayContaining([onKey('kms:GenerateDataKey'), onKey('kms:Decrypt')]));
      expect(statements('ReaderDefaultPolicy')).toContainEqual(onKey('kms:Decrypt'));
      expect(statements('ReaderDefaultPolicy')).not.toContainEqual(onKey('kms:GenerateDataKey'));
    });
  });
});

describe('eventBus', () => {
  it('an existing bus gets the release-request rule and the task role may put status changes on it; none is created', () => {
    const s = synth((stack) => ({ eventBus: events.EventBus.fromEventBusName(stack, 'Platform', 'platform-events') }));
    s.template().resourceCountIs('AWS::Events::EventBus', 0);
    s.template().hasResourceProperties('AWS::Events::Rule', { EventBusName: 'platform-events', EventPattern: { 'detail-type': ['Helm Release Requested'] } });
    expect(s.fn('Engine').Properties.Environment.Variables[LambdaEnv.eventBus]).toBe('platform-events');
    expect(s.orchestrator.eventBus.eventBusName).toBe('platform-events');
    s.template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:123456789012:event-bus/platform-events']] } })]) },
    });
  });

  it('events.eventBusName still names the created bus', () => {
    synth(() => ({ events: { eventBusName: 'helm-releases' } })).template().hasResourceProperties('AWS::Events::EventBus', { Name: 'helm-releases' });
  });
});

describe('imageUpdates options', () => {
  const trigger = { repositoryName: 'web', release: 'web', namespace: 'web', chart: { source: 's3://charts-bucket/web.tgz' } };

  it('are the execution input options, passed to every upgrade the push starts', () => {
    const s = synth(() => ({ imageUpdates: [{ ...trigger, options: { wait: true, timeoutSeconds: 600, hookMode: 'sequential' } }] }));
    const rule = Object.entries(s.resources()).find(([id]) => id.startsWith('OrchestratorImagePushed0'))![1];
    const input = JSON.parse((rule.Properties.Targets[0].InputTransformer.InputTemplate as string).replace(/<[\w-]+>/g, '"x"')).input;
    expect(input.options).toEqual({ wait: true, timeoutSeconds: 600, hookMode: 'sequential' });
  });

  it('are checked at synth by the rules of the first state', () => {
    expect(() => synth(() => ({ imageUpdates: [{ ...trigger, options: { reuseValues: true, resetValues: true } }] }))).toThrow(
      /^HelmSfn\/Orchestrator: imageUpdates\[0\] makes an invalid execution input:\noptions\.resetValues: cannot be combined with options\.reuseValues/,
    );
    // @ts-expect-error unknown option: the type is the execution input's
    const unknownOption: NonNullable<HelmReleaseOrchestratorProps['imageUpdates']>[number]['options'] = { rewind: true };
    expect(unknownOption).toBeDefined();
  });
});

describe('functions, grants and metrics', () => {
  const s = synth();
  const stateMachineRef = { Ref: expect.stringMatching(/^OrchestratorHelmRelease/) };

  it('exposes the event starter and the lock recovery beside the task functions', () => {
    expect(s.orchestrator.starterFunction.node.path).toBe('HelmSfn/Orchestrator/StartFromEvent');
    expect(s.orchestrator.recoveryFunction.node.path).toBe('HelmSfn/Orchestrator/RecoverRelease');
    expect(Object.keys(s.orchestrator.functions)).toEqual([...TASKS]);
  });

  it('grantReadReleases lets a dashboard or pipeline list, describe and read executions, but not start them', () => {
    let grant: iam.Grant | undefined;
    const r = synth(undefined, (orchestrator, stack) => {
      grant = orchestrator.grantReadReleases(new iam.Role(stack, 'Dashboard', { assumedBy: new iam.AccountRootPrincipal() }));
    });
    expect(grant?.success).toBe(true);
    const statements = Object.entries(r.resources())
      .filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('DashboardDefaultPolicy'))
      .flatMap(([, r]) => r.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((st: any) => [st.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['states:ListExecutions', 'states:DescribeExecution', 'states:GetExecutionHistory', 'states:ListTagsForResource']));
    expect(actions).not.toContain('states:StartExecution');
    expect(actions.filter((a: string) => a.startsWith('kms:'))).toEqual([]); // AWS-owned key: nothing to grant
  });

  it('metrics are the state machine\'s execution metrics', () => {
    const dims = (m: cloudwatch.Metric) => s.stack.resolve(m.dimensions);
    for (const [metric, name, statistic] of [
      [s.orchestrator.metricExecutionsFailed(), 'ExecutionsFailed', 'Sum'],
      [s.orchestrator.metricExecutionsSucceeded(), 'ExecutionsSucceeded', 'Sum'],
      [s.orchestrator.metricExecutionsTimedOut(), 'ExecutionsTimedOut', 'Sum'],
      [s.orchestrator.metricExecutionsAborted(), 'ExecutionsAborted', 'Sum'],
      [s.orchestrator.metricExecutionTime(), 'ExecutionTime', 'Average'],
    ] as const) {
      expect({ namespace: metric.namespace, name: metric.metricName, statistic: metric.statistic }).toEqual({ namespace: 'AWS/States', name, statistic });
      expect(dims(metric)).toEqual({ StateMachineArn: stateMachineRef });
    }
    expect(s.orchestrator.metricExecutionsFailed({ period: Duration.hours(1) }).period.toSeconds()).toBe(3600);
  });

  it('alarmOnFailures counts executions that ended FAILED, TIMED_OUT or ABORTED', () => {
    let alarm: cloudwatch.Alarm | undefined;
    const a = synth(undefined, (orchestrator) => {
      alarm = orchestrator.alarmOnFailures({ threshold: 2, alarmName: 'helm-releases-failing' });
    });
    expect(alarm?.node.path).toBe('HelmSfn/Orchestrator/FailuresAlarm');
    a.template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'helm-releases-failing',
      Threshold: 2,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)' }),
        Match.objectLike({ Id: 'failed', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' }), Period: 300, Stat: 'Sum' }), ReturnData: false }),
        Match.objectLike({ Id: 'timedOut', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsTimedOut' }) }) }),
        Match.objectLike({ Id: 'aborted', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsAborted' }) }) }),
      ]),
    });
  });
});

describe('tags', () => {
  it('Tags.of(orchestrator) reaches its resources (there is no tags prop)', () => {
    const s = synth(undefined, (orchestrator) => Tags.of(orchestrator).add('team', 'platform'));
    for (const id of ALL_FUNCTIONS) expect(s.fn(id).Properties.Tags).toContainEqual({ Key: 'team', Value: 'platform' });
    s.template().hasResourceProperties('AWS::S3::Bucket', { Tags: Match.arrayWith([{ Key: 'team', Value: 'platform' }]) });
  });
});

describe('validation errors name the construct path', () => {
  it.each<[string, (stack: Stack) => HelmReleaseOrchestratorProps, RegExp]>([
    ['vpcSubnets without vpc', () => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }), /^HelmSfn\/Orchestrator: vpcSubnets: only with vpc; got/],
    ['allowAllOutbound without vpc', () => ({ allowAllOutbound: false }), /^HelmSfn\/Orchestrator: allowAllOutbound: only with vpc; got false$/],
    [
      'allowAllOutbound with securityGroups',
      (stack) => {
        const vpc = vpcOf(stack);
        return { vpc, securityGroups: [new ec2.SecurityGroup(stack, 'Sg', { vpc })], allowAllOutbound: false };
      },
      /^HelmSfn\/Orchestrator: allowAllOutbound: only without securityGroups/,
    ],
    ['an empty securityGroups', (stack) => ({ vpc: vpcOf(stack), securityGroups: [] }), /^HelmSfn\/Orchestrator: securityGroups: must list at least one/],
    ['memorySize of 64', () => ({ memorySize: 64 }), /^HelmSfn\/Orchestrator: memorySize: must be an integer number of MB from 128 to 10240 \(Lambda\); got 64$/],
    ['renderTimeout of 20 minutes', () => ({ renderTimeout: Duration.minutes(20) }), /^HelmSfn\/Orchestrator: renderTimeout: must be from 1 second to 15 minutes \(Lambda\); got "20 minutes"$/],
    ['events.allowedAccounts with a given bus', (stack) => ({ eventBus: events.EventBus.fromEventBusName(stack, 'B', 'b'), events: { allowedAccounts: ['444455556666'] } }), /^HelmSfn\/Orchestrator: events\.allowedAccounts: only for the bus the construct creates/],
    ['events.eventBusName with a given bus', (stack) => ({ eventBus: events.EventBus.fromEventBusName(stack, 'B', 'b'), events: { eventBusName: 'x' } }), /^HelmSfn\/Orchestrator: events\.eventBusName: only for the bus/],
    ['two bad clusters', () => ({ clusters: { a: { clusterName: 'a', externalId: 'x' }, b: { endpoint: 'http://k', tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:t' } } }), /^HelmSfn\/Orchestrator: clusters\.a\.externalId: .*\nHelmSfn\/Orchestrator: clusters\.b\.endpoint: /],
  ])('%s', (_name, configure, message) => {
    expect(() => synth(configure)).toThrow(message);
  });

  it('the error carries the path, as aws-cdk-lib construct errors do', () => {
    let error: unknown;
    try {
      synth(() => ({ memorySize: 64 }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConstructValidationError);
    expect(error).toMatchObject({ name: 'InvalidInput', constructPath: 'HelmSfn/Orchestrator', type: 'validation' });
    expect(Errors.isValidationError(error)).toBe(true);
  });

  it('connections is only for functions in a VPC', () => {
    expect(() => synth().orchestrator.connections).toThrow(/^HelmSfn\/Orchestrator: connections: only with vpc/);
  });
});
