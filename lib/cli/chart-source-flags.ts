/**
 * helm's chart-source flags for install and upgrade (helm v4.1.4 `pkg/cmd/flags.go`
 * addChartPathOptionsFlags): where the chart comes from, and how to reach it. Credentials given
 * here are for a local run only: they reach helm, never the execution input; a deployed
 * orchestrator reads them from Secrets Manager (`--credentials-secret`).
 */
import { existsSync, readFileSync } from 'fs';
import type { Command } from 'commander';
import { ErrorName, HelmSfnError } from '../core/errors';
import type { RegistryCredentials } from '../helm/chart-pull';
import { userRepositories, userRepositoriesFile, type HelmRepository } from '../helm/user-config';

export interface ChartSourceFlags {
  version?: string;
  repo?: string;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  plainHttp?: boolean;
  caFile?: string;
  insecureSkipTlsVerify?: boolean;
  credentialsSecret?: string;
}

export const withChartSourceFlags = (cmd: Command): Command =>
  cmd
    .option('--version <constraint>', 'chart version or constraint ("1.2.3", "^1.2"); the highest matching version is used, as helm does')
    .option('--repo <url>', 'chart repository URL; <chart> is then the chart name in it')
    .option('--username <name>', 'registry or repository username (local runs)')
    .option('--password <password>', 'registry or repository password (local runs)')
    .option('--password-stdin', 'read the registry or repository password from stdin (local runs)')
    .option('--plain-http', 'reach the registry or repository over plain HTTP')
    .option('--ca-file <file>', 'verify the server certificate with this CA bundle')
    .option('--insecure-skip-tls-verify', "skip the server certificate's verification")
    .option('--credentials-secret <arn>', 'deployed orchestrator: Secrets Manager secret with the registry or repository credentials');

/** What a `<chart>` argument and the flags say, once a `<repository>/<chart>` is resolved. */
export interface ChartArgument<F extends ChartSourceFlags> {
  readonly chart: string;
  readonly flags: F;
}

/** Install's and upgrade's chart: the input's `chart` (none without an argument), the resolved flags, a local run's credentials. */
export interface ChartSource<F extends ChartSourceFlags> {
  readonly chart?: Record<string, unknown>;
  readonly flags: F;
  readonly credentials?: RegistryCredentials;
}

export function chartSource<F extends ChartSourceFlags>(argument: string | undefined, given: F, remote: boolean): ChartSource<F> {
  if (argument === undefined) return { flags: given, credentials: chartCredentials(given, remote) };
  const { chart, flags } = resolveChartArgument(argument, given, remote);
  return { chart: chartInput(chart, flags), flags, credentials: chartCredentials(flags, remote) };
}

/**
 * helm's `<repository>/<chart>` (helm v4.1.4 `pkg/action/install.go` LocateChart): an argument
 * that is no path on disk, whose first segment names a repository of the user's repositories
 * file (`helm repo add`), is that repository's chart — what `--repo <url> <chart>` with the
 * entry's TLS settings and credentials says. Credentials reach local runs only; a deployed
 * orchestrator needs `--credentials-secret`.
 */
export function resolveChartArgument<F extends ChartSourceFlags>(chart: string, flags: F, remote: boolean, file = userRepositoriesFile()): ChartArgument<F> {
  const named = /^([^/.:][^/:]*)\/([^/]+)$/.exec(chart);
  if (flags.repo !== undefined || !named || existsSync(chart)) return { chart, flags };
  const [, repositoryName, chartName] = named;
  const repository = userRepositories(file).find((r) => r.name === repositoryName);
  if (!repository) {
    throw new HelmSfnError(ErrorName.InvalidInput, `${chart}: no chart directory or archive there, and no repository "${repositoryName}" in ${file} (helm repo add ${repositoryName} <url>)`);
  }
  return { chart: chartName, flags: { ...flags, ...repositoryFlags(repository, flags, remote, file) } };
}

function repositoryFlags(repository: HelmRepository, flags: ChartSourceFlags, remote: boolean, file: string): ChartSourceFlags {
  const where = `repository "${repository.name}" (${file})`;
  if (repository.certFile || repository.keyFile) throw new HelmSfnError(ErrorName.InvalidInput, `${where}: client certificates (certFile, keyFile) are not supported`);
  const flagged = flags.username !== undefined || flags.password !== undefined || flags.passwordStdin;
  const stored = repository.password !== undefined && !flagged;
  if (stored && remote && !flags.credentialsSecret) {
    throw new HelmSfnError(ErrorName.InvalidInput, `${where} has credentials: a deployed orchestrator reads them from Secrets Manager; give --credentials-secret <arn>`);
  }
  return {
    repo: repository.url,
    ...(flags.caFile === undefined && repository.caFile ? { caFile: repository.caFile } : {}),
    ...(repository.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    ...(stored && !remote ? { username: repository.username, password: repository.password } : {}),
  };
}

/**
 * The input's `chart` for a `<chart>` argument and the flags: `--repo` makes it a repository
 * chart; `oci://…@sha256:…` pins a digest (as helm accepts it).
 */
export function chartInput(chart: string, flags: ChartSourceFlags): Record<string, unknown> {
  const digest = /^(oci:\/\/.+)@(sha256:[a-f0-9]{64})$/.exec(chart);
  // helm reaches an http:// repository without --plain-http; the input states it
  const plainHttp = flags.plainHttp || flags.repo?.startsWith('http://');
  return {
    ...(flags.repo ? { repo: flags.repo, name: chart } : digest ? { source: digest[1], digest: digest[2] } : { source: chart }),
    ...(flags.version !== undefined ? { version: flags.version } : {}),
    ...(plainHttp ? { plainHttp: true } : {}),
    ...(flags.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    ...(flags.caFile ? { caBundle: flags.caFile } : {}),
    ...(flags.credentialsSecret ? { credentialsSecretArn: flags.credentialsSecret } : {}),
  };
}

/** The --username/--password(-stdin) credentials of a local run; a remote run refuses them (they would travel). */
export function chartCredentials(flags: ChartSourceFlags, remote: boolean, stdin: () => string = () => readFileSync(0, 'utf8')): RegistryCredentials | undefined {
  const given = flags.username !== undefined || flags.password !== undefined || flags.passwordStdin;
  if (!given) return undefined;
  if (remote) throw new HelmSfnError(ErrorName.InvalidInput, '--username/--password: a deployed orchestrator reads registry credentials from Secrets Manager; give --credentials-secret <arn> (or ECR, which needs none)');
  if (flags.password !== undefined && flags.passwordStdin) throw new HelmSfnError(ErrorName.InvalidInput, '--password and --password-stdin: give one');
  if (flags.username === undefined) throw new HelmSfnError(ErrorName.InvalidInput, '--username: missing; required with --password or --password-stdin');
  const password = flags.passwordStdin ? stdin().replace(/\r?\n$/, '') : flags.password;
  if (!password) throw new HelmSfnError(ErrorName.InvalidInput, '--password: missing; required with --username (or --password-stdin)');
  return { username: flags.username, password };
}
