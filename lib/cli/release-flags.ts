/** Flags every release command shares, and how they become the execution input's options. */
import type { Command } from 'commander';
import { collect, hookMode, keyValue, outputFormat, timeoutSeconds } from './options';
import { withRemoteFlags, type RemoteFlags } from './remote/flags';

export interface ReleaseFlags extends RemoteFlags {
  namespace: string;
  values?: string[];
  set?: string[];
  timeout: number;
  wait?: boolean;
  atomic?: boolean;
  hooks: boolean;
  hookMode: 'weight-groups' | 'sequential';
  historyMax?: number;
  output: 'table' | 'json';
  kubeconfig?: string;
  historyFile?: string;
}

export const withReleaseFlags = (cmd: Command): Command =>
  withRemoteFlags(cmd)
    .requiredOption('-n, --namespace <ns>', 'release namespace')
    .option('--timeout <duration>', 'time to wait for each hook group and for resources (Go duration: 90s, 5m, 48h, 1500ms)', timeoutSeconds, 300)
    .option('--no-hooks', 'skip the hooks of this action')
    .option('--hook-mode <mode>', 'weight-groups or sequential', hookMode, 'weight-groups')
    .option('-o, --output <format>', 'table or json', outputFormat, 'table')
    .option('--kubeconfig <file>', 'cluster to use (default: $KUBECONFIG)')
    .option('--history-file <file>', "write the execution's event history here, as GetExecutionHistory returns it (for debugging)");

/** -f/--set: the values of install and upgrade. */
export const withValuesFlags = (cmd: Command): Command =>
  cmd.option('-f, --values <file>', 'values file (repeatable)', collect, []).option('--set <key=value>', 'set a value (repeatable)', keyValue, []);

export function releaseOptions(flags: ReleaseFlags): Record<string, unknown> {
  return {
    timeoutSeconds: flags.timeout,
    noHooks: !flags.hooks,
    hookMode: flags.hookMode,
    ...(flags.wait !== undefined ? { wait: flags.wait } : {}),
    ...(flags.atomic !== undefined ? { atomic: flags.atomic } : {}),
    ...(flags.historyMax !== undefined ? { historyMax: flags.historyMax } : {}),
  };
}

export function valuesInput(flags: ReleaseFlags): Record<string, unknown> {
  return { ...(flags.values?.length ? { valuesFrom: flags.values } : {}), ...(flags.set?.length ? { set: flags.set } : {}) };
}
