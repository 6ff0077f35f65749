/**
 * Live progress for people, from the execution's events alone (so a local run and a remote
 * execution's history look the same): the workflow's phases, each hook as its group is created
 * and polled, then a summary. Local runs also show the logs hooks write (from the engine's log).
 */
import type { HookCursor, ReleaseOutput } from '../core/contract';
import type { Logger } from '../engine/deps';
import type { ExecutionEvent } from '../local/runner';

type Write = (line: string) => void;

/** The tasks whose output carries the group's hooks (lib/workflow/definition.ts hookPhase). */
const HOOK_TASK = /: (apply|poll) hook group$/;

/** Tasks ("Apply resources"), hook phases ("Pre-install hooks"), resource waits and the end states. */
const isPhase = (name: string, type: string): boolean =>
  !name.includes(':') && (type === 'Task' || type === 'Succeed' || type === 'Fail' || (type === 'Pass' && /( hooks|^Wait for .*)$/.test(name)));

export class ProgressPrinter {
  private readonly started = Date.now();
  private readonly hookStates = new Map<string, { state: string; since: number }>();

  constructor(
    private readonly write: Write,
    private readonly showHookLogs = true,
  ) {}

  /** Phase-level states, and the hooks of each group the apply and poll tasks report. */
  onEvent = (event: ExecutionEvent): void => {
    if (event.type === 'StateEntered' && isPhase(event.state.name, event.state.type)) this.write(`${this.clock()} ${event.state.name}`);
    if (event.type === 'StateRetried') this.write(`${this.clock()}   retrying ${event.state.name}`);
    if (event.type === 'StateExited' && HOOK_TASK.test(event.state.name)) {
      const cursor = (event.state.output as { hook?: HookCursor } | null)?.hook;
      for (const h of cursor?.hooks ?? []) this.hookState(h.hook, h.state);
    }
  };

  /** The engine's log (local runs): the logs hooks write, and warnings. */
  readonly logger: Logger = {
    debug: () => {},
    info: (message, fields = {}) => {
      if (message === 'log of hook' && this.showHookLogs) this.logBlock(fields);
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
    if (output.hooksNotListed) this.write(`  … and ${output.hooksNotListed} more hooks (the output lists the longest-running)`);
    for (const w of output.warnings) this.write(`  ! ${w}`);
  }

  /** One line per change; a hook seen `created` again (the next run of its event) starts over. */
  private hookState(hook: string, state: string): void {
    const previous = this.hookStates.get(hook);
    if (previous?.state === state) return;
    const now = Date.now();
    this.hookStates.set(hook, { state, since: state === 'created' ? now : (previous?.since ?? now) });
    const took = state === 'succeeded' || state === 'failed' ? ` after ${((now - (previous?.since ?? now)) / 1000).toFixed(1)}s` : '';
    this.write(`${this.clock()}   ${hook}: ${state}${took}`);
  }

  private logBlock(fields: Record<string, unknown>): void {
    this.write(`    --- ${fields.hook}: logs of ${fields.pod}/${fields.container}`);
    for (const line of String(fields.log ?? '').split('\n')) this.write(`    | ${line}`);
  }

  private clock(): string {
    return `[${((Date.now() - this.started) / 1000).toFixed(1).padStart(5)}s]`;
  }
}
