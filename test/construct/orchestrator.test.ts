import { App, Duration, Stack, Tags } from 'aws-cdk-lib';
import { MAX_WATCH_SECONDS } from '../../lib/core/polling';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { TASKS } from '../../lib/core/contract';
import { HelmReleaseOrchestrator, imageUpdateInput, type HelmReleaseOrchestratorProps } from '../../lib/construct/orchestrator';
import { LambdaEnv, RELEASE_REQUESTED_DETAIL_TYPE } from '../../lib/core/runtime-contract';
import { extractStateMachines, lambdaFunctions, type CfnTemplate } from '../../lib/local/asl';
import { localDefinition } from '../../lib/local/run-locally';

// asl-validator ships no types and mutates its argument (hence structuredClone)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator: (d: unknown, o?: unknown) => { isValid: boolean; errorsText: (sep?: string) => string } = require('asl-validator');

const PROD_ROLE = 'arn:aws:iam::111122223333:role/helm-sfn-deployer';
const TOKEN_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:onprem-token-AbCdEf';

const FULL: HelmReleaseOrchestratorProps = {
  clusters: {
    prod: { clusterName: 'prod-eu', region: 'eu-west-1', roleArn: PROD_ROLE, externalId: 'helm-sfn-prod' },
    dev: { clusterName: 'dev' },
    onprem: { endpoint: 'https://k8s.example.com:6443', caData: 'LS0tLS1CRUdJTg==', tokenSecretArn: TOKEN_SECRET },
  },
  events: { allowedAccounts: ['444455556666'], allowedOrganizationId: 'o-abcdefghij' },
  imageUpdates: [{ repositoryName: 'team/web', tagPrefix: 'v', release: 'web', namespace: 'web', cluster: 'prod', chart: { source: 's3://charts-bucket/web-1.0.0.tgz' } }],
  pollSeconds: { min: 5, max: 60 },
};

function synth(props: HelmReleaseOrchestratorProps = FULL, configure?: (stack: Stack) => HelmReleaseOrchestratorProps) {
  // GIVEN an app that skips bundling (unit tests), with construct paths recorded
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'HelmSfn');
  // WHEN
  const orchestrator = new HelmReleaseOrchestrator(stack, 'Orchestrator', configure ? configure(stack) : props);
  Tags.of(orchestrator).add('team', 'platform');
  return { stack, orchestrator, template: Template.fromStack(stack) };
}

const { template } = synth();
const json = template.toJSON() as CfnTemplate & { Resources: Record<string, { Type: string; Properties: any }> };
const resourcesOf = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const statementsOf = (roleLogicalIdPrefix: string) =>
  resourcesOf('AWS::IAM::Policy')
    .filter(([id]) => id.startsWith(roleLogicalIdPrefix))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);

describe('state machine', () => {
  it('is the definition the local runner executes, valid ASL, whatever the props', () => {
    const [machine] = extractStateMachines(json);
    expect(machine.definition).toEqual(localDefinition());
    const result = aslValidator(structuredClone(machine.definition), { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('logs ALL events without execution data, traces with X-Ray, and names the chart bucket in a tag', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }] },
      Tags: Match.arrayWith([{ Key: 'helm-sfn:chart-bucket', Value: { Ref: Match.stringLikeRegexp('^OrchestratorChartBucket') } }, { Key: 'team', Value: 'platform' }]),
    });
  });

  it('logs payloads only when asked, and can log nothing', () => {
    const withData = synth({ executionLogging: { includeExecutionData: true } }).template;
    withData.hasResourceProperties('AWS::StepFunctions::StateMachine', { LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true } });
    const off = synth({ executionLogging: { level: sfn.LogLevel.OFF }, tracing: false }).template;
    off.hasResourceProperties('AWS::StepFunctions::StateMachine', { LoggingConfiguration: Match.absent(), TracingConfiguration: { Enabled: false } });
  });
});

