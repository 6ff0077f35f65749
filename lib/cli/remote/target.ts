/**
 * Where a remote run goes: the state machine's ARN (a flag, or `cdk deploy --outputs-file`) and
 * the chart bucket (a flag, the outputs, or the state machine's `helm-sfn:chart-bucket` tag).
 */
import { readFileSync } from 'fs';
import { ListTagsForResourceCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { CHART_BUCKET_TAG } from '../../core/runtime-contract';
import { ErrorName, HelmSfnError } from '../../core/errors';
import type { RemoteFlags } from './flags';

export interface RemoteTarget {
  readonly stateMachineArn: string;
  readonly region: string;
  /** Absent until a local chart or values file needs it. */
  readonly chartBucket?: string;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[\w-]{1,80}$/;

/** What the flags and the outputs file say, before asking AWS. */
export function targetFromFlags(flags: RemoteFlags): RemoteTarget {
  const outputs = flags.stackOutputs ? stackOutputs(flags.stackOutputs) : {};
  const stateMachineArn = flags.stateMachine ?? outputs.StateMachineArn;
  if (!stateMachineArn) throw invalid('--stack-outputs', `${flags.stackOutputs} has no StateMachineArn output (is it the outputs file of the helm-sfn stack?)`);
  const region = STATE_MACHINE_ARN.exec(stateMachineArn)?.[1];
  if (!region) throw invalid(flags.stateMachine ? '--state-machine' : '--stack-outputs', `must be a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>); got ${JSON.stringify(stateMachineArn)}`);
  const chartBucket = flags.chartBucket ?? outputs.ChartBucketName;
  return { stateMachineArn, region, ...(chartBucket ? { chartBucket } : {}) };
}

/** The chart bucket of a target, asking the state machine's tags when no flag or output named it. */
export async function chartBucketOf(target: RemoteTarget, sfn: SFNClient): Promise<string> {
  if (target.chartBucket) return target.chartBucket;
  const { tags } = await sfn.send(new ListTagsForResourceCommand({ resourceArn: target.stateMachineArn }));
  const bucket = tags?.find((t) => t.key === CHART_BUCKET_TAG)?.value;
  if (!bucket) throw invalid('--chart-bucket', `needed for local charts and values files: the state machine has no ${CHART_BUCKET_TAG} tag`);
  return bucket;
}

/** `cdk deploy --outputs-file`: `{ <stack>: { <output>: value } }`; the stack with a StateMachineArn wins. */
function stackOutputs(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw invalid('--stack-outputs', `cannot read ${file}: ${(e as Error).message}`);
  }
  const stacks = Object.values(typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, string>[];
  return stacks.find((outputs) => typeof outputs?.StateMachineArn === 'string') ?? {};
}

const invalid = (flag: string, rule: string) => new HelmSfnError(ErrorName.InvalidInput, `${flag}: ${rule}`);
