/** Flags every release command shares, and how they become the execution input's options. */
import { InvalidArgumentError, type Command } from 'commander';
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
  serverSide?: boolean | 'auto';
  forceConflicts?: boolean;
  forceReplace?: boolean;
  takeOwnership?: boolean;
}

/**
 * Helm 4's apply flags. `--server-side` takes true|false (install, default true) or also auto
 * (upgrade and rollback, default auto: the method the last revision used).
 */
export const withApplyFlags = (cmd: Command, auto: boolean): Command =>
  cmd
    .option(
      '--server-side [mode]',
      auto ? 'server-side apply: true, false or auto (default: auto, the method the last revision used)' : 'server-side apply: true or false (default true)',
      (v: string) => {
        if (v === 'true' || v === 'false') return v === 'true';
        if (auto && v === 'auto') return 'auto';
        throw new InvalidArgumentError(`must be true${auto ? ', false or auto' : ' or false'}`);
      },
    )
    .option('--force-conflicts', 'server-side apply takes over fields other managers own')
    .option('--force-replace', 'replace objects (PUT) instead of patching them')
    .option('--take-ownership', 'adopt existing objects no release, or another release, owns');

export function applyOptions(flags: ReleaseFlags): Record<string, unknown> {
  return {
    // a bare --server-side is true, as in helm
    ...(flags.serverSide !== undefined ? { serverSide: flags.serverSide } : {}),
    ...(flags.forceConflicts ? { forceConflicts: true } : {}),
    ...(flags.forceReplace ? { forceReplace: true } : {}),
    ...(flags.takeOwnership ? { takeOwnership: true } : {}),
  };
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
