/**
 * Container log lines the kubelet writes and `pods/{name}/log` reads, per pod uid and
 * container, with the previous run kept for `?previous=true` after a restart.
 */

export interface LogLine {
  time: number;
  text: string;
}

interface Stream {
  lines: LogLine[];
  previous: LogLine[];
  ended: boolean;
  listeners: Set<(line: LogLine | undefined) => void>;
}

const key = (uid: string, container: string): string => `${uid}/${container}`;

export class PodLogs {
  private readonly streams = new Map<string, Stream>();

  private stream(uid: string, container: string): Stream {
    let s = this.streams.get(key(uid, container));
    if (!s) this.streams.set(key(uid, container), (s = { lines: [], previous: [], ended: false, listeners: new Set() }));
    return s;
  }

  /** A container (re)starts: the last run becomes `previous`. */
  start(uid: string, container: string): void {
    const s = this.stream(uid, container);
    if (s.lines.length || s.ended) s.previous = s.lines;
    s.lines = [];
    s.ended = false;
  }

  append(uid: string, container: string, line: LogLine): void {
    const s = this.stream(uid, container);
    s.lines.push(line);
    for (const l of [...s.listeners]) l(line);
  }

  end(uid: string, container: string): void {
    const s = this.stream(uid, container);
    s.ended = true;
    for (const l of [...s.listeners]) l(undefined);
  }

  read(uid: string, container: string, previous = false): { lines: LogLine[]; ended: boolean } {
    const s = this.streams.get(key(uid, container));
    if (!s) return { lines: [], ended: false };
    return { lines: [...(previous ? s.previous : s.lines)], ended: previous || s.ended };
  }

  /** Calls `onLine` for each new line and `onLine(undefined)` when the container stops. */
  follow(uid: string, container: string, onLine: (line: LogLine | undefined) => void): () => void {
    const s = this.stream(uid, container);
    s.listeners.add(onLine);
    return () => s.listeners.delete(onLine);
  }

  forget(uid: string): void {
    for (const k of [...this.streams.keys()]) if (k.startsWith(`${uid}/`)) this.streams.delete(k);
  }
}
