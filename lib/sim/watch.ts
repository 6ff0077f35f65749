/**
 * Watch streams (`GET <collection>?watch=true`): newline-delimited JSON events, resumption
 * from a resourceVersion (410 Expired when history is gone), watch-lists
 * (`sendInitialEvents=true`: ADDED for the current state, then a BOOKMARK annotated
 * `k8s.io/initial-events-end`), selector transitions (an object that stops matching is sent
 * as DELETED) and `timeoutSeconds`.
 */
import type { ServerResponse } from 'http';
import type { SimClock } from './clock';
import { expired } from './errors';
import { apiVersionOf, typeKey, type ResourceType } from './registry';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelSelector } from './selectors';
import type { KubeObject, Store, StoreEvent } from './storage';

export interface WatchRequest {
  type: ResourceType;
  namespace?: string;
  labels: LabelSelector;
  fields: FieldRequirement[];
  resourceVersion?: string;
  sendInitialEvents: boolean;
  allowBookmarks: boolean;
  timeoutSeconds?: number;
  /** How an object appears in an event (a Table row for `kubectl get -w`); itself by default. */
  render?: (o: KubeObject, first: boolean) => object;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Which event a watcher sees for a change, given whether the object matched before and after. */
export function transition(event: StoreEvent, matches: (o: KubeObject) => boolean): EventType | undefined {
  const now = event.type !== 'DELETED' && matches(event.object);
  const before = event.previous !== undefined && matches(event.previous);
  if (event.type === 'DELETED') return before || matches(event.object) ? 'DELETED' : undefined;
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  if (before) return 'DELETED';
  return undefined;
}

/** Open watch streams, so the server can end them all on stop. */
export class Watches {
  private readonly open = new Set<ServerResponse>();

  constructor(
    private readonly store: Store,
    private readonly clock: SimClock,
  ) {}

  get size(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const res of this.open) res.end();
    this.open.clear();
  }

  serve(res: ServerResponse, w: WatchRequest, initial: KubeObject[]): void {
    const matches = (o: KubeObject): boolean =>
      (!w.type.namespaced || w.namespace === undefined || o.metadata.namespace === w.namespace) &&
      matchesLabels(w.labels, o.metadata.labels) &&
      matchesFields(w.fields, o);
    let first = true;
    const send = (type: EventType, object: object): void => {
      // between end() and the 'close' event the stream must not be written to
      if (res.writableEnded) return;
      const rendered = w.render && type !== 'BOOKMARK' && type !== 'ERROR' ? w.render(object as KubeObject, first) : object;
      if (rendered !== object) first = false;
      res.write(`${JSON.stringify({ type, object: rendered })}\n`);
    };
    const bookmark = (annotated: boolean) =>
      send('BOOKMARK', {
        kind: w.type.kind,
        apiVersion: apiVersionOf(w.type),
        metadata: { resourceVersion: String(this.store.currentRevision()), ...(annotated ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}) },
      });

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    this.open.add(res);

    const rv = w.resourceVersion;
    if (w.sendInitialEvents || !rv || rv === '0') {
      for (const o of initial) send('ADDED', o);
      if (w.sendInitialEvents && w.allowBookmarks) bookmark(true);
    } else {
      const replay = this.store.eventsSince(Number(rv), typeKey(w.type));
      if (replay === 'expired') {
        send('ERROR', expired(`too old resource version: ${rv} (${this.store.currentRevision()})`).status);
        this.open.delete(res);
        res.end();
        return;
      }
      for (const e of replay) {
        const t = transition(e, matches);
        if (t) send(t, e.object);
      }
    }

    const key = typeKey(w.type);
    const unsubscribe = this.store.subscribe((e) => {
      if (e.typeKey !== key) return;
      const t = transition(e, matches);
      if (t) send(t, e.object);
    });
    const cancelTimeout = w.timeoutSeconds
      ? this.clock.afterReal(w.timeoutSeconds * 1000, () => {
          unsubscribe();
          res.end();
        })
      : () => undefined;
    // res 'close', not req 'close': the request closes as soon as its (empty) body was read
    res.on('close', () => {
      unsubscribe();
      cancelTimeout();
      this.open.delete(res);
    });
  }
}
