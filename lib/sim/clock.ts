/**
 * Time and randomness of the sim. Simulated durations (sleep, pod start, default run time,
 * backoff) go through `after`, which multiplies them by the time scale; every timer is tracked
 * and unref'ed so `stop()` leaves no handle behind. Randomness (uids, generated names, IPs)
 * comes from a seeded generator, so a seed replays the same names.
 */

export class SimClock {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly startedAt = Date.now();
  private state: number;
  private stopped = false;

  constructor(
    readonly timeScale = 1,
    seed = Date.now(),
  ) {
    if (!(timeScale > 0)) throw new Error(`timeScale must be a positive number, got ${timeScale}`);
    this.state = seed >>> 0 || 1;
  }

  now(): number {
    return Date.now();
  }

  /** Milliseconds since the sim started (the operation log's time base). */
  elapsed(): number {
    return Date.now() - this.startedAt;
  }

  /** Runs `fn` after `simulatedMs` × time scale. */
  after(simulatedMs: number, fn: () => void): () => void {
    return this.afterReal(simulatedMs * this.timeScale, fn);
  }

  /** Runs `fn` after real milliseconds (HTTP timeouts are not simulated time). */
  afterReal(ms: number, fn: () => void): () => void {
    if (this.stopped) return () => undefined;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, Math.max(0, ms));
    timer.unref();
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** mulberry32: a small, fast, seedable PRNG in [0, 1). */
  random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  private hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.random() * 16).toString(16);
    return s;
  }

  /** A version-4 UUID. */
  uid(): string {
    const variant = '89ab'[Math.floor(this.random() * 4)];
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${variant}${this.hex(3)}-${this.hex(12)}`;
  }

  /** The 5-character suffix of `generateName` (apiserver's storage/names: consonants and digits). */
  nameSuffix(length = 5): string {
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(this.random() * alphabet.length)];
    return s;
  }
}

/** RFC 3339 in whole seconds, as `metav1.Time` marshals. */
export const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** RFC 3339 with microseconds, as `metav1.MicroTime` marshals (managedFields use whole seconds). */
export const rfc3339Micro = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
