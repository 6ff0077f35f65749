/** `helm-sfn install` and `helm-sfn uninstall`: the workflow, run locally against $KUBECONFIG. */
import { Command } from 'commander';
import { applyOptions, releaseOptions, valuesInput, withApplyFlags, withReleaseFlags, withValuesFlags, type ReleaseFlags } from '../release-flags';
import { runAndReport } from '../run-execution';

export function register(program: Command): void {
  withApplyFlags(
    withValuesFlags(
      withReleaseFlags(
        program
          .command('install')
          .description('install a chart as a new release, running its hooks')
          .argument('<release>', 'release name')
          .argument('<chart>', 'chart directory or .tgz'),
      ),
    ),
    false,
  )
    .option('--wait', 'wait until resources are ready before post-install hooks')
    .option('--atomic', 'uninstall the release if the install fails')
    .action(async (release: string, chart: string, flags: ReleaseFlags) => {
      const input = { action: 'install', release, namespace: flags.namespace, chart: { source: chart }, ...valuesInput(flags), options: { ...releaseOptions(flags), ...applyOptions(flags) } };
      await runAndReport(input, flags);
    });

  withReleaseFlags(program.command('uninstall').description('uninstall a release, running its delete hooks').argument('<release>', 'release name'))
    .option('--keep-history', 'keep the release records (status uninstalled)')
    .action(async (release: string, flags: ReleaseFlags & { keepHistory?: boolean }) => {
      const options = { ...releaseOptions(flags), keepHistory: flags.keepHistory ?? false };
      await runAndReport({ action: 'uninstall', release, namespace: flags.namespace, options }, flags);
    });
}
