/** The engine: one function per workflow task, `(input, deps) → output`, all idempotent. */
import { TASKS, type TaskInput, type TaskName, type TaskOutput } from '../core/contract';
import { ErrorName, HelmSfnError } from '../core/errors';
import { isPlainObject } from '../core/objects';
import { redactError, redactValues } from '../core/redact';
import type { EngineDeps } from './deps';
import { finalize, markFailed } from './finalize';
import { applyHookGroup, failHookGroup, finishHooks, pollHookGroup } from './hooks';
import { prepare, validate } from './prepare';
import { applyResources, checkResources, deleteResources } from './resources';

/** One workflow task: its input and output are the contract's (lib/core/contract.ts TaskIO). */
export type EngineTask<T extends TaskName> = (input: TaskInput<T>, deps: EngineDeps) => Promise<TaskOutput<T>>;

type EngineTasks = { readonly [T in TaskName]: EngineTask<T> };

/**
 * A task whose errors carry no values: their messages become Step Functions causes, Lambda
 * logs and release descriptions, and some quote what the user set (schema checks, API 422s).
 * The error keeps its name, which Retry and Catch match.
 */
function redacting<T extends TaskName>(task: EngineTask<T>): EngineTask<T> {
  return async (input, deps) => {
    try {
      return await task(input, deps);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      const message = redactValues(e.message);
      if (message === e.message) throw e;
      // the cause chain is redacted too (redactError): the API's answer quotes the value as well
      const cause = e.cause === undefined ? undefined : { cause: redactError(e.cause) };
      const redacted = e instanceof HelmSfnError ? new HelmSfnError(e.name, message, cause) : Object.assign(new Error(message, cause), { name: e.name });
      redacted.stack = `${redacted.name}: ${message}`; // the original stack's first line quotes the value too
      throw redacted;
    }
  };
}

const tasks: EngineTasks = {
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

export const engineTasks = Object.fromEntries(Object.entries(tasks).map(([name, task]) => [name, redacting(task as EngineTask<TaskName>)])) as EngineTasks;

/**
 * Run a task on a payload from outside the type system (a Lambda event, the local runner's
 * state). Its shape is the contract's: the definition builds every task's Parameters from
 * TaskIO, so this is the one place the payload is taken as the task's input.
 */
export function runEngineTask(task: TaskName, payload: unknown, deps: EngineDeps): Promise<unknown> {
  return (engineTasks[task] as EngineTask<TaskName>)(payload as TaskInput<TaskName>, deps);
}

/**
 * One function serves every task: each Task state's payload names its task in `task` (a literal
 * in the definition, so the console shows it and it costs a few bytes). Returns the task and the
 * payload without that field, which is what the engine function takes.
 */
export function taskOf(event: unknown): { task: TaskName; input: Record<string, unknown> } {
  const { task, ...input } = isPlainObject(event) ? event : {};
  if (!TASKS.includes(task as TaskName)) {
    throw new HelmSfnError(ErrorName.InvalidInput, `task: must be one of ${TASKS.join(', ')}; got ${JSON.stringify(task) ?? 'nothing'}`);
  }
  return { task: task as TaskName, input };
}

/** Run the task the event names (see taskOf). */
export function runTask(event: unknown, deps: EngineDeps): Promise<unknown> {
  const { task, input } = taskOf(event);
  return runEngineTask(task, input, deps);
}

export type { EngineDeps } from './deps';
