/**
 * The event starter: EventBridge rules hand it `{ eventId, input }` (lib/core/runtime-contract.ts
 * StartRequest) and it starts the state machine with an execution name derived from the event's
 * id. EventBridge delivers at least once; a redelivered event then maps to the same name, which
 * Step Functions refuses to start twice (within 90 days), so a duplicate never becomes a second
 * operation. While that execution runs, StartExecution with the same name and input is
 * idempotent: it answers with the running execution, whose start date then precedes the request,
 * and the starter logs a duplicate instead of a second "execution started". The input is passed
 * as is: the first state validates it and names any bad field.
 */
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { StartRequest } from '../../lib/core/runtime-contract';
import { logger } from './powertools';
import type { LambdaContext } from './handler';

export type StartOutcome = { readonly executionArn: string; readonly duplicate: false } | { readonly duplicate: true; readonly name: string };

/** Step Functions execution names: 1-80 characters; CloudWatch logging wants [A-Za-z0-9_-] only. */
export function executionNameForEvent(eventId: string): string {
  return `event-${eventId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

/** Tolerated clock difference between this function and Step Functions when comparing start dates. */
const CLOCK_SKEW_MS = 1000;

export function makeStartHandler(stateMachineArn: () => string, sfn: SFNClient = new SFNClient({}), now: () => number = Date.now) {
  return async (request: StartRequest, context?: LambdaContext): Promise<StartOutcome> => {
    if (context) logger.addContext(context);
    const name = executionNameForEvent(request.eventId);
    logger.resetKeys();
    logger.appendKeys({ task: 'start', eventId: request.eventId, eventSource: request.source, eventAccount: request.account, executionName: name });
    try {
      const asked = now();
      const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(), name, input: JSON.stringify(request.input ?? null) }));
      if (started.startDate && started.startDate.getTime() < asked - CLOCK_SKEW_MS) {
        logger.info('duplicate event: its execution is already running', { executionArn: started.executionArn });
        return { duplicate: true, name };
      }
      logger.info('execution started', { executionArn: started.executionArn });
      return { executionArn: started.executionArn ?? '', duplicate: false };
    } catch (e) {
      if (e instanceof ExecutionAlreadyExists) {
        logger.info('duplicate event: its execution was already started');
        return { duplicate: true, name };
      }
      throw e;
    }
  };
}
