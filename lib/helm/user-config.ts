/**
 * The user's own helm configuration, which local runs read (their helm processes run with an
 * isolated HOME, which would hide it): the registry logins of `helm registry login` and the
 * repositories of `helm repo add`. Paths as helm v4.1.4 `pkg/cli/environment.go` and
 * `pkg/helmpath` find them.
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { ErrorName, HelmSfnError } from '../core/errors';
import { isPlainObject } from '../core/objects';

/** A repository `helm repo add` registered (helm v4.1.4 `pkg/repo/v1/chartrepo.go` Entry). */
export interface HelmRepository {
  readonly name: string;
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

/** $HELM_CONFIG_HOME, else $XDG_CONFIG_HOME/helm, else the platform's config directory. */
function configHome(env: NodeJS.ProcessEnv): string {
  if (env.HELM_CONFIG_HOME) return env.HELM_CONFIG_HOME;
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, 'helm');
  const home = env.HOME ?? '';
  return process.platform === 'darwin' ? path.join(home, 'Library', 'Preferences', 'helm') : path.join(home, '.config', 'helm');
}

/** `helm registry login`'s file ($HELM_REGISTRY_CONFIG, else `registry/config.json`), if there is one. */
export function userRegistryConfig(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env.HELM_REGISTRY_CONFIG || path.join(configHome(env), 'registry', 'config.json');
  return existsSync(file) ? file : undefined;
}

/** `helm repo add`'s file: $HELM_REPOSITORY_CONFIG, else `repositories.yaml`. */
export function userRepositoriesFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.HELM_REPOSITORY_CONFIG || path.join(configHome(env), 'repositories.yaml');
}

/** The repositories of that file (none when it does not exist); a file helm could not read is an error naming it. */
export function userRepositories(file = userRepositoriesFile()): HelmRepository[] {
  if (!existsSync(file)) return [];
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new HelmSfnError(ErrorName.InvalidInput, `${file}: not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const entries = isPlainObject(parsed) ? (parsed.repositories ?? []) : parsed === null ? [] : undefined;
  if (!Array.isArray(entries)) throw new HelmSfnError(ErrorName.InvalidInput, `${file}: repositories must be a list`);
  return entries.map((entry: unknown, i): HelmRepository => {
    const field = (key: string) => (isPlainObject(entry) && typeof entry[key] === 'string' && entry[key] !== '' ? (entry[key] as string) : undefined);
    const name = field('name');
    const url = field('url');
    if (!name || !url) throw new HelmSfnError(ErrorName.InvalidInput, `${file}: repositories[${i}] needs a name and a url`);
    const insecure = isPlainObject(entry) && entry.insecure_skip_tls_verify === true;
    return {
      name,
      url,
      ...(field('username') ? { username: field('username') } : {}),
      ...(field('password') ? { password: field('password') } : {}),
      ...(field('caFile') ? { caFile: field('caFile') } : {}),
      ...(field('certFile') ? { certFile: field('certFile') } : {}),
      ...(field('keyFile') ? { keyFile: field('keyFile') } : {}),
      ...(insecure ? { insecureSkipTlsVerify: true } : {}),
    };
  });
}
