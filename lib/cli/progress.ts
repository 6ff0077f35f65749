/**
 * Live progress for people: the workflow's phases (from the execution's events), each hook as it
 * is created and finishes (from the engine's log), and a summary at the end.
 */
import type { ReleaseOutput } from '../core/contract';
import type { Logger } from '../engine/deps';
import type { ExecutionEvent } from '../local/runner';

type Write = (line: string) => void;

/** Tasks ("Apply resources"), hook phases ("Pre-install hooks") and the end states. */
const isPhase = (name: string, type: string): boolean =>
  !name.includes(':') && (type === 'Task' || type === 'Succeed' || type === 'Fail' || (type === 'Pass' && name.endsWith(' hooks')));

export class ProgressPrinter {
  private readonly started = Date.now();
  private readonly hookStates = new Map<string, { state: string; since: number }>();

  constructor(
    private readonly write: Write,
    private readonly showHookLogs = true,
  ) {}

  /** Phase-level states only: sub-steps ("Pre-install: poll hook group") would flood the screen. */
  onEvent = (event: ExecutionEvent): void => {
    if (event.type === 'StateEntered' && isPhase(event.state.name, event.state.type)) this.write(`${this.clock()} ${event.state.name}`);
    if (event.type === 'StateRetried') this.write(`${this.clock()}   retrying ${event.state.name}`);
  };

  /** The engine's log: hook creation and state changes become progress lines. */
  readonly logger: Logger = {
    debug: () => {},
    info: (message, fields = {}) => {
      if (message === 'hook state') return this.hookState(String(fields.hook), String(fields.state), String(fields.reason ?? ''));
      if (message === 'created hook') return this.hookState(String(fields.hook), 'created', `weight ${fields.weight}`);
      if (message === 'log of hook' && this.showHookLogs) return this.logBlock(fields);
    },
    warn: (message) => this.write(`${this.clock()}   ! ${message}`),
    error: (message, fields = {}) => {
      if (message === 'log of hook') this.logBlock(fields);
    },
  };

  summary(output: ReleaseOutput): void {
    this.write('');
    this.write(`${output.release} (${output.namespace}) revision ${output.revision}: ${output.status}`);
    for (const h of output.hooks) this.write(`  ${h.event.padEnd(13)} ${`${h.kind}/${h.name}`.padEnd(40)} ${h.phase.padEnd(9)} ${h.seconds ?? ''}${h.seconds !== undefined ? 's' : ''}`);
    for (const w of output.warnings) this.write(`  ! ${w}`);
  }

  private hookState(hook: string, state: string, reason: string): void {
    const previous = this.hookStates.get(hook);
    if (previous?.state === state) return;
    const now = Date.now();
    this.hookStates.set(hook, { state, since: state === 'created' ? now : (previous?.since ?? now) });
    const took = state === 'succeeded' || state === 'failed' ? ` after ${((now - (previous?.since ?? now)) / 1000).toFixed(1)}s` : '';
    this.write(`${this.clock()}   ${hook}: ${state}${took}${reason && state !== 'succeeded' ? ` (${reason})` : ''}`);
  }

  private logBlock(fields: Record<string, unknown>): void {
    this.write(`    --- ${fields.hook}: logs of ${fields.pod}/${fields.container}`);
    for (const line of String(fields.log ?? '').split('\n')) this.write(`    | ${line}`);
  }

  private clock(): string {
    return `[${((Date.now() - this.started) / 1000).toFixed(1).padStart(5)}s]`;
  }
}
