/**
 * What every task needs from the outside world, passed in as one bag (Helm's `Configuration`
 * idea): Lambdas and the local runner build it; tests give it a simulated cluster and a clock.
 */
import type { HelmChart } from '../core/release';
import type { KubeClient } from '../kube/client';

export interface RenderRequest {
  readonly release: string;
  readonly namespace: string;
  /** A local chart directory or .tgz (see `fetch`). */
  readonly chartPath: string;
  /** Values merged first: an upgrade's reused values (`--reuse-values`). */
  readonly baseValues?: Record<string, unknown>;
  /** Inline values (the input's `values`), merged after `valuesFiles`. */
  readonly values?: Record<string, unknown>;
  readonly valuesFiles?: string[];
  readonly set?: string[];
  readonly isUpgrade?: boolean;
  /** Also print the chart's crds/ documents (install only: Helm never upgrades CRDs). */
  readonly includeCrds?: boolean;
  readonly kubeVersion?: string;
}

export interface RenderedChart {
  /** `helm template` output: regular resources and hooks. */
  readonly manifest: string;
  /** The chart as Helm stores it in a release record (metadata, templates, values, …). */
  readonly chart: HelmChart;
  /** The user-supplied values, merged, as Helm stores them in the record's `config`. */
  readonly config: Record<string, unknown>;
  /** What helm reported while rendering that the user should see (documents it dropped). */
  readonly warnings?: string[];
}

export interface Renderer {
  render(req: RenderRequest): Promise<RenderedChart>;
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
  readonly pollSeconds?: { readonly min?: number; readonly max?: number };
  /** The registry key of the input's cluster (the default one when it names none); InvalidInput for an unknown key. */
  readonly resolveCluster?: (key: string | undefined) => string;
}

export interface EngineDeps {
  readonly kube: KubeClient;
  readonly renderer: Renderer;
  /** Turn a chart or values source (local path, s3://…) into a local file path. */
  readonly fetch: (source: string) => Promise<string>;
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
