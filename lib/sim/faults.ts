/**
 * Fault injection for HTTP requests: per verb/resource error rates (500, 429 with Retry-After,
 * connection reset) and added latency. Controllers' internal writes are never faulted.
 */
import type { SimClock } from './clock';
import type { ResourceType } from './registry';

export type SimVerb = 'create' | 'update' | 'patch' | 'apply' | 'delete' | 'get' | 'list' | 'watch' | 'status' | 'log';

export type FaultEffect =
  | { type: 'error'; code: number; message?: string; retryAfterSeconds?: number }
  | { type: 'reset' }
  | { type: 'latency'; ms: number };

export interface FaultRule {
  /** Verbs the rule applies to; all when omitted. */
  verbs?: SimVerb[];
  /** Plural ('jobs') or Kind ('Job'); any resource when omitted. */
  resource?: string;
  namespace?: string;
  name?: string;
  /** Probability per matching request, 0..1 (default 1). */
  rate?: number;
  /** Fire at most this many times. */
  times?: number;
  /** What happens; with several, one picked at random each time the rule fires. */
  effect: FaultEffect | FaultEffect[];
}

export interface FaultTarget {
  verb: SimVerb;
  type?: ResourceType;
  namespace?: string;
  name?: string;
}

export interface FaultDecision {
  latencyMs: number;
  failure?: Exclude<FaultEffect, { type: 'latency' }>;
}

interface ActiveRule extends FaultRule {
  id: number;
  fired: number;
}

export class SimFaults {
  private readonly active: ActiveRule[] = [];
  private nextId = 1;

  constructor(private readonly clock: SimClock) {}

  /** Adds a rule; returns its id for {@link remove}. */
  add(rule: FaultRule): number {
    const rate = rule.rate ?? 1;
    if (!(rate >= 0 && rate <= 1)) throw new Error(`fault rule: rate must be between 0 and 1, got ${rule.rate}`);
    const effects = [rule.effect].flat();
    if (effects.length === 0) throw new Error('fault rule: needs at least one effect');
    for (const e of effects) if (e.type === 'error' && !(e.code >= 400 && e.code <= 599)) throw new Error(`fault rule: an error code must be 4xx or 5xx, got ${e.code}`);
    const id = this.nextId++;
    this.active.push({ ...rule, id, fired: 0 });
    return id;
  }

  remove(id: number): void {
    const i = this.active.findIndex((r) => r.id === id);
    if (i >= 0) this.active.splice(i, 1);
  }

  clear(): void {
    this.active.length = 0;
  }

  get rules(): readonly FaultRule[] {
    return this.active;
  }

  private matches(rule: ActiveRule, t: FaultTarget): boolean {
    if (rule.times !== undefined && rule.fired >= rule.times) return false;
    if (rule.verbs && !rule.verbs.includes(t.verb)) return false;
    if (rule.resource && rule.resource !== t.type?.plural && rule.resource !== t.type?.kind) return false;
    if (rule.namespace !== undefined && rule.namespace !== t.namespace) return false;
    if (rule.name !== undefined && rule.name !== t.name) return false;
    return this.clock.random() < (rule.rate ?? 1);
  }

  /** What happens to one request: the total added latency and the first failure that fires. */
  decide(t: FaultTarget): FaultDecision {
    const out: FaultDecision = { latencyMs: 0 };
    for (const rule of this.active) {
      const effects = [rule.effect].flat();
      if (out.failure && effects.every((e) => e.type !== 'latency')) continue;
      if (!this.matches(rule, t)) continue;
      rule.fired++;
      const effect = effects.length === 1 ? effects[0] : effects[Math.floor(this.clock.random() * effects.length)];
      if (effect.type === 'latency') out.latencyMs += effect.ms;
      else out.failure ??= effect;
    }
    return out;
  }
}
