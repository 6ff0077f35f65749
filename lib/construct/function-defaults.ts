/**
 * The one place where the orchestrator's functions get the props they share: memory and timeout
 * by role, the VPC for those that reach clusters, a log group each (retention, removal policy,
 * KMS key) and tracing. It does not care how many functions there are or how their code is built.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { MAX_WATCH_SECONDS } from '../core/polling';
import { acknowledge } from './nag';
import type { HelmReleaseOrchestratorProps } from './orchestrator';
import { invalidProp } from './validation';

/** What a function does; it decides the function's size and whether it runs in the VPC. */
export interface FunctionKind {
  /** Runs helm to render charts: gets the render memory and timeout. */
  readonly renders?: boolean;
  /** Calls Kubernetes API servers (and STS, EKS, Secrets Manager, S3): runs in the VPC when there is one. */
  readonly reachesClusters: boolean;
}

/** The orchestrator's function, network and log props, as given (documented there; defaults applied here). */
export type FunctionDefaultsProps = Pick<
  HelmReleaseOrchestratorProps,
  'vpc' | 'vpcSubnets' | 'securityGroups' | 'allowAllOutbound' | 'memorySize' | 'timeout' | 'renderMemorySize' | 'renderTimeout' | 'logRetention' | 'removalPolicy' | 'encryptionKey' | 'tracing'
>;

/** What {@link FunctionDefaults.forFunction} returns: spread it into any Lambda function's props. */
export type CommonFunctionProps = Pick<lambda.FunctionOptions, 'memorySize' | 'timeout' | 'logGroup' | 'tracing' | 'vpc' | 'vpcSubnets' | 'securityGroups'>;

export const DEFAULT_MEMORY_MB = 256;
/** The engine function runs the polls: its timeout covers a look, the longest watch window and a look. */
export const MIN_POLL_TIMEOUT_SECONDS = MAX_WATCH_SECONDS + 60;
export const DEFAULT_TIMEOUT = Duration.minutes(2);
/** helm holds the whole chart and its rendering in memory; 1 GiB also buys CPU for it. */
export const DEFAULT_RENDER_MEMORY_MB = 1024;
/** The render's worst case: a chart fetch, helm (60 s at most), CRDs established (60 s at most) and the lock. */
export const DEFAULT_RENDER_TIMEOUT = Duration.minutes(5);

/** What Lambda needs to attach a function to a VPC (AWSLambdaVPCAccessExecutionRole's actions). */
const ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

export class FunctionDefaults {
  /** The security groups of the functions in the VPC; empty without a VPC. */
  readonly securityGroups: ec2.ISecurityGroup[];
  private readonly retention: logs.RetentionDays;
  private readonly removalPolicy: RemovalPolicy;
  private readonly tracing: boolean;

  constructor(
    private readonly scope: Construct,
    private readonly props: FunctionDefaultsProps,
  ) {
    this.validate();
    this.retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.tracing = props.tracing ?? true;
    // one group for all functions rather than Lambda's one per function: one thing to allow on the cluster side
    this.securityGroups = !props.vpc
      ? []
      : (props.securityGroups ??
        [
          new ec2.SecurityGroup(scope, 'FunctionSecurityGroup', {
            vpc: props.vpc,
            allowAllOutbound: props.allowAllOutbound ?? true,
            description: 'helm-sfn functions that reach Kubernetes API servers and AWS APIs',
          }),
        ]);
    if (props.encryptionKey) allowLogsToUse(props.encryptionKey, scope);
  }

  /** A log group with the construct's retention, removal policy and key. */
  logGroup(id: string): logs.LogGroup {
    return new logs.LogGroup(this.scope, id, {
      retention: this.retention,
      removalPolicy: this.removalPolicy,
      ...(this.props.encryptionKey ? { encryptionKey: this.props.encryptionKey } : {}),
    });
  }

