/**
 * Every Lambda is `makeHandler(task)`: build the engine's deps once per container, then call
 * one lib/engine task. The logic lives in lib/engine; nothing else belongs here.
 */
import type { TaskName } from '../../lib/core/contract';
import { engineTasks, type EngineDeps } from '../../lib/engine';
import { lambdaDeps } from './deps';

export function makeHandler(task: TaskName): (event: unknown) => Promise<unknown> {
  let deps: Promise<EngineDeps> | undefined;
  return async (event) => engineTasks[task](event, await (deps ??= lambdaDeps(task)));
}
