/**
 * `deps.notify` in Lambda: each status a release record takes becomes a `Helm Release Status
 * Change` event on the orchestrator's bus. Names, revision, status and description only: no
 * manifest, no values.
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, STATUS_CHANGE_DETAIL_TYPE } from '../../lib/core/runtime-contract';
import type { StatusChange } from '../../lib/engine/deps';

export interface StatusChangeDetail extends StatusChange {
  /** The execution that made the change. */
  readonly execution?: string;
}

export function statusPublisher(events: EventBridgeClient, busName: string): (detail: StatusChangeDetail) => Promise<void> {
  return async (detail) => {
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: EVENT_SOURCE,
            DetailType: STATUS_CHANGE_DETAIL_TYPE,
            Resources: detail.execution ? [detail.execution] : [],
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    if (result.FailedEntryCount) {
      const entry = result.Entries?.find((e) => e.ErrorCode);
      throw new Error(`PutEvents to ${busName} failed: ${entry?.ErrorCode ?? 'unknown'}: ${entry?.ErrorMessage ?? ''}`);
    }
  };
}