describe('functions', () => {
  const fn = (id: string) => {
    const found = resourcesOf('AWS::Lambda::Function').filter(([, r]) => (r as { Metadata?: Record<string, string> }).Metadata?.['aws:cdk:path'] === `HelmSfn/Orchestrator/${id}/Resource`);
    expect(found).toHaveLength(1);
    return found[0][1].Properties;
  };

  it('two run the tasks (the engine, and the renderer for prepare), plus the event starter and the lock recovery', () => {
    template.resourceCountIs('AWS::Lambda::Function', 4);
    for (const id of ['Engine', 'Render', 'StartFromEvent', 'RecoverRelease']) expect(fn(id).Runtime).toBe('nodejs22.x');
    expect(fn('Engine').Handler).toBe('index.handler');
    expect(fn('Render').Handler).toBe('index.handler');
    expect(fn('RecoverRelease').Handler).toBe('index.recover');
    // engine, render and recovery run one bundle: one asset
    expect(new Set(['Engine', 'Render', 'RecoverRelease'].map((id) => JSON.stringify(fn(id).Code))).size).toBe(1);
    expect(JSON.stringify(fn('StartFromEvent').Code)).not.toBe(JSON.stringify(fn('Engine').Code));
  });

  it('every Task state invokes the engine, but prepare the renderer, and names its task in the payload: at most two cold starts per execution', () => {
    const [machine] = extractStateMachines(json);
    const arnOf = Object.fromEntries(lambdaFunctions(json).map((f) => [f.constructPath, f.arn]));
    const tasks = Object.values(machine.definition.States).filter((state) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(10);
    for (const state of tasks) {
      const task = (state.Parameters as { task?: string }).task;
      expect(TASKS).toContain(task);
      expect(state.Resource).toBe(arnOf[`HelmSfn/Orchestrator/${task === 'prepare' ? 'Render' : 'Engine'}`]);
    }
  });

  it('the rendering function carries the kubectl layer and runs on x86_64, like the layer binaries; the engine on arm64 without it', () => {
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { Description: Match.stringLikeRegexp('/opt/helm/helm') });
    expect(fn('Render')).toMatchObject({ Architectures: ['x86_64'], Layers: [{ Ref: expect.stringMatching(/^OrchestratorKubectlLayer/) }], MemorySize: 1024, Timeout: 300 });
    expect(fn('Render').Environment.Variables[LambdaEnv.helmBinary]).toBe('/opt/helm/helm');
    expect(fn('Engine')).toMatchObject({ Architectures: ['arm64'], MemorySize: 256, Timeout: 120 });
    expect(fn('Engine').Layers).toBeUndefined();
  });

  it('the engine function, which runs the polls, outlives the longest watch window between two looks', () => {
    expect(fn('Engine').Timeout).toBeGreaterThanOrEqual(MAX_WATCH_SECONDS + 60);
  });

  it('get the registry as JSON of names and ARNs, the bus, and Powertools settings; no secret in any environment', () => {
    const vars = fn('Engine').Environment.Variables;
    expect(JSON.parse(vars[LambdaEnv.clusters])).toEqual(FULL.clusters);
    expect(vars).toMatchObject({ [LambdaEnv.eventBus]: { Ref: expect.stringMatching(/^OrchestratorReleaseEvents/) }, POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_SERVICE_NAME: 'helm-sfn' });
    expect(JSON.parse(fn('Engine').Environment.Variables[LambdaEnv.pollSeconds])).toEqual({ min: 5, max: 60 });
    for (const [, r] of resourcesOf('AWS::Lambda::Function')) {
      for (const name of Object.keys(r.Properties.Environment?.Variables ?? {})) expect(name).not.toMatch(/SECRET|PASSWORD|TOKEN|KEY/i);
    }
  });

  it('run the prebuilt bundles without source maps (a map costs a 256 MB function a third of its memory), at any log level', () => {
    const debug = synth({ logLevel: 'DEBUG' }).template.findResources('AWS::Lambda::Function');
    for (const r of Object.values(debug)) {
      expect(r.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_LOG_LEVEL: 'DEBUG' });
      expect(r.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
    }
  });

  it('trace with X-Ray and log to their own log groups', () => {
    for (const id of ['Engine', 'Render', 'StartFromEvent', 'RecoverRelease']) {
      expect(fn(id)).toMatchObject({ TracingConfig: { Mode: 'Active' }, LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/Logs/) } } });
    }
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 365 }, 4 + 1);
  });
});

