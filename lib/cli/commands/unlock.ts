/**
 * `helm-sfn unlock`: free a release left locked by an execution that ended (helm has no such
 * command: its lock is the process itself).
 */
import type { Command } from 'commander';
import { unlockRelease, type OwnerState } from '../../engine/recover';
import type { LockHolder } from '../../engine/release-store';
import { livenessState } from '../../local/liveness';
import { EXECUTION_ARN_PREFIX, localDeps } from '../../local/run-locally';
import { namespaceOf, withKubeFlags, type KubeFlags } from '../kube-target';
import { outputOption, printOutput, type OutputFormat } from '../output';

interface UnlockFlags extends KubeFlags {
  output: OutputFormat;
  force?: boolean;
  steal?: boolean;
}

export function register(program: Command): void {
  withKubeFlags(
    program
      .command('unlock')
      .description('free a release left locked (pending-*, or claimed by a test) by an execution that ended, so it can move again')
      .argument('<release>', 'release name'),
  )
    .option('--force', "unlock when the owner's state cannot be checked (a local run on another host, no AWS credentials); never a live owner")
    .option('--steal', 'unlock even while the owning execution runs (it is not stopped: its next writes may clash)')
    .addOption(outputOption())
    .action(async (release: string, flags: UnlockFlags) => {
      const deps = localDeps({ kubeconfigPath: flags.kubeconfig, kubeContext: flags.kubeContext });
      const ownerState = async (holder: LockHolder): Promise<OwnerState> => {
        const state = await executionState(holder);
        return state === 'unknown' && flags.force ? 'ended' : state;
      };
      const result = await unlockRelease({ release, namespace: namespaceOf(flags) }, ownerState, deps, { steal: flags.steal });
      const freed = result.claim ? `the claim on revision ${result.revision} (${result.previousStatus}) is released` : `revision ${result.revision} was ${result.previousStatus}; it is now failed`;
      const running = result.stillRunning.length ? `; hooks still running, left alone: ${result.stillRunning.join(', ')}` : '';
      printOutput(flags.output, result, () => `${release}: ${freed} and the release can move again${running}\n`);
    });
}

/**
 * Whether a lock's owner still runs. An AWS execution: DescribeExecution (with the caller's
 * credentials). A local execution runs inside a helm-sfn process: the record names it (host,
 * pid, start time), and on the same host that process can be looked at.
 */
async function executionState(holder: LockHolder): Promise<OwnerState> {
  const arn = holder.execution ?? '';
  if (arn.startsWith(EXECUTION_ARN_PREFIX)) return livenessState(holder.liveness);
  try {
    const region = arn.split(':')[3];
    // the AWS SDK loads only when a remote execution is asked about (test/cli/startup.test.ts)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DescribeExecutionCommand, SFNClient } = require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn');
    const { status } = await new SFNClient({ region }).send(new DescribeExecutionCommand({ executionArn: arn }));
    return status === 'RUNNING' || status === 'PENDING_REDRIVE' ? 'running' : 'ended';
  } catch {
    return 'unknown';
  }
}
