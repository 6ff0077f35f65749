/** The engine: one function per workflow task, `(input, deps) → output`, all idempotent. */
import { TASKS, type TaskName } from '../core/contract';
import { ErrorName, HelmSfnError } from '../core/errors';
import { redactValues } from '../core/redact';
import type { EngineDeps } from './deps';
import { finalize, markFailed } from './finalize';
import { applyHookGroup, failHookGroup, finishHooks, pollHookGroup } from './hooks';
import { prepare, validate } from './prepare';
import { applyResources, checkResources, deleteResources } from './resources';

export type EngineTask = (input: any, deps: EngineDeps) => Promise<unknown>;

/**
 * A task whose errors carry no values: their messages become Step Functions causes, Lambda
 * logs and release descriptions, and some quote what the user set (schema checks, API 422s).
 * The error keeps its name, which Retry and Catch match.
 */
function redacting(task: EngineTask): EngineTask {
  return async (input, deps) => {
    try {
      return await task(input, deps);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      const message = redactValues(e.message);
      if (message === e.message) throw e;
      const redacted = e instanceof HelmSfnError ? new HelmSfnError(e.name, message) : Object.assign(new Error(message), { name: e.name });
      redacted.stack = `${redacted.name}: ${message}`; // the original stack's first line quotes the value too
      throw redacted;
    }
  };
}

const tasks: Record<TaskName, EngineTask> = {
  validate,
  prepare,
  applyHookGroup,
  pollHookGroup,
  failHookGroup,
  finishHooks,
  applyResources,
  deleteResources,
  checkResources,
  finalize,
  markFailed,
};

export const engineTasks = Object.fromEntries(Object.entries(tasks).map(([name, task]) => [name, redacting(task)])) as Record<TaskName, EngineTask>;

/**
 * One function serves every task: each Task state's payload names its task in `task` (a literal
 * in the definition, so the console shows it and it costs a few bytes). Returns the task and the
 * payload without that field, which is what the engine function takes.
 */
export function taskOf(event: unknown): { task: TaskName; input: Record<string, unknown> } {
  const { task, ...input } = (typeof event === 'object' && event !== null && !Array.isArray(event) ? event : {}) as Record<string, unknown>;
  if (!TASKS.includes(task as TaskName)) {
    throw new HelmSfnError(ErrorName.InvalidInput, `task: must be one of ${TASKS.join(', ')}; got ${JSON.stringify(task) ?? 'nothing'}`);
  }
  return { task: task as TaskName, input };
}

/** Run the task the event names (see taskOf). */
export function runTask(event: unknown, deps: EngineDeps): Promise<unknown> {
  const { task, input } = taskOf(event);
  return engineTasks[task](input, deps);
}

export type { EngineDeps } from './deps';
