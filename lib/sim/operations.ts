/**
 * The operation log: one entry per API request the sim answered and per write its controllers
 * made, in order. Tests and benchmarks read it to assert ordering (hook Jobs before resources,
 * deletions by policy, …).
 */
import type { SimClock } from './clock';
import type { SimVerb } from './faults';

export interface SimOperation {
  seq: number;
  /** Milliseconds since the sim started. */
  time: number;
  verb: SimVerb;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name?: string;
  /** HTTP status (controllers' writes record the status they would have got). */
  code: number;
  /** 'created', 'updated', 'deleted', 'deleting', 'ok', 'watch', or a Status reason such as 'NotFound', 'Conflict'. */
  outcome: string;
  fieldManager?: string;
  subresource?: string;
  /** The client's User-Agent product (`Helm/4.1.4`, `kubectl/v1.34.5`); absent for controllers' writes. */
  userAgent?: string;
  /** The request's Content-Type, recorded for writes when bodies are captured. */
  contentType?: string;
  /** The request body as sent (UTF-8), for writes when the sim was started with `captureBodies`. */
  body?: string;
}

export class OperationLog {
  readonly entries: SimOperation[] = [];

  constructor(
    private readonly clock: SimClock,
    private readonly maxEntries = 100_000,
    /** Keep write requests' bodies (tests comparing patches byte for byte); off by default. */
    readonly captureBodies = false,
  ) {}

  record(op: Omit<SimOperation, 'seq' | 'time'>): SimOperation {
    const entry: SimOperation = { seq: this.entries.length + 1, time: this.clock.elapsed(), ...op };
    for (const k of Object.keys(entry) as (keyof SimOperation)[]) if (entry[k] === undefined) delete entry[k];
    if (this.entries.length < this.maxEntries) this.entries.push(entry);
    return entry;
  }
}
