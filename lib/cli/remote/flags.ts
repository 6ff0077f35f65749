/**
 * Remote mode: every release command runs on a deployed HelmReleaseOrchestrator instead of
 * locally when it is given the state machine (or the stack outputs that name it).
 */
import type { Command } from 'commander';
import { ErrorName, HelmSfnError } from '../../core/errors';

export interface RemoteFlags {
  /** ARN of the HelmRelease state machine. */
  readonly stateMachine?: string;
  /** `npx cdk deploy --outputs-file <file>`: the state machine and chart bucket are read from it. */
  readonly stackOutputs?: string;
  /** The chart bucket; default: the stack outputs, then the state machine's `helm-sfn:chart-bucket` tag. */
  readonly chartBucket?: string;
  /** Registry key of the target cluster (the input's `cluster`). */
  readonly cluster?: string;
  /** The execution's name; default: `<release>-<action>-<time>`. */
  readonly executionName?: string;
}

/** `uploads`: the command sends local charts or values files (install, upgrade), so it takes `--chart-bucket`. */
export function withRemoteFlags(cmd: Command, opts: { uploads: boolean }): Command {
  cmd
    .option('--state-machine <arn>', 'run on this deployed HelmRelease state machine instead of locally (Ctrl-C then stops the execution and frees its lock, as helm cancels its release; twice: quit at once)')
    .option('--stack-outputs <file>', 'run on the stack in this `cdk deploy --outputs-file` file instead of locally');
  if (opts.uploads) cmd.option('--chart-bucket <name>', 'bucket for local charts and values files (default: from the stack outputs or the state machine)');
  return cmd
    .option('--cluster <key>', "target cluster: a key of the orchestrator's cluster registry (remote only; -n then defaults to \"default\")")
    .option('--execution-name <name>', 'name of the execution (default: <release>-<action>-<time>)');
}

export const isRemote = (flags: RemoteFlags): boolean => flags.stateMachine !== undefined || flags.stackOutputs !== undefined;

/** Flags of one mode given in the other are mistakes, not silently ignored. */
export function checkModeFlags(flags: RemoteFlags & { readonly kubeconfig?: string; readonly kubeContext?: string }): void {
  const remote = isRemote(flags);
  const misplaced = remote
    ? (flags.kubeconfig !== undefined && '--kubeconfig') || (flags.kubeContext !== undefined && '--kube-context')
    : (flags.chartBucket !== undefined && '--chart-bucket') || (flags.cluster !== undefined && '--cluster') || (flags.executionName !== undefined && '--execution-name');
  if (misplaced) {
    throw new HelmSfnError(ErrorName.InvalidInput, `${misplaced}: ${remote ? 'only for local runs (the orchestrator reaches its registered clusters)' : 'only with --state-machine or --stack-outputs'}`);
  }
}