describe('IAM', () => {
  const taskStatements = statementsOf('OrchestratorTaskRole');

  it('the task role assumes exactly the registered roles and describes only its own-account clusters', () => {
    expect(taskStatements).toContainEqual(expect.objectContaining({ Action: 'sts:AssumeRole', Resource: PROD_ROLE }));
    const describe = taskStatements.find((s) => s.Action === 'eks:DescribeCluster');
    expect(JSON.stringify(describe?.Resource)).toMatch(/:cluster\/dev"/);
    expect(JSON.stringify(describe?.Resource)).not.toMatch(/prod-eu/);
    expect(taskStatements).toContainEqual(expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: TOKEN_SECRET }));
  });

  it('a partial secret ARN (no -AbCdEf suffix) is granted as ARN-??????, which matches the secret; a given KMS key is decryptable through Secrets Manager only', () => {
    const partial = 'arn:aws:secretsmanager:eu-west-1:444455556666:secret:shared/onprem-token';
    const key = 'arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template: t } = synth({ clusters: { onprem: { endpoint: 'https://k8s.example.com', tokenSecretArn: partial } }, tokenSecretKeyArns: [key] });
    const statements = Object.entries(t.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('OrchestratorTaskRole'))
      .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: `${partial}-??????` }));
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'kms:Decrypt', Resource: key, Condition: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } } }),
    );
  });

  it('the task role reads chart objects, decrypts with the chart key and publishes on the bus', () => {
    expect(taskStatements).toContainEqual(expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^OrchestratorChartBucket/), 'Arn'] }, '/*']] } }));
    expect(taskStatements).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^OrchestratorChartKey/), 'Arn'] } }));
    expect(taskStatements).toContainEqual(expect.objectContaining({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^OrchestratorReleaseEvents/), 'Arn'] } }));
  });

  it('uses Resource "*" only for the actions that support nothing else (X-Ray, vended log delivery)', () => {
    const allowedOnStar = /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/;
    const onStar = resourcesOf('AWS::IAM::Policy').flatMap(([, r]) =>
      (r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')))
        .flatMap((s) => [s.Action].flat()),
    );
    expect(onStar.length).toBeGreaterThan(0);
    expect(onStar.filter((a) => !allowedOnStar.test(a))).toEqual([]);
  });

  it('the starter may only start this state machine', () => {
    expect(statementsOf('OrchestratorStartRole')).toContainEqual({ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: expect.stringMatching(/^OrchestratorHelmRelease/) } });
  });

  it('grantStartRelease lets a CLI user start, stop and follow executions and upload charts', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const s = new Stack(app, 'S');
    const orchestrator = new HelmReleaseOrchestrator(s, 'Orchestrator');
    const user = new iam.User(s, 'Releaser');
    orchestrator.grantStartRelease(user);
    const actions = Template.fromStack(s)
      .findResources('AWS::IAM::Policy', { Properties: { Users: [{ Ref: Match.stringLikeRegexp('^Releaser') }] } });
    const granted = Object.values(actions).flatMap((p: any) => p.Properties.PolicyDocument.Statement.flatMap((st: any) => [st.Action].flat()));
    expect(granted).toEqual(expect.arrayContaining(['states:StartExecution', 'states:StopExecution', 'states:DescribeExecution', 'states:GetExecutionHistory', 'states:ListTagsForResource', 's3:PutObject', 'kms:GenerateDataKey*']));
  });
});

