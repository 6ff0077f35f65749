/** `helm-sfn uninstall`: a release's resources and records removed, its delete hooks run by the workflow. */
import type { Command } from 'commander';
import { releaseNamespace, releaseOptions, withNoHooks, withReleaseFlags, type ReleaseFlags } from '../release-flags';
import { runAndReport } from '../run-execution';

export function register(program: Command): void {
  const cmd = program.command('uninstall').description('uninstall a release, running its delete hooks').argument('<release>', 'release name');
  withNoHooks(withReleaseFlags(cmd, { uploads: false }))
    .option('--keep-history', 'keep the release records (status uninstalled)')
    .action(async (release: string, flags: ReleaseFlags & { keepHistory?: boolean }) => {
      const options = { ...releaseOptions(flags), keepHistory: flags.keepHistory ?? false };
      await runAndReport({ action: 'uninstall', release, namespace: releaseNamespace(flags), options }, flags);
    });
}
