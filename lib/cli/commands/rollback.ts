/** `helm-sfn rollback`: a new revision with an older one's chart and values, its rollback hooks run by the workflow. */
import type { Command } from 'commander';
import { count, releaseNamespace, releaseOptions, withApplyFlags, withNoHooks, withReleaseFlags, type ReleaseFlags } from '../release-flags';
import { runAndReport } from '../run-execution';

export function register(program: Command): void {
  const cmd = program
    .command('rollback')
    .description('roll a release back to a revision (default: the previous one), running its rollback hooks')
    .argument('<release>', 'release name')
    .argument('[revision]', 'revision number', count);
  withApplyFlags(withNoHooks(withReleaseFlags(cmd, { uploads: false })), true)
    .option('--wait', 'wait until resources are ready before post-rollback hooks')
    .option('--history-max <n>', 'revisions to keep (0 = no limit)', count, 10)
    .action(async (release: string, revision: number | undefined, flags: ReleaseFlags) => {
      const input = { action: 'rollback', release, namespace: releaseNamespace(flags), ...(revision ? { revision } : {}), options: releaseOptions(flags) };
      await runAndReport(input, flags);
    });
}