describe('chart bucket', () => {
  it('is created KMS-encrypted with a rotating key, TLS only, versioned, with public access blocked', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('a given bucket is used as is: no bucket or key created, reads scoped to it', () => {
    const { template: t } = synth({}, (s) => ({ chartBucket: s3.Bucket.fromBucketName(s, 'Given', 'team-charts') }));
    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.resourceCountIs('AWS::KMS::Key', 0);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-charts/*']] } }]) },
    });
  });
});

describe('events', () => {
  it('a custom bus others may put only release requests on: listed accounts, and the organization by condition', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: { Action: 'events:PutEvents', Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::444455556666:root']] } }, Condition: { StringEquals: { 'events:detail-type': RELEASE_REQUESTED_DETAIL_TYPE } } },
    });
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: { Principal: { AWS: '*' }, Condition: { StringEquals: { 'events:detail-type': RELEASE_REQUESTED_DETAIL_TYPE, 'aws:PrincipalOrgID': 'o-abcdefghij' } } },
    });
  });

  it('no bus policy when no other account is allowed', () => {
    synth({}).template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
  });

  it('"Helm Release Requested" on the bus goes to the starter with the event id and the detail as the input', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^OrchestratorReleaseEvents') },
      EventPattern: { 'detail-type': [RELEASE_REQUESTED_DETAIL_TYPE] },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrchestratorStartFromEvent'), 'Arn'] },
          Id: 'Target0',
          InputTransformer: { InputPathsMap: { id: '$.id', source: '$.source', account: '$.account', detail: '$.detail' }, InputTemplate: '{"eventId":<id>,"source":<source>,"account":<account>,"input":<detail>}' },
        },
      ],
    });
  });

  it('an ECR push of a matching tag becomes an upgrade that sets image.tag and keeps the other values', () => {
    const rule = resourcesOf('AWS::Events::Rule').find(([id]) => id.startsWith('OrchestratorImagePushed0'))![1].Properties;
    expect(rule.EventBusName).toBeUndefined(); // ECR publishes on the default bus
    expect(rule.EventPattern).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['team/web'], 'image-tag': [{ prefix: 'v' }] },
    });
    const template_ = rule.Targets[0].InputTransformer.InputTemplate as string;
    const input = JSON.parse(template_.replace('<detail-image-tag>', '"v1.2.3"').replace(/<(id|source|account)>/g, '"x"')).input;
    expect(input).toEqual({ action: 'upgrade', release: 'web', namespace: 'web', cluster: 'prod', chart: { source: 's3://charts-bucket/web-1.0.0.tgz' }, values: { image: { tag: 'v1.2.3' } }, options: { reuseValues: true } });
  });

  it('executions that end ABORTED, TIMED_OUT or FAILED go to the lock recovery', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'], stateMachineArn: [{ Ref: Match.stringLikeRegexp('^OrchestratorHelmRelease') }] },
      },
      Targets: [{ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrchestratorRecoverRelease'), 'Arn'] }, Id: 'Target0' }],
    });
  });
});

describe('imageUpdateInput', () => {
  it('nests the value path and defaults the options to reuseValues', () => {
    expect(imageUpdateInput({ repositoryName: 'r', release: 'a', namespace: 'b', chart: { source: 's3://bkt/c.tgz' }, valuePath: 'app.image.tag' }, 't1')).toEqual({
      action: 'upgrade',
      release: 'a',
      namespace: 'b',
      chart: { source: 's3://bkt/c.tgz' },
      values: { app: { image: { tag: 't1' } } },
      options: { reuseValues: true },
    });
  });
});

describe('validation', () => {
  it.each<[string, HelmReleaseOrchestratorProps, RegExp]>([
    ['an unknown cluster field', { clusters: { prod: { clusterName: 'p', role: 'x' } as never } }, /clusters\.prod: unknown field "role"/],
    ['a bad role ARN', { clusters: { prod: { clusterName: 'p', roleArn: 'arn:aws:iam::12:role/x' } } }, /clusters\.prod\.roleArn: must be an IAM role ARN.*got "arn:aws:iam::12:role\/x"/],
    ['an external id without a role', { clusters: { prod: { clusterName: 'p', externalId: 'abc' } } }, /clusters\.prod\.externalId: only allowed with roleArn/],
    ['a bad cluster key', { clusters: { 'prod eu': { clusterName: 'p' } } }, /cluster key "prod eu" must be letters/],
    ['an http endpoint', { clusters: { onprem: { endpoint: 'http://k8s:6443', tokenSecretArn: TOKEN_SECRET } } }, /clusters\.onprem\.endpoint: must be an https:\/\/ URL/],
    ['pollSeconds.min of 0', { pollSeconds: { min: 0 } }, /pollSeconds\.min: must be an integer from 1 to 300; got 0/],
    ['pollSeconds.max below min', { pollSeconds: { min: 10, max: 5 } }, /pollSeconds\.max: must be at least pollSeconds\.min \(10\); got 5/],
    ['a watch window above 60 s', { pollSeconds: { watch: 90 } }, /pollSeconds\.watch: must be an integer from 0 to 60; got 90/],
    ['a task timeout a poll cannot watch in', { taskTimeout: Duration.seconds(60) }, /timeout: must be at least 120 seconds \(a poll watches for up to 60 s between two looks\)/],
    ['a bad account', { events: { allowedAccounts: ['1234'] } }, /events\.allowedAccounts\[0\]: must be a 12-digit AWS account id; got "1234"/],
    ['a bad organization id', { events: { allowedOrganizationId: 'org-1' } }, /events\.allowedOrganizationId: must be an AWS Organizations id/],
    ['an upper-case repository', { imageUpdates: [{ repositoryName: 'Web', release: 'web', namespace: 'web', chart: { source: 's3://bkt/c.tgz' } }] }, /imageUpdates\[0\]\.repositoryName: must be an ECR repository name/],
    ['an image update with a bad release', { imageUpdates: [{ repositoryName: 'web', release: 'Web_1', namespace: 'web', chart: { source: 's3://bkt/c.tgz' } }] }, /imageUpdates\[0\] makes an invalid execution input:\nrelease: must be a DNS-1053 label/],
  ])('fails on %s, naming the prop and the rule', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  it('accepts tokens where only deploy time can tell (a role from another stack)', () => {
    expect(() => synth({}, (s) => ({ clusters: { prod: { clusterName: 'p', roleArn: new iam.Role(s, 'R', { assumedBy: new iam.AccountRootPrincipal() }).roleArn } } }))).not.toThrow();
  });

  it('fails when the registry would not fit in a Lambda environment variable', () => {
    const clusters = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`cluster-${i}`, { clusterName: `cluster-${i}`, roleArn: `arn:aws:iam::111122223333:role/helm-sfn-deployer-${i}` }]));
    expect(() => synth({ clusters })).toThrow(/clusters: must fit in 3072 bytes of JSON/);
  });
});
