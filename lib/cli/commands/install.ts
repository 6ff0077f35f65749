/** `helm-sfn install` and `helm-sfn uninstall`: the workflow, run locally against $KUBECONFIG. */
import { Command } from 'commander';
import { chartCredentials, chartInput, withChartFlags, type ChartFlags } from '../chart-flags';
import { isRemote } from '../remote/flags';
import { applyOptions, releaseOptions, valuesInput, withApplyFlags, withReleaseFlags, withValuesFlags, type ReleaseFlags } from '../release-flags';
import { runAndReport } from '../run-execution';

export function register(program: Command): void {
  withChartFlags(
    withApplyFlags(
      withValuesFlags(
        withReleaseFlags(
          program
            .command('install')
            .description('install a chart as a new release, running its hooks')
            .argument('<release>', 'release name')
            .argument('<chart>', 'chart directory or .tgz, oci://registry/repository/chart[@sha256:…], https://…/chart.tgz, or a chart name with --repo'),
        ),
      ),
      false,
    ),
  )
    .option('--wait', 'wait until resources are ready before post-install hooks')
    .option('--atomic', 'uninstall the release if the install fails')
    .action(async (release: string, chart: string, flags: ReleaseFlags & ChartFlags) => {
      const input = { action: 'install', release, namespace: flags.namespace, chart: chartInput(chart, flags), ...valuesInput(flags), options: { ...releaseOptions(flags), ...applyOptions(flags) } };
      await runAndReport(input, { ...flags, chartCredentials: chartCredentials(flags, isRemote(flags)) });
    });

  withReleaseFlags(program.command('uninstall').description('uninstall a release, running its delete hooks').argument('<release>', 'release name'))
    .option('--keep-history', 'keep the release records (status uninstalled)')
    .action(async (release: string, flags: ReleaseFlags & { keepHistory?: boolean }) => {
      const options = { ...releaseOptions(flags), keepHistory: flags.keepHistory ?? false };
      await runAndReport({ action: 'uninstall', release, namespace: flags.namespace, options }, flags);
    });
}
