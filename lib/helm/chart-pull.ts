/**
 * Charts from OCI registries, Helm repositories and https:// URLs, fetched by the real helm
 * (`helm pull`). Why helm rather than an OCI library: helm's pull resolves a `--version`
 * constraint exactly as `helm install --version` does (the highest matching tag or index entry,
 * helm v4.1.4 `pkg/registry/client.go` GetTagMatchingVersionOrConstraint and
 * `pkg/repo/v1/index.go` Get), checks the manifest's media types (a tag that is not a chart is
 * refused), verifies a digest reference, and speaks every auth scheme helm users already rely
 * on — so a reference means here what it means to helm, and no second client has to match it.
 *
 * Pulled archives are cached by digest (per Lambda container; locally in the user's cache
 * directory): a digest-pinned source (an upgrade that keeps its pinned chart, a retried render)
 * is read from the cache without a network call.
 */
import { createHash } from 'crypto';
import { existsSync } from 'fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { ErrorName, HelmSfnError, isHelmSfnError } from '../core/errors';
import { describeChart as describe, hostOf, pinnedSpec, type ChartSpec, type FetchedChart, type PinnedChart } from '../core/chart-source';
import { chartKind } from '../core/input';
import { binaries } from './binaries';
import { helmEnv, runHelm } from './process';

/** Registry or repository credentials: basic auth, or a bearer token (OCI registries only). */
export type RegistryCredentials = { readonly username: string; readonly password: string } | { readonly token: string };

export interface ChartPullerOptions {
  /** Where archives are kept by digest (one directory per container or process). */
  readonly cacheDir: string;
  /** Reads s3:// and local sources (charts and CA bundles). */
  readonly fetchFile: (source: string) => Promise<string>;
  /** The credentials for a source's host, if any (Lambda: ECR token or the named secret; CLI: its flags). */
  readonly credentials?: (spec: ChartSpec, host: string) => Promise<RegistryCredentials | undefined>;
  /** helm's registry config (`helm registry login` writes it), used when `credentials` gives none. */
  readonly registryConfig?: string;
  readonly helmBinary?: string;
  /** Waits before the second and later pulls when the source is briefly away; default 1 s, 3 s. */
  readonly retryDelaysMs?: readonly number[];
}

const PULL_TIMEOUT_MS = 120_000;
const OUTAGE_RETRY_DELAYS_MS = [1000, 3000];
/** helm's words for a registry or repository briefly away (Go's net errors, HTTP 429 and 5xx). */
const OUTAGE = /connection refused|connection reset|i\/o timeout|TLS handshake timeout|unexpected EOF|\b(?:429|50[0-4])\b/i;
/** The name a pull's repositories file gives the chart's repository. */
const REPOSITORY_NAME = 'helm-sfn-source';
/** helm's words for "this manifest is not a chart" (an image or another artifact under the tag). */
const NOT_A_CHART = /minimum number of descriptors|unable to retrieve blob with media type|media ?type .* not (?:supported|allowed)|invalid chart/i;
/** helm's words for "there is no such chart, version or digest" (registry, repository index, http). */
const NOT_FOUND = /: not found\b|not found in .* repository|could not locate a version|no chart version found|no chart name found|manifest unknown|name unknown|404 Not Found|failed to fetch .* : 404/i;

export class ChartPuller {
  constructor(private readonly opts: ChartPullerOptions) {}

