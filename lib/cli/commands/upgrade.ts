/** `helm-sfn upgrade`: a release to a new chart or values, its hooks run by the workflow. */
import type { Command } from 'commander';
import { chartSource, withChartSourceFlags, type ChartSourceFlags } from '../chart-source-flags';
import { runOrDryRun } from '../dry-run';
import { isRemote } from '../remote/flags';
import { count, releaseNamespace, releaseOptions, valuesInput, withApplyFlags, withChartFlags, withNoHooks, withReleaseFlags, type ReleaseFlags } from '../release-flags';

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
      const { chart, flags, credentials } = chartSource(argument, given, isRemote(given));
      const options = { ...releaseOptions(flags), installIfMissing: flags.install ?? false, reuseValues: flags.reuseValues ?? false, resetValues: flags.resetValues ?? false };
      const input = { action: 'upgrade', release, namespace: releaseNamespace(flags), ...(chart ? { chart } : {}), ...valuesInput(flags), options };
      await runOrDryRun(input, { ...flags, chartCredentials: credentials });
    });
}
