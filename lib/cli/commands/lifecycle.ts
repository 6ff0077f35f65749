/** `helm-sfn upgrade`, `rollback` and `test`: the workflow, run locally against $KUBECONFIG. */
import { Command, InvalidArgumentError } from 'commander';
import { chartCredentials, chartInput, withChartFlags, type ChartFlags } from '../chart-flags';
import { isRemote } from '../remote/flags';
import { applyOptions, releaseOptions, valuesInput, withApplyFlags, withReleaseFlags, withValuesFlags, type ReleaseFlags } from '../release-flags';
import { runAndReport } from '../run-execution';

interface UpgradeFlags extends ReleaseFlags, ChartFlags {
  install?: boolean;
  reuseValues?: boolean;
  resetValues?: boolean;
}

export function register(program: Command): void {
  withChartFlags(
    withApplyFlags(
      withValuesFlags(
        withReleaseFlags(
          program
            .command('upgrade')
            .description('upgrade a release to a new chart or values, running its hooks')
            .argument('<release>')
            .argument('[chart]', 'as for install; omitted with --reuse-values: the chart the current revision pinned (registry and repository charts)'),
        ),
      ),
      true,
    ),
  )
    .option('-i, --install', 'install the release if it does not exist')
    .option('--reuse-values', "merge this upgrade's values over the last release's")
    .option('--reset-values', "use only the chart's values and this upgrade's")
    .option('--wait', 'wait until resources are ready before post-upgrade hooks')
    .option('--atomic', 'roll back to the last deployed revision if the upgrade fails')
    .option('--history-max <n>', 'revisions to keep (0 = no limit)', count, 10)
    .action(async (release: string, chart: string | undefined, flags: UpgradeFlags) => {
      const options = {
        ...releaseOptions(flags),
        ...applyOptions(flags),
        installIfMissing: flags.install ?? false,
        reuseValues: flags.reuseValues ?? false,
        resetValues: flags.resetValues ?? false,
      };
      const source = chart === undefined ? {} : { chart: chartInput(chart, flags) };
      await runAndReport({ action: 'upgrade', release, namespace: flags.namespace, ...source, ...valuesInput(flags), options }, { ...flags, chartCredentials: chartCredentials(flags, isRemote(flags)) });
    });

  withApplyFlags(
    withReleaseFlags(
      program
        .command('rollback')
        .description('roll a release back to a revision (default: the previous one), running its rollback hooks')
        .argument('<release>')
        .argument('[revision]', 'revision number', (v) => count(v)),
    ),
    true,
  )
    .option('--wait', 'wait until resources are ready before post-rollback hooks')
    .option('--history-max <n>', 'revisions to keep (0 = no limit)', count, 10)
    .action(async (release: string, revision: number | undefined, flags: ReleaseFlags) => {
      await runAndReport({ action: 'rollback', release, namespace: flags.namespace, ...(revision ? { revision } : {}), options: { ...releaseOptions(flags), ...applyOptions(flags) } }, flags);
    });

  withReleaseFlags(program.command('test').description("run a release's test hooks").argument('<release>'))
    .option('--logs', "print the test pods' logs")
    .action(async (release: string, flags: ReleaseFlags & { logs?: boolean }) => {
      await runAndReport({ action: 'test', release, namespace: flags.namespace, options: releaseOptions(flags) }, { ...flags, hookLogs: flags.logs ?? false });
    });
}

function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}
