/**
 * Every task Lambda is `makeHandler('<task>')`: pick the deps for this invocation's cluster,
 * call the lib/engine task of the same name, log its failure (name and message, never the
 * payload) and rethrow it, so Step Functions matches the error name in its Retry and Catch.
 */
import type { ReleaseContext, TaskName } from '../../lib/core/contract';
import { engineTasks, type EngineDeps } from '../../lib/engine';
import { resolveClusterKey } from '../../lib/kube/aws/registry';
import { readLambdaConfig, type LambdaConfig } from './config';
import { AwsDeps, type InvocationScope } from './deps';
import { logger } from './powertools';

/** The Lambda context object (the part Powertools reads). */
export type LambdaContext = Parameters<typeof logger.addContext>[0];

export type TaskHandler = (event: unknown, context?: LambdaContext) => Promise<unknown>;

export interface Runtime {
  readonly config: LambdaConfig;
  readonly deps: AwsDeps;
}

let runtime: Runtime | undefined;
/** Built on the first invocation (not at import), so a configuration error fails that invocation with its message. */
export function defaultRuntime(): Runtime {
  if (runtime) return runtime;
  const config = readLambdaConfig();
  runtime = { config, deps: new AwsDeps(config) };
  return runtime;
}

export function makeHandler(task: TaskName, getRuntime: () => Runtime = defaultRuntime): TaskHandler {
  return async (event, context) => {
    if (context) logger.addContext(context);
    logger.resetKeys();
    const ctx = ctxOf(event);
    logger.appendKeys({ task, release: ctx?.release, namespace: ctx?.namespace, revision: ctx?.revision, cluster: ctx?.cluster, execution: ctx?.execution });
    try {
      const { config, deps } = getRuntime();
      const scope: InvocationScope = { cluster: ctx?.cluster, execution: ctx?.execution ?? executionOf(event) };
      if (task === 'validate') return await validate(event, deps.forInvocation(scope), config);
      return await engineTasks[task](event, deps.forInvocation(scope));
    } catch (e) {
      const err = e as Error;
      logger.error('task failed', { error: err.name, cause: err.message });
      throw e;
    }
  };
}

/**
 * The engine's validate, plus what only the deployment knows: the orchestrator's default poll
 * intervals, and that `cluster` names an entry of its registry (the only one may be left out).
 */
async function validate(event: unknown, deps: EngineDeps, config: LambdaConfig): Promise<{ ctx: ReleaseContext }> {
  const { ctx } = (await engineTasks.validate(withDefaultPollSeconds(event, config.pollSeconds), deps)) as { ctx: ReleaseContext };
  return { ctx: { ...ctx, cluster: resolveClusterKey(config.clusters, ctx.cluster) } };
}

/** `input.options.pollSeconds` from the construct's `pollSeconds` when the input sets none. */
export function withDefaultPollSeconds(event: unknown, pollSeconds: LambdaConfig['pollSeconds']): unknown {
  const input = isObject(event) && isObject(event.input) ? event.input : undefined;
  if (!pollSeconds || !input) return event;
  const options = input.options === undefined ? {} : input.options;
  if (!isObject(options) || options.pollSeconds !== undefined) return event;
  return { ...(event as Record<string, unknown>), input: { ...input, options: { ...options, pollSeconds } } };
}

function ctxOf(event: unknown): Partial<ReleaseContext> | undefined {
  return isObject(event) && isObject(event.ctx) ? (event.ctx as Partial<ReleaseContext>) : undefined;
}

/** validate gets `{ input, execution }`: no ctx yet. */
const executionOf = (event: unknown): string | undefined => (isObject(event) && typeof event.execution === 'string' ? event.execution : undefined);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
