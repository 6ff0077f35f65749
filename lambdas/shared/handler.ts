/**
 * The task functions run `makeEngineHandler()`: it reads the task the state names (the payload's
 * `task`), picks the deps for this invocation's cluster, calls that lib/engine task, logs its
 * failure (name, message, stack and causes, values redacted; never the payload) and rethrows
 * it, so Step Functions matches the error name in its Retry and Catch.
 */
import type { ReleaseContext, TaskName } from '../../lib/core/contract';
import { isPlainObject } from '../../lib/core/objects';
import { redactError } from '../../lib/core/redact';
import { runEngineTask, taskOf } from '../../lib/engine';
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

/** Every task, dispatched on the payload's `task` field. */
export function makeEngineHandler(getRuntime: () => Runtime = defaultRuntime): TaskHandler {
  const handlers = new Map<TaskName, TaskHandler>();
  return async (event, context) => {
    const { task, input } = taskOf(event);
    if (!handlers.has(task)) handlers.set(task, makeHandler(task, getRuntime));
    return handlers.get(task)!(input, context);
  };
}

/** One task: its payload without the `task` field. */
export function makeHandler(task: TaskName, getRuntime: () => Runtime = defaultRuntime): TaskHandler {
  return async (event, context) => {
    if (context) logger.addContext(context);
    logger.resetKeys();
    const ctx = ctxOf(event);
    logger.appendKeys({ task, release: ctx?.release, namespace: ctx?.namespace, revision: ctx?.revision, cluster: ctx?.cluster, execution: ctx?.execution });
    try {
      const scope: InvocationScope = { cluster: ctx?.cluster, execution: ctx?.execution ?? executionOf(event) };
      return await runEngineTask(task, event, getRuntime().deps.forInvocation(scope));
    } catch (e) {
      // name, message, stack and nested causes (an API error under a KubeTransient), values redacted
      logger.error('task failed', redactError(e) as Error);
      throw e;
    }
  };
}

function ctxOf(event: unknown): Partial<ReleaseContext> | undefined {
  return isPlainObject(event) && isPlainObject(event.ctx) ? (event.ctx as Partial<ReleaseContext>) : undefined;
}

/** validate gets `{ input, execution }`: no ctx yet. */
const executionOf = (event: unknown): string | undefined => (isPlainObject(event) && typeof event.execution === 'string' ? event.execution : undefined);