  /** The chart of `spec` on local disk; ChartNotFound / ChartFetchFailed name the reference. */
  readonly pull = async (spec: ChartSpec): Promise<FetchedChart> => {
    const kind = chartKind(spec);
    if (kind === 'local' || kind === 's3') return { path: await this.opts.fetchFile(spec.source!) };
    if (spec.digest) {
      const cached = await this.cached(spec.digest, spec);
      if (cached) return cached;
    }
    const work = await mkdtemp(path.join(tmpdir(), 'helm-sfn-pull-'));
    let credentials: RegistryCredentials | undefined;
    try {
      credentials = await this.credentialsFor(spec);
      const { stdout, stderr, out } = await this.pullRetryingOutages(spec, credentials, work);
      const archive = await onlyArchive(out);
      const bytes = await readFile(archive);
      const archiveDigest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      // oci: the manifest digest helm printed (what `helm push` printed and ECR shows); others: the archive's
      const digest = kind === 'oci' ? /^Digest: (sha256:[a-f0-9]{64})$/m.exec(`${stdout}\n${stderr}`)?.[1] : archiveDigest;
      if (!digest) throw new HelmSfnError(ErrorName.ChartFetchFailed, `${describe(spec)}: helm pull printed no digest`);
      if (spec.digest && spec.digest !== digest) {
        throw new HelmSfnError(ErrorName.ChartFetchFailed, `${describe(spec)}: digest mismatch: the archive is ${digest}, the input pins ${spec.digest}`);
      }
      const meta = chartMetadata(await this.helmShowChart(archive, work), spec);
      return await this.store(digest, archive, meta, spec);
    } catch (e) {
      throw fetchError(spec, e, credentials);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };

  private async credentialsFor(spec: ChartSpec): Promise<RegistryCredentials | undefined> {
    return this.opts.credentials?.(spec, hostOf(spec));
  }

  /**
   * `helm pull`, again after 1 s and 3 s when the registry or repository is briefly away (refused
   * or reset connections, timeouts, 429 and 5xx answers): a blip must not fail a release. Helm
   * itself tries once; a refusal (401, 403, 404) or a bad reference fails at once.
   */
  private async pullRetryingOutages(spec: ChartSpec, credentials: RegistryCredentials | undefined, work: string) {
    const delays = this.opts.retryDelaysMs ?? OUTAGE_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      // a directory per attempt: helm repo add refuses a name its file already has
      const dir = await mkdtemp(path.join(work, 'attempt-'));
      try {
        return await this.helmPull(spec, credentials, dir);
      } catch (e) {
        if (attempt >= delays.length || !OUTAGE.test(e instanceof Error ? e.message : String(e))) throw e;
        await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
      }
    }
  }

  private async helmPull(spec: ChartSpec, credentials: RegistryCredentials | undefined, work: string) {
    const out = path.join(work, 'out');
    await mkdir(out);
    const kind = chartKind(spec);
    const caFile = spec.caBundle ? await this.opts.fetchFile(spec.caBundle) : undefined;
    const args = ['pull'];
    if (kind === 'oci') args.push(spec.digest ? `${spec.source}@${spec.digest}` : spec.source!);
    else if (kind === 'repo') args.push(...(await this.repositoryChart(spec, credentials, caFile, work)));
    else args.push(spec.source!);
    if (spec.version && kind !== 'https') args.push(`--version=${spec.version}`);
    args.push(`--destination=${out}`);
    if (spec.plainHttp && kind === 'oci') args.push('--plain-http');
    if (spec.insecureSkipTlsVerify) args.push('--insecure-skip-tls-verify');
    if (caFile) args.push(`--ca-file=${caFile}`);
    if (kind === 'oci') {
      // credentials reach helm in a registry config file, never on its command line
      const config = credentials ? await writeRegistryConfig(work, hostOf(spec), credentials) : this.opts.registryConfig;
      if (config) args.push(`--registry-config=${config}`);
    } else if (kind === 'https' && credentials) {
      if (!('username' in credentials)) throw new HelmSfnError(ErrorName.ChartFetchFailed, `${describe(spec)}: a bearer token works for oci:// registries only; https:// charts take a username and password`);
      // a chart URL outside any repository index: helm takes its credentials only as flags
      args.push(`--username=${credentials.username}`, `--password=${credentials.password}`);
    }
    return { ...(await runHelm(this.helm(), args, helmEnv(path.join(work, 'home')), PULL_TIMEOUT_MS)), out };
  }

  /**
   * `helm pull`'s reference to a repository's chart. `--repo` takes credentials only as flags,
   * which every local user reads in the process list; so with credentials, `helm repo add
   * --password-stdin` writes the repository to a file of this pull's own (helm writes it 0600)
   * and fetches its index, and the chart is pulled by the repository's name.
   */
  private async repositoryChart(spec: ChartSpec, credentials: RegistryCredentials | undefined, caFile: string | undefined, work: string): Promise<string[]> {
    if (!credentials) return [spec.name!, `--repo=${spec.repo}`];
    if (!('username' in credentials)) throw new HelmSfnError(ErrorName.ChartFetchFailed, `${describe(spec)}: a bearer token works for oci:// registries only; Helm repositories take a username and password`);
    const files = [`--repository-config=${path.join(work, 'repositories.yaml')}`, `--repository-cache=${path.join(work, 'repository-cache')}`];
    const tls = [...(caFile ? [`--ca-file=${caFile}`] : []), ...(spec.insecureSkipTlsVerify ? ['--insecure-skip-tls-verify'] : [])];
    const add = ['repo', 'add', REPOSITORY_NAME, spec.repo!, `--username=${credentials.username}`, '--password-stdin', ...tls, ...files];
    await runHelm(this.helm(), add, helmEnv(path.join(work, 'home')), PULL_TIMEOUT_MS, credentials.password);
    return [`${REPOSITORY_NAME}/${spec.name}`, ...files];
  }

