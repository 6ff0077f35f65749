/**
 * A local execution runs inside one helm-sfn process, and nothing else knows when it ends: if
 * the process is killed, its lock stays. The records it writes therefore name the process — host,
 * boot, pid and the process's start time — so `unlock` on the same host can tell a dead owner
 * (free the lock) from a live one (refuse). A pid alone is not enough: pids are reused, and a
 * reboot ends every process; the start time and the boot id catch both.
 */
import { readFileSync } from 'fs';
import { hostname } from 'os';
import type { OwnerState } from '../engine/recover';

export interface Liveness {
  readonly host: string;
  /** Linux boot id: a different one means the machine rebooted since. */
  readonly boot?: string;
  readonly pid: number;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22). */
  readonly start?: string;
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** Field 22 of /proc/<pid>/stat; fields are counted after the command name, which may hold spaces. */
function processStart(pid: number): string | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

const bootId = () => read('/proc/sys/kernel/random/boot_id');

/** The token of this process (annotation helm-sfn.io/liveness). */
export function currentLiveness(): string {
  const boot = bootId();
  const start = processStart(process.pid);
  const liveness: Liveness = { host: hostname(), ...(boot ? { boot } : {}), pid: process.pid, ...(start ? { start } : {}) };
  return JSON.stringify(liveness);
}

export function parseLiveness(token: string | undefined): Liveness | undefined {
  try {
    const parsed = JSON.parse(token ?? '') as Partial<Liveness>;
    return typeof parsed.host === 'string' && Number.isInteger(parsed.pid) ? (parsed as Liveness) : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Is the process a token names still running? `unknown` on another host (or without a token):
 * nothing here can look at that process.
 */
export function livenessState(token: string | undefined): OwnerState {
  const owner = parseLiveness(token);
  if (!owner || owner.host !== hostname()) return 'unknown';
  const boot = bootId();
  if (owner.boot && boot && owner.boot !== boot) return 'ended';
  if (!alive(owner.pid)) return 'ended';
  if (owner.start === undefined) return 'running'; // no /proc: a live pid is taken as the owner
  return processStart(owner.pid) === owner.start ? 'running' : 'ended';
}
