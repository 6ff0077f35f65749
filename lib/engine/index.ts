/** The engine: one function per workflow task, `(input, deps) → output`, all idempotent. */
import type { TaskName } from '../core/contract';
import type { EngineDeps } from './deps';
import { finalize, markFailed } from './finalize';
import { applyHookGroup, failHookGroup, finishHooks, pollHookGroup } from './hooks';
import { prepare, validate } from './prepare';
import { applyResources, checkResources, deleteResources } from './resources';

export type EngineTask = (input: any, deps: EngineDeps) => Promise<unknown>;

export const engineTasks: Record<TaskName, EngineTask> = {
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

export type { EngineDeps } from './deps';
