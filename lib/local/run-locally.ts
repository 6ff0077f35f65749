/**
 * Run a release locally: the HelmReleaseOrchestrator's state machine exactly as `cdk synth`
 * emits it, executed by aws-local-stepfunctions, every task routed to its lib/engine function
 * (by the payload's `task`, as the Lambda functions do), against the cluster of a kubeconfig.
 * Start-up matters here (every CLI command loads this module): aws-cdk-lib is never loaded by
 * the compiled CLI, and client-node and aws-local-stepfunctions only when a run needs them.
 */
import { randomUUID } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { delimiter, join } from 'path';
import { requireBuilt, workflowFile } from '../build/artifacts';
import { ErrorName, HelmSfnError } from '../core/errors';
import { redactValues } from '../core/redact';
import type { EngineDeps, Logger } from '../engine/deps';
import { cacheDir } from '../helm/binaries';
import { userRegistryConfig } from '../helm/user-config';
import type { RegistryCredentials } from '../helm/chart-pull';
import { LazyKubeClient } from '../kube/lazy-client';
import { ANY_FUNCTION, FAKE_ENV, type AslDefinition, type Json } from './asl';
import { currentLiveness } from './liveness';
import type { ExecutionEvent, LocalRunResult, TaskHandler } from './runner';

/*
 * What a run needs, loaded by the first run rather than by `import`: every CLI command imports
 * this module, and `--help` should not pay for the engine, helm, client-node or the runner.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const engine = () => require('../engine') as typeof import('../engine');
const recovery = () => require('../engine/recover') as typeof import('../engine/recover');
const helm = () => require('../helm/dry-run') as typeof import('../helm/dry-run');
const charts = () => require('../helm/chart-pull') as typeof import('../helm/chart-pull');
const runner = () => require('./runner') as typeof import('./runner');
const clientNode = () => require('../kube/client-node') as typeof import('../kube/client-node');
const synthesis = () => require('./synthesize') as typeof import('./synthesize'); // aws-cdk-lib: from source only
/* eslint-enable @typescript-eslint/no-require-imports */

/** Local executions get ARNs shaped like real ones (the fake account of ./asl.ts). */
export const EXECUTION_ARN_PREFIX = 'arn:aws:states:us-east-1:123456789012:execution:HelmRelease:';

let definition: AslDefinition | undefined;

/**
 * The HelmRelease definition. The compiled package reads the one the build generated (a test
 * proves it is what `cdk synth` writes); from source (tests, tsx) it is synthesized, so an edit
 * to lib/workflow is run at once, without a rebuild.
 */
export function localDefinition(): AslDefinition {
  if (definition) return definition;
  if (__filename.endsWith('.ts')) {
    definition = synthesis().synthesizeWorkflow().definition;
  } else {
    definition = JSON.parse(readFileSync(requireBuilt(workflowFile()), 'utf8')) as AslDefinition;
  }
  return definition;
}

/** Every Lambda Task of the definition runs the engine task its payload names, as in AWS. */
export function engineHandlers(deps: EngineDeps): Record<string, TaskHandler> {
  const { runTask } = engine();
  return { [ANY_FUNCTION]: (event: unknown) => runTask(event, deps) };
}

export interface LocalReleaseOptions {
  /** default: $KUBECONFIG, then ~/.kube/config */
  readonly kubeconfigPath?: string;
  /** A context of the kubeconfig; default: its current-context. */
  readonly kubeContext?: string;
  /**
   * The helm that renders (see lib/helm/helm-binary.ts findHelm); default: the bundled helm 4.
   * A run takes it as a promise, so the check of its version runs while the runner loads.
   */
  readonly helm?: LocalHelm | Promise<LocalHelm>;
  /** Multiplies Wait states' real durations (poll intervals); default 1. */
  readonly waitScale?: number;
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** Receives the engine's log lines (hooks created, their states, logs of failed hooks). */
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
  /** The execution's name (default: a UUID, as Step Functions picks). */
  readonly executionName?: string;
  /**
   * Free this execution's lock when it ends without success (default true). false leaves it as a
   * killed process would: for tests of the recovery rule and of `unlock`.
   */
  readonly freeOwnLock?: boolean;
  /**
   * Credentials for the chart's registry or repository (the CLI's --username/--password);
   * without them, helm's registry config (`helm registry login`) is read.
   */
  readonly chartCredentials?: RegistryCredentials;
  /** Replace parts of the engine's deps (tests: a clock, a quicker sleep). */
  readonly deps?: Partial<EngineDeps>;
}

export interface LocalHelm {
  readonly path: string;
  readonly serverSideFlag: boolean;
}

