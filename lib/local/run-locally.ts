/**
 * Run a release locally: the HelmReleaseOrchestrator's state machine, synthesized in memory
 * exactly as `cdk synth` emits it, executed by aws-local-stepfunctions, every task routed to
 * the lib/engine function of the same name, against the cluster of a kubeconfig.
 */
import { randomUUID } from 'crypto';
import { existsSync } from 'fs';
import { delimiter } from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { TASKS } from '../core/contract';
import { ErrorName, HelmSfnError } from '../core/errors';
import { redactValues } from '../core/redact';
import { functionId, HelmReleaseOrchestrator } from '../construct/orchestrator';
import { engineTasks, type EngineDeps } from '../engine';
import type { Logger } from '../engine/deps';
import { recoverRelease } from '../engine/recover';
import { HelmCliRenderer, localKubeconfig, localPath } from '../helm/dry-run';
import { ClientNodeKubeClient, loadKubeConfig } from '../kube/client-node';
import { extractStateMachines, FAKE_ENV, lambdaFunctions, type AslDefinition, type CfnTemplate, type Json } from './asl';
import { currentLiveness } from './liveness';
import { handlersByConstructId, runDefinition, type ExecutionEvent, type LocalRunResult, type TaskHandler } from './runner';

export const LOCAL_STACK = 'HelmSfn';
/** Local executions get ARNs shaped like real ones (the fake account of ./asl.ts). */
export const EXECUTION_ARN_PREFIX = 'arn:aws:states:us-east-1:123456789012:execution:HelmRelease:';

export interface SynthesizedWorkflow {
  readonly template: CfnTemplate;
  readonly definition: AslDefinition;
  /** Task name → the function key the definition's Task states use. */
  readonly route: (handlers: Record<string, TaskHandler>) => Record<string, TaskHandler>;
}

let synthesized: SynthesizedWorkflow | undefined;

/** The app's stack synthesized in memory (bundling skipped: the local runner calls lib/engine). */
export function synthesizeWorkflow(): SynthesizedWorkflow {
  if (synthesized) return synthesized;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, LOCAL_STACK);
  new HelmReleaseOrchestrator(stack, 'Orchestrator');
  const template = app.synth({ validateOnSynthesis: false }).getStackByName(LOCAL_STACK).template as CfnTemplate;
  const [machine] = extractStateMachines(template);
  const functions = lambdaFunctions(template);
  synthesized = { template, definition: machine.definition, route: (handlers) => handlersByConstructId(functions, handlers) };
  return synthesized;
}

export interface LocalReleaseOptions {
  /** default: $KUBECONFIG, then ~/.kube/config */
  readonly kubeconfigPath?: string;
  /** A context of the kubeconfig; default: its current-context. */
  readonly kubeContext?: string;
  /** The helm that renders (see lib/helm/helm-binary.ts findHelm); default: the bundled helm 4. */
  readonly helm?: { readonly path: string; readonly serverSideFlag: boolean };
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
  /** Replace parts of the engine's deps (tests: a clock, a quicker sleep). */
  readonly deps?: Partial<EngineDeps>;
}

export function localDeps(opts: LocalReleaseOptions = {}): EngineDeps {
  const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  return {
    kube: new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: kubeconfigFile(opts.kubeconfigPath), context: opts.kubeContext })),
    liveness: currentLiveness(),
    // the chosen helm (default: the layer's, unzipped on first render), against the same cluster and context
    renderer: new HelmCliRenderer({
      kubeconfig: async () => localKubeconfig(kubeconfigFile(opts.kubeconfigPath)),
      kubeContext: opts.kubeContext,
      helmBinary: opts.helm?.path,
      serverSideFlag: opts.helm?.serverSideFlag,
    }),
    fetch: localPath,
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
  const workflow = synthesizeWorkflow();
  const name = opts.executionName ?? randomUUID();
  const executionArn = `${EXECUTION_ARN_PREFIX}${name}`;
  const deps = localDeps(opts);
  const byConstructId = Object.fromEntries(TASKS.map((task) => [functionId(task), (event: unknown) => engineTasks[task](event, deps)]));
  const result = await runDefinition(workflow.definition, input as Json, {
    handlers: workflow.route(byConstructId),
    waitScale: opts.waitScale ?? 1,
    onEvent: opts.onEvent,
    signal: opts.signal,
    validate: false,
    context: { Execution: { Id: executionArn, Name: name } },
  });
  if (result.status !== 'SUCCEEDED' && opts.freeOwnLock !== false) await recoverOwnLock(executionArn, result, input, deps);
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
    await recoverRelease({ executionArn, status: result.status === 'SUCCEEDED' ? 'FAILED' : result.status, input: JSON.stringify(input) }, deps);
  } catch (e) {
    deps.logger.warn(`the release is still locked by this execution (${redactValues((e as Error).message)}); \`helm-sfn unlock\` frees it once the cluster answers`);
  }
}

/** The kubeconfig to load; a missing file is a one-line error naming it (client-node throws ENOENT with a stack). */
function kubeconfigFile(flag: string | undefined): string | undefined {
  const file = flag ?? process.env.KUBECONFIG?.split(delimiter).find(Boolean);
  if (file !== undefined && !existsSync(file)) {
    throw new HelmSfnError(ErrorName.InvalidInput, `${flag !== undefined ? '--kubeconfig' : 'KUBECONFIG'} ${file}: no such file`);
  }
  return flag;
}
