/**
 * Run a release locally: the HelmReleaseOrchestrator's state machine, synthesized in memory
 * exactly as `cdk synth` emits it, executed by aws-local-stepfunctions, every task routed to
 * the lib/engine function of the same name, against the cluster of a kubeconfig.
 */
import { randomUUID } from 'crypto';
import { App, Stack } from 'aws-cdk-lib';
import { TASKS } from '../core/contract';
import { ErrorName, HelmSfnError } from '../core/errors';
import { functionId, HelmReleaseOrchestrator } from '../construct/orchestrator';
import { engineTasks, type EngineDeps } from '../engine';
import type { Logger } from '../engine/deps';
import { HelmCliRenderer, localKubeconfig, localPath } from '../helm/renderer';
import { ClientNodeKubeClient, loadKubeConfig } from '../kube/client-node';
import { extractStateMachines, lambdaFunctions, type AslDefinition, type CfnTemplate, type Json } from './asl';
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
  /** Multiplies Wait states' real durations (poll intervals); default 1. */
  readonly waitScale?: number;
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** Receives the engine's log lines (hooks created, their states, logs of failed hooks). */
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
  /** The execution's name (default: a UUID, as Step Functions picks). */
  readonly executionName?: string;
  /** Replace parts of the engine's deps (tests: a clock, a quicker sleep). */
  readonly deps?: Partial<EngineDeps>;
}

export function localDeps(opts: LocalReleaseOptions = {}): EngineDeps {
  const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  return {
    kube: new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: opts.kubeconfigPath })),
    // the layer's helm (unzipped on first render), against the same cluster
    renderer: new HelmCliRenderer({ kubeconfig: async () => localKubeconfig(opts.kubeconfigPath) }),
    fetch: localPath,
    localSources: true,
    clock: () => new Date(),
    logger: opts.logger ?? quiet,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...opts.deps,
  };
}

/** Run one execution (input v1) to its end. */
export async function runReleaseLocally(input: unknown, opts: LocalReleaseOptions = {}): Promise<LocalRunResult> {
  if (typeof input !== 'object' || input === null) throw new HelmSfnError(ErrorName.InvalidInput, 'the execution input must be a JSON object');
  const workflow = synthesizeWorkflow();
  const name = opts.executionName ?? randomUUID();
  const deps = localDeps(opts);
  const byConstructId = Object.fromEntries(TASKS.map((task) => [functionId(task), (event: unknown) => engineTasks[task](event, deps)]));
  return runDefinition(workflow.definition, input as Json, {
    handlers: workflow.route(byConstructId),
    waitScale: opts.waitScale ?? 1,
    onEvent: opts.onEvent,
    signal: opts.signal,
    validate: false,
    context: { Execution: { Id: `${EXECUTION_ARN_PREFIX}${name}`, Name: name } },
  });
}
