/** `helm-sfn install` and `helm-sfn uninstall`: the workflow, run locally against $KUBECONFIG. */
import { Command } from 'commander';
import { collect, durationSeconds, hookMode, keyValue, outputFormat } from '../options';
import { runAndReport } from '../run-local';

interface ReleaseFlags {
  namespace: string;
  values: string[];
  set: string[];
  timeout: number;
  wait?: boolean;
  atomic?: boolean;
  hooks: boolean;
  hookMode: 'weight-groups' | 'sequential';
  keepHistory?: boolean;
  output: 'table' | 'json';
  kubeconfig?: string;
}

const common = (cmd: Command) =>
  cmd
    .requiredOption('-n, --namespace <ns>', 'release namespace')
    .option('--timeout <duration>', 'time to wait for each hook group and for resources (Go duration)', durationSeconds, 300)
    .option('--no-hooks', 'skip the hooks of this action')
    .option('--hook-mode <mode>', 'weight-groups or sequential', hookMode, 'weight-groups')
    .option('-o, --output <format>', 'table or json', outputFormat, 'table')
    .option('--kubeconfig <file>', 'cluster to use (default: $KUBECONFIG)');

export function register(program: Command): void {
  common(
    program
      .command('install')
      .description('install a chart as a new release, running its hooks')
      .argument('<release>', 'release name')
      .argument('<chart>', 'chart directory or .tgz'),
  )
    .option('-f, --values <file>', 'values file (repeatable)', collect, [])
    .option('--set <key=value>', 'set a value (repeatable)', keyValue, [])
    .option('--wait', 'wait until resources are ready before post-install hooks')
    .option('--atomic', 'uninstall the release if the install fails')
    .action(async (release: string, chart: string, flags: ReleaseFlags) => {
      await runAndReport(
        {
          action: 'install',
          release,
          namespace: flags.namespace,
          chart: { source: chart },
          ...(flags.values.length ? { valuesFrom: flags.values } : {}),
          ...(flags.set.length ? { set: flags.set } : {}),
          options: { ...options(flags), wait: flags.wait ?? false, atomic: flags.atomic ?? false },
        },
        flags,
      );
    });

  common(program.command('uninstall').description('uninstall a release, running its delete hooks').argument('<release>', 'release name'))
    .option('--keep-history', 'keep the release records (status uninstalled)')
    .action(async (release: string, flags: ReleaseFlags) => {
      const options_ = { ...options(flags), keepHistory: flags.keepHistory ?? false };
      await runAndReport({ action: 'uninstall', release, namespace: flags.namespace, options: options_ }, flags);
    });
}

const options = (flags: ReleaseFlags) => ({ timeoutSeconds: flags.timeout, noHooks: !flags.hooks, hookMode: flags.hookMode });
