/** `helm-sfn install`: a chart as a new release, its hooks run by the workflow (locally, or on a deployed orchestrator). */
import type { Command } from 'commander';
import { printDryRun } from '../dry-run';
import { releaseNamespace, releaseOptions, valuesInput, withApplyFlags, withChartFlags, withNoHooks, withReleaseFlags, type ReleaseFlags } from '../release-flags';
import { runAndReport } from '../run-execution';

export function register(program: Command): void {
  const cmd = program
    .command('install')
    .description('install a chart as a new release, running its hooks')
    .argument('<release>', 'release name')
    .argument('<chart>', 'chart directory or .tgz');
  withApplyFlags(withChartFlags(withNoHooks(withReleaseFlags(cmd, { uploads: true }))), false)
    .option('--wait', 'wait until resources are ready before post-install hooks')
    .option('--atomic', 'uninstall the release if the install fails')
    .action(async (release: string, chart: string, flags: ReleaseFlags) => {
      const input = { action: 'install', release, namespace: releaseNamespace(flags), chart: { source: chart }, ...valuesInput(flags), options: releaseOptions(flags) };
      if (flags.dryRun) await printDryRun(input, flags);
      else await runAndReport(input, flags);
    });
}
