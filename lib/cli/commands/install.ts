/** `helm-sfn install`: a chart as a new release, its hooks run by the workflow (locally, or on a deployed orchestrator). */
import type { Command } from 'commander';
import { chartSource, withChartSourceFlags, type ChartSourceFlags } from '../chart-source-flags';
import { runOrDryRun } from '../dry-run';
import { isRemote } from '../remote/flags';
import { releaseNamespace, releaseOptions, valuesInput, withApplyFlags, withChartFlags, withNoHooks, withReleaseFlags, type ReleaseFlags } from '../release-flags';

export function register(program: Command): void {
  const cmd = program
    .command('install')
    .description('install a chart as a new release, running its hooks')
    .argument('<release>', 'release name')
    .argument('<chart>', 'chart directory or .tgz, oci://registry/repository/chart[@sha256:…], https://…/chart.tgz, repository/chart (helm repo add), or a chart name with --repo');
  withChartSourceFlags(withApplyFlags(withChartFlags(withNoHooks(withReleaseFlags(cmd, { uploads: true }))), false))
    .option('--wait', 'wait until resources are ready before post-install hooks')
    .option('--atomic', 'uninstall the release if the install fails')
    .action(async (release: string, argument: string, given: ReleaseFlags & ChartSourceFlags) => {
      const { chart, flags, credentials } = chartSource(argument, given, isRemote(given));
      const input = { action: 'install', release, namespace: releaseNamespace(flags), chart, ...valuesInput(flags), options: releaseOptions(flags) };
      await runOrDryRun(input, { ...flags, chartCredentials: credentials });
    });
}
