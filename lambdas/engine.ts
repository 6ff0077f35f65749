/**
 * The engine bundle: `handler` runs every workflow task (the task functions), `recover` frees
 * the lock of an execution that ended without its failure path (the recovery function). One
 * bundle, one asset: the functions differ only in their handler, role and settings.
 */
import { makeEngineHandler } from './shared/handler';
import { makeRecoverHandler } from './shared/recover';

export const handler = makeEngineHandler();
export const recover = makeRecoverHandler();
