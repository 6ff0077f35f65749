/** `helm-sfn test`: a release's test hooks, run by the workflow. */
import type { Command } from 'commander';
import { releaseNamespace, releaseOptions, withReleaseFlags, type ReleaseFlags } from '../release-flags';
import { runAndReport } from '../run-execution';

export function register(program: Command): void {
  withReleaseFlags(program.command('test').description("run a release's test hooks").argument('<release>', 'release name'), { uploads: false })
    .option('--logs', "print the test pods' logs")
    .action(async (release: string, flags: ReleaseFlags & { logs?: boolean }) => {
      await runAndReport({ action: 'test', release, namespace: releaseNamespace(flags), options: releaseOptions(flags) }, { ...flags, hookLogs: flags.logs ?? false });
    });
}
