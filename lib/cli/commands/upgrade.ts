/** `helm-sfn upgrade`: a release to a new chart or values, its hooks run by the workflow. */
import type { Command } from 'commander';
import { chartCredentials, chartInput, resolveChartArgument, withChartSourceFlags, type ChartSourceFlags } from '../chart-source-flags';
import { printDryRun } from '../dry-run';
import { isRemote } from '../remote/flags';
import { count, releaseNamespace, releaseOptions, valuesInput, withApplyFlags, withChartFlags, withNoHooks, withReleaseFlags, type ReleaseFlags } from '../release-flags';
import { runAndReport } from '../run-execution';

interface UpgradeFlags extends ReleaseFlags, ChartSourceFlags {
  install?: boolean;
  reuseValues?: boolean;
  resetValues?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('upgrade')
    .description('upgrade a release to a new chart or values, running its hooks')
    .argument('<release>', 'release name')
    .argument('[chart]', 'as for install; omitted with --reuse-values: the chart the current revision pinned (registry and repository charts)');
  withChartSourceFlags(withApplyFlags(withChartFlags(withNoHooks(withReleaseFlags(cmd, { uploads: true }))), true))
    .option('-i, --install', 'install the release if it does not exist')
    .option('--reuse-values', "merge this upgrade's values over the last release's")
    .option('--reset-values', "use only the chart's values and this upgrade's")
    .option('--wait', 'wait until resources are ready before post-upgrade hooks')
    .option('--atomic', 'roll back to the last deployed revision if the upgrade fails')
    .option('--history-max <n>', 'revisions to keep (0 = no limit)', count, 10)
    .action(async (release: string, argument: string | undefined, given: UpgradeFlags) => {
      const { chart, flags } = argument === undefined ? { chart: undefined, flags: given } : resolveChartArgument(argument, given, isRemote(given));
      const options = { ...releaseOptions(flags), installIfMissing: flags.install ?? false, reuseValues: flags.reuseValues ?? false, resetValues: flags.resetValues ?? false };
      const source = chart === undefined ? {} : { chart: chartInput(chart, flags) };
      const input = { action: 'upgrade', release, namespace: releaseNamespace(flags), ...source, ...valuesInput(flags), options };
      const run = { ...flags, chartCredentials: chartCredentials(flags, isRemote(flags)) };
      if (flags.dryRun) await printDryRun(input, run);
      else await runAndReport(input, run);
    });
}
