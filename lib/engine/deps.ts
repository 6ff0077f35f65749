/**
 * What every task needs from the outside world, passed in as one bag (Helm's `Configuration`
 * idea): Lambdas and the local runner build it; tests give it a simulated cluster and a clock.
 */
import type { ChartSpec, FetchedChart } from '../core/chart-source';
import type { HelmRelease } from '../core/release-record';
import type { KubeClient } from '../kube/client';

export interface RenderRequest {
  readonly release: string;
  readonly namespace: string;
  /** A local chart directory or .tgz (see `fetch`). */
  readonly chartPath: string;
  /** Inline values (the input's `values`), merged after `valuesFiles`. */
  readonly values?: Record<string, unknown>;
  readonly valuesFiles?: string[];
  readonly set?: string[];
  /** upgrade: the records Helm's upgrade reads (the last revision and the last deployed one). */
  readonly history?: readonly HelmRelease[];
  readonly reuseValues?: boolean;
  readonly resetValues?: boolean;
  /** Helm 4 `--server-side`: the apply method the new record states. */
  readonly serverSide?: boolean | 'auto';
}

/** What Helm would store for a new revision, rendered against the target cluster. */
export interface RenderedRelease {
  readonly release: HelmRelease;
  /** What helm reported while rendering that the user should see (documents it dropped). */
  readonly warnings: string[];
}

export interface Renderer {
  /** The release `helm install|upgrade` would create: chart, config, manifest, hooks, notes, apply method. */
  render(req: RenderRequest): Promise<RenderedRelease>;
  /** install: the chart's crds/ documents, applied before rendering (Helm's installCRDs). */
  crds(req: Pick<RenderRequest, 'release' | 'namespace' | 'chartPath' | 'values' | 'valuesFiles' | 'set'>): Promise<string>;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A release's status moved (published as the `Helm Release Status Change` event in AWS). */
export interface StatusChange {
  readonly release: string;
  readonly namespace: string;
  readonly revision: number;
  readonly status: string;
  readonly description: string;
  readonly cluster?: string;
}

export interface InputPolicy {
  /** Poll intervals for inputs that set none. */
  readonly pollSeconds?: { readonly min?: number; readonly max?: number; readonly watch?: number };
  /** The registry key of the input's cluster (the default one when it names none); InvalidInput for an unknown key. */
  readonly resolveCluster?: (key: string | undefined) => string;
}

export interface EngineDeps {
  readonly kube: KubeClient;
  readonly renderer: Renderer;
  /** Turn a chart or values source (local path, s3://…) into a local file path. */
  readonly fetch: (source: string) => Promise<string>;
  /**
   * The input's chart on local disk, pinned when it came from a registry, repository or
   * https:// URL (ChartNotFound / ChartFetchFailed otherwise). Default: `fetch` of its source.
   */
  readonly fetchChart?: (chart: ChartSpec) => Promise<FetchedChart>;
  /** Accept local paths as chart and values sources (the CLI and tests; never in Lambda). */
  readonly localSources?: boolean;
  readonly clock: () => Date;
  readonly logger: Logger;
  /** What the deployment adds to the first task's checks (the Lambdas set it; local runs need none). */
  readonly inputPolicy?: InputPolicy;
  /** Told of every status a release record takes; failures are logged, never fatal. */
  readonly notify?: (change: StatusChange) => Promise<void>;
  /**
   * Local runs: a token naming the process that runs the execution (lib/local/liveness.ts), left
   * on the records it writes so `unlock` can tell whether their owner is still alive.
   */
  readonly liveness?: string;
  /** Pause between checks inside one task (waiting for a deletion); tests may shorten it. */
  readonly sleep: (ms: number) => Promise<void>;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
