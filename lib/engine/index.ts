/** The engine: one function per workflow task, `(input, deps) → output`, all idempotent. */
import type { TaskName } from '../core/contract';
import { HelmSfnError } from '../core/errors';
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

export type { EngineDeps } from './deps';
