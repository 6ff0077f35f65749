/** Flags the release commands share, and how they become the execution input. */
import { InvalidArgumentError, type Command } from 'commander';
import { collect, hookMode, keyValue, timeoutOption } from './options';
import { namespaceOf, withKubeFlags, type KubeFlags } from './kube-target';
import { outputOption, type OutputFormat } from './output';
import { isRemote, withRemoteFlags, type RemoteFlags } from './remote/flags';

export interface ReleaseFlags extends RemoteFlags, KubeFlags {
  timeout: number;
  output: OutputFormat;
  historyFile?: string;
  /** commander's --no-hooks: false when given, undefined where the command has no such flag */
  hooks?: boolean;
  hookMode: 'weight-groups' | 'sequential';
  values?: string[];
  set?: string[];
  helmBinary?: string;
  createNamespace?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  atomic?: boolean;
  historyMax?: number;
  serverSide?: boolean | 'auto';
  forceConflicts?: boolean;
  forceReplace?: boolean;
  takeOwnership?: boolean;
}

/**
 * What every release command takes: the cluster and namespace (or a deployed orchestrator),
 * `--timeout`, `-o`, and the hook mode (hooks run in every action, tests included).
 * `uploads`: the command sends a local chart or values files (install, upgrade).
 */
export const withReleaseFlags = (cmd: Command, opts: { uploads: boolean }): Command =>
  withRemoteFlags(withKubeFlags(cmd), opts)
    .addOption(timeoutOption())
    .option('--hook-mode <mode>', 'weight-groups (hooks of equal weight run together) or sequential (one at a time, as helm runs them)', hookMode, 'weight-groups')
    .addOption(outputOption())
    .option('--history-file <file>', "write the execution's event history here, as GetExecutionHistory returns it (for debugging)");

/** Helm's --no-hooks: install, upgrade, rollback and uninstall (helm test has none: its tests are hooks). */
export const withNoHooks = (cmd: Command): Command => cmd.option('--no-hooks', 'prevent hooks from running during this action');

/** What only install and upgrade take: the chart's values, the helm that renders it, the namespace, a dry run. */
export const withChartFlags = (cmd: Command): Command =>
  cmd
    .option('-f, --values <file>', 'values file (repeatable)', collect, [])
    .option('--set <key=value>', 'set a value (repeatable; never stored in the execution input)', keyValue, [])
    .option('--create-namespace', 'create the release namespace if not present')
    .option('--dry-run', 'render with helm against the cluster and have the API server dry-run every object; prints the release, stores nothing, runs no hook')
    .option('--helm-binary <path>', 'helm ≥ 3.13 to render and package with (default: $HELM_BIN, else the bundled helm 4 on linux-amd64, else helm on PATH)');

/**
 * Helm 4's apply flags. `--server-side` takes true|false (install, default true) or also auto
 * (upgrade and rollback, default auto: the method the last revision used).
 */
export const withApplyFlags = (cmd: Command, auto: boolean): Command =>
  cmd
    .option(
      '--server-side [mode]',
      auto ? 'server-side apply: true, false or auto (default: auto, the method the last revision used)' : 'server-side apply: true or false (default: true)',
      (v: string) => {
        if (v === 'true' || v === 'false') return v === 'true';
        if (auto && v === 'auto') return 'auto';
        throw new InvalidArgumentError(`must be true${auto ? ', false or auto' : ' or false'}`);
      },
    )
    .option('--force-conflicts', 'server-side apply takes over fields other managers own')
    .option('--force-replace', 'replace objects (PUT) instead of patching them')
    .option('--take-ownership', 'adopt existing objects no release, or another release, owns');

/** The release namespace: `-n`, else (locally) the kube context's, else "default". */
export const releaseNamespace = (flags: ReleaseFlags): string => (isRemote(flags) ? (flags.namespace ?? 'default') : namespaceOf(flags));

export function releaseOptions(flags: ReleaseFlags): Record<string, unknown> {
  return {
    timeoutSeconds: flags.timeout,
    noHooks: flags.hooks === false,
    hookMode: flags.hookMode,
    ...(flags.wait !== undefined ? { wait: flags.wait } : {}),
    ...(flags.atomic !== undefined ? { atomic: flags.atomic } : {}),
    ...(flags.historyMax !== undefined ? { historyMax: flags.historyMax } : {}),
    ...(flags.createNamespace ? { createNamespace: true } : {}),
    // a bare --server-side is true, as in helm
    ...(flags.serverSide !== undefined ? { serverSide: flags.serverSide } : {}),
    ...(flags.forceConflicts ? { forceConflicts: true } : {}),
    ...(flags.forceReplace ? { forceReplace: true } : {}),
    ...(flags.takeOwnership ? { takeOwnership: true } : {}),
  };
}

export function valuesInput(flags: ReleaseFlags): Record<string, unknown> {
  return { ...(flags.values?.length ? { valuesFrom: flags.values } : {}), ...(flags.set?.length ? { set: flags.set } : {}) };
}

/** A whole number (revisions, --history-max). */
export function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}