export function localDeps(opts: Omit<LocalReleaseOptions, 'helm'> & { readonly helm?: LocalHelm } = {}): EngineDeps {
  const { HelmCliRenderer, localKubeconfig, localPath } = helm();
  const { ChartPuller } = charts();
  const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  return {
    kube: localKube(kubeconfigFile(opts.kubeconfigPath), opts.kubeContext),
    liveness: currentLiveness(),
    // the chosen helm (default: the layer's, unzipped on first render), against the same cluster and context
    renderer: new HelmCliRenderer({
      kubeconfig: async () => localKubeconfig(kubeconfigFile(opts.kubeconfigPath)),
      kubeContext: opts.kubeContext,
      helmBinary: opts.helm?.path,
      serverSideFlag: opts.helm?.serverSideFlag,
    }),
    fetch: localPath,
    fetchChart: new ChartPuller({
      // the user's own cache (a shared /tmp directory could be planted by another user)
      cacheDir: join(cacheDir(), 'charts'),
      fetchFile: localPath,
      registryConfig: userRegistryConfig(),
      helmBinary: opts.helm?.path,
      ...(opts.chartCredentials ? { credentials: async () => opts.chartCredentials } : {}),
    }).pull,
    localSources: true,
    clock: () => new Date(),
    logger: opts.logger ?? quiet,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...opts.deps,
  };
}

export interface LocalReleaseResult extends LocalRunResult {
  readonly executionArn: string;
}

/** The ARN a local execution's history names for a task function (the fake account of ./asl.ts). */
export const localFunctionArn = (functionKey: string): string => `arn:${FAKE_ENV.partition}:lambda:${FAKE_ENV.region}:${FAKE_ENV.account}:function:${functionKey}`;

/** Step Functions refuses an execution input larger than this (StartExecution). */
export const MAX_INPUT_BYTES = 256 * 1024;

/**
 * Run one execution (input v1) to its end. If it did not succeed and its lock is still held (the
 * execution was aborted, or its failure path could not reach the cluster), the lock is freed
 * the way AWS's recovery rule frees it — this process knows its own execution has ended.
 */
export async function runReleaseLocally(input: unknown, opts: LocalReleaseOptions = {}): Promise<LocalReleaseResult> {
  checkLocalInput(input);
  const name = opts.executionName ?? randomUUID();
  const executionArn = `${EXECUTION_ARN_PREFIX}${name}`;
  const { runDefinition } = runner(); // aws-local-stepfunctions: 0.1 s to load, while opts.helm's check runs
  const deps = localDeps({ ...opts, helm: await opts.helm });
  const result = await runDefinition(localDefinition(), input as Json, {
    handlers: engineHandlers(deps),
    waitScale: opts.waitScale ?? 1,
    onEvent: opts.onEvent,
    signal: opts.signal,
    validate: false,
    context: { Execution: { Id: executionArn, Name: name } },
  });
  // only the prepare task takes the lock (named by the payload's `task`, as the engine dispatches): an execution refused before it holds none
  const mayHoldLock = result.taskCalls.some((call) => (JSON.parse(call.event) as { task?: unknown }).task === 'prepare');
  if (result.status !== 'SUCCEEDED' && mayHoldLock && opts.freeOwnLock !== false) await recoverOwnLock(executionArn, result, input, deps);
  return { ...result, executionArn };
}

/** What StartExecution and a local cluster refuse, before anything runs. */
function checkLocalInput(input: unknown): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new HelmSfnError(ErrorName.InvalidInput, 'input: must be a JSON object');
  const bytes = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (bytes > MAX_INPUT_BYTES) {
    throw new HelmSfnError(ErrorName.InvalidInput, `input: is ${bytes} bytes; Step Functions takes at most ${MAX_INPUT_BYTES} (put values in a file: valuesFrom)`);
  }
  if ('cluster' in input) {
    throw new HelmSfnError(ErrorName.InvalidInput, 'cluster: only on a deployed orchestrator (a key of its cluster registry); a local run uses the cluster of the kubeconfig');
  }
}

/** Best effort: the cluster may be the reason the execution failed; `unlock` can still free it later. */
async function recoverOwnLock(executionArn: string, result: LocalRunResult, input: unknown, deps: EngineDeps): Promise<void> {
  try {
    await recovery().recoverRelease({ executionArn, status: result.status === 'SUCCEEDED' ? 'FAILED' : result.status, input: JSON.stringify(input) }, deps);
  } catch (e) {
    deps.logger.warn(`the release may still be locked by this execution: freeing its lock failed (${redactValues((e as Error).message)}); \`helm-sfn unlock\` frees it once the cluster answers`);
  }
}

/** client-node loads in half a second: only when a task first reaches the cluster. */
function localKube(kubeconfigPath: string | undefined, context: string | undefined): LazyKubeClient {
  return new LazyKubeClient(async () => {
    const { ClientNodeKubeClient, loadKubeConfig } = clientNode();
    return new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath, context }));
  });
}

/** The kubeconfig to load; a missing file is a one-line error naming it (client-node throws ENOENT with a stack). */
function kubeconfigFile(flag: string | undefined): string | undefined {
  const file = flag ?? process.env.KUBECONFIG?.split(delimiter).find(Boolean);
  if (file !== undefined && !existsSync(file)) {
    throw new HelmSfnError(ErrorName.InvalidInput, `${flag !== undefined ? '--kubeconfig' : 'KUBECONFIG'} ${file}: no such file`);
  }
  return flag;
}
