/**
 * The stuck-lock recovery function: the rule on Step Functions' "Execution Status Change"
 * (ABORTED, TIMED_OUT, FAILED) hands it the event; lib/engine/recover.ts decides. The cluster is
 * the one the execution's input named, reached in a role session named after that execution.
 */
import { ErrorName, isHelmSfnError } from '../../lib/core/errors';
import { recoverRelease, releaseOf, type ExecutionStatusDetail, type RecoveryOutcome } from '../../lib/engine/recover';
import { defaultRuntime, type LambdaContext, type Runtime } from './handler';
import { logger } from './powertools';

export interface ExecutionStatusChangeEvent {
  readonly detail: ExecutionStatusDetail;
}

export function makeRecoverHandler(getRuntime: () => Runtime = defaultRuntime) {
  return async (event: ExecutionStatusChangeEvent, context?: LambdaContext): Promise<RecoveryOutcome> => {
    if (context) logger.addContext(context);
    logger.resetKeys();
    const detail = event.detail;
    logger.appendKeys({ task: 'recover', execution: detail.executionArn, executionStatus: detail.status });
    const deps = getRuntime().deps.forInvocation({ cluster: releaseOf(detail.input)?.cluster, execution: detail.executionArn });
    try {
      const outcome = await recoverRelease(detail, deps);
      logger.info(outcome.recovered ? 'lock released' : 'nothing to recover', { ...outcome });
      return outcome;
    } catch (e) {
      // an input naming no registered cluster never got past validation: it holds no lock
      if (isHelmSfnError(e, ErrorName.InvalidInput)) {
        logger.info('nothing to recover', { reason: e.message });
        return { recovered: false, reason: e.message };
      }
      logger.error('recovery failed', { error: (e as Error).name, cause: (e as Error).message });
      throw e;
    }
  };
}