  /**
   * The shared props of function `id`: size by kind, its own log group, tracing and, for a
   * function that reaches clusters, the VPC. `executionRole` gets what these need.
   */
  forFunction(id: string, kind: FunctionKind, executionRole: iam.IRole): CommonFunctionProps {
    const logGroup = this.logGroup(`${id}Logs`);
    logGroup.grantWrite(executionRole);
    const vpc = kind.reachesClusters ? this.props.vpc : undefined;
    // Lambda adds the VPC permissions only to a role it creates; these roles are ours
    if (vpc) iam.Grant.addToPrincipal({ grantee: executionRole, actions: ENI_ACTIONS, resourceArns: ['*'] });
    const wildcards = [
      ...(this.tracing ? ['X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so IAM requires Resource "*"'] : []),
      ...(vpc ? ['the ENI actions Lambda uses to attach the function to its subnets (those of AWSLambdaVPCAccessExecutionRole) name network interfaces Lambda creates at deploy time, so they cannot be listed'] : []),
    ];
    if (wildcards.length) acknowledge(executionRole, 'AwsSolutions-IAM5[Resource::*]', wildcards.join('; '));
    return {
      memorySize: kind.renders ? (this.props.renderMemorySize ?? DEFAULT_RENDER_MEMORY_MB) : (this.props.memorySize ?? DEFAULT_MEMORY_MB),
      timeout: kind.renders ? (this.props.renderTimeout ?? DEFAULT_RENDER_TIMEOUT) : (this.props.timeout ?? DEFAULT_TIMEOUT),
      logGroup,
      tracing: this.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      ...(vpc ? { vpc, vpcSubnets: this.props.vpcSubnets, securityGroups: this.securityGroups } : {}),
    };
  }

  private validate(): void {
    const p = this.props;
    if (!p.vpc) {
      for (const prop of ['vpcSubnets', 'securityGroups', 'allowAllOutbound'] as const) {
        if (p[prop] !== undefined) throw invalidProp(this.scope, prop, 'only with vpc', prop === 'securityGroups' ? `${p[prop]!.length} security groups` : p[prop]);
      }
    }
    if (p.securityGroups !== undefined && p.allowAllOutbound !== undefined) {
      throw invalidProp(this.scope, 'allowAllOutbound', 'only without securityGroups (set outbound rules on the given groups)', p.allowAllOutbound);
    }
    if (p.securityGroups?.length === 0) throw invalidProp(this.scope, 'securityGroups', 'must list at least one security group (or leave it out to get one)', []);
    for (const prop of ['memorySize', 'renderMemorySize'] as const) {
      const mb = p[prop];
      if (mb !== undefined && !Token.isUnresolved(mb) && !(Number.isInteger(mb) && mb >= 128 && mb <= 10240)) {
        throw invalidProp(this.scope, prop, 'must be an integer number of MB from 128 to 10240 (Lambda)', mb);
      }
    }
    for (const prop of ['timeout', 'renderTimeout'] as const) {
      const d = p[prop];
      if (d === undefined || d.isUnresolved()) continue;
      const seconds = d.toSeconds({ integral: false });
      if (!(seconds >= 1 && seconds <= 900)) throw invalidProp(this.scope, prop, 'must be from 1 second to 15 minutes (Lambda)', d.toHumanString());
      // a poll looks, watches for up to MAX_WATCH_SECONDS and looks again, each look ≤ 20 s with retries
      if (prop === 'timeout' && seconds < MIN_POLL_TIMEOUT_SECONDS) {
        throw invalidProp(this.scope, prop, `must be at least ${MIN_POLL_TIMEOUT_SECONDS} seconds (a poll watches for up to ${MAX_WATCH_SECONDS} s between two looks)`, d.toHumanString());
      }
    }
  }
}

/**
 * CloudWatch Logs encrypts a log group with the key only if the key policy lets the regional logs
 * principal use it, for log groups of this account and region. A key from another stack or
 * account keeps its own policy (`addToResourcePolicy` cannot change it): grant it there.
 */
function allowLogsToUse(key: kms.IKey, scope: Construct): void {
  const stack = Stack.of(scope);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'HelmSfnLogGroups',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      },
    }),
  );
}