  private helm(): string {
    return this.opts.helmBinary ?? binaries().helm;
  }

  private async helmShowChart(archive: string, work: string): Promise<string> {
    return (await runHelm(this.helm(), ['show', 'chart', archive], helmEnv(path.join(work, 'home')))).stdout;
  }

  private entry(digest: string) {
    const dir = path.join(this.opts.cacheDir, digest.replace(':', '-'));
    return { dir, meta: path.join(dir, 'chart.json') };
  }

  private async cached(digest: string, spec: ChartSpec): Promise<FetchedChart | undefined> {
    const { meta } = this.entry(digest);
    if (!existsSync(meta)) return undefined;
    const { name, version, archive } = JSON.parse(await readFile(meta, 'utf8')) as { name: string; version: string; archive: string };
    return { path: archive, pinned: pinned(spec, name, version, digest) };
  }

  private async store(digest: string, archive: string, meta: { name: string; version: string }, spec: ChartSpec): Promise<FetchedChart> {
    const entry = this.entry(digest);
    await mkdir(entry.dir, { recursive: true });
    const target = path.join(entry.dir, `${meta.name}-${meta.version}.tgz`);
    // a copy: the cache may be on another file system than the work directory
    await copyFile(archive, target);
    await writeFile(entry.meta, JSON.stringify({ ...meta, archive: target }));
    return { path: target, pinned: pinned(spec, meta.name, meta.version, digest) };
  }
}

function pinned(spec: ChartSpec, name: string, version: string, digest: string): PinnedChart {
  return { spec: pinnedSpec(spec, version, digest), name, version, digest };
}

function chartMetadata(yaml: string, spec: ChartSpec): { name: string; version: string } {
  const meta = parseYaml(yaml) as { name?: unknown; version?: unknown } | null;
  if (typeof meta?.name !== 'string' || typeof meta.version !== 'string') throw new HelmSfnError(ErrorName.ChartFetchFailed, `${describe(spec)}: the archive holds no Chart.yaml with a name and version`);
  return { name: meta.name, version: meta.version };
}

async function onlyArchive(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.tgz'));
  if (files.length !== 1) throw new HelmSfnError(ErrorName.ChartFetchFailed, `helm pull left ${files.length} archives`);
  return path.join(dir, files[0]);
}

/** The docker-style config helm's registry client reads (`auth` = base64 user:password; `registrytoken` = a bearer token). */
async function writeRegistryConfig(dir: string, host: string, credentials: RegistryCredentials): Promise<string> {
  const file = path.join(dir, 'registry.json');
  const entry = 'token' in credentials ? { registrytoken: credentials.token } : { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
  await writeFile(file, JSON.stringify({ auths: { [host]: entry } }), { mode: 0o600 });
  return file;
}

/** helm's failure as ChartNotFound (no such chart, version or digest) or ChartFetchFailed, naming the reference. */
function fetchError(spec: ChartSpec, e: unknown, credentials: RegistryCredentials | undefined): HelmSfnError {
  const secrets = credentials ? ('token' in credentials ? [credentials.token] : [credentials.password, Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')]) : [];
  const scrub = (text: string) => secrets.filter((s) => s.length >= 4).reduce((t, s) => t.split(s).join('***'), text);
  const message = scrub(e instanceof Error ? e.message : String(e));
  if (isHelmSfnError(e) && (e.name === ErrorName.ChartFetchFailed || e.name === ErrorName.ChartNotFound)) {
    return message.startsWith(describe(spec)) ? new HelmSfnError(e.name, message) : new HelmSfnError(e.name, `${describe(spec)}: ${message}`);
  }
  const name = NOT_FOUND.test(message) ? ErrorName.ChartNotFound : ErrorName.ChartFetchFailed;
  const hint = NOT_A_CHART.test(message) ? ' (the reference is not a Helm chart)' : '';
  return new HelmSfnError(name, `${describe(spec)}: ${message}${hint}`);
}
