/**
 * What travels between the workflow's states and its tasks. Only identifiers, options and
 * counters: manifests, values and Secret data stay in the cluster (the release record) and
 * never enter Step Functions history (docs/architecture.md#what-travels-between-states).
 */
import type { HookEvent } from './hooks';
import type { ExecutionInput, ExecutionOptions } from './input';
import type { ReleaseAction } from './plan';

/**
 * The workflow's tasks, each one lib/engine function. In AWS two Lambda functions run them all
 * (the rendering one, prepare, needs the helm layer): each Task state names its task in the
 * payload's `task` field.
 */
export const TASKS = [
  'validate',
  'prepare',
  'applyHookGroup',
  'pollHookGroup',
  'failHookGroup',
  'finishHooks',
  'applyResources',
  'deleteResources',
  'checkResources',
  'finalize',
  'markFailed',
] as const;
export type TaskName = (typeof TASKS)[number];

export type Action = ReleaseAction;

/** `$.ctx`: who and what; set by `validate`, completed by `prepare`. */
export interface ReleaseContext {
  readonly action: Action;
  readonly release: string;
  readonly namespace: string;
  readonly cluster?: string;
  /** The input's options, defaults filled in (lib/core/input.ts). */
  readonly options: ExecutionOptions;
  /** The execution's ARN: stored on the record it locks, so a stuck lock can be traced and freed. */
  readonly execution?: string;
  /** rollback: the revision asked for (the input's `revision`); default the previous one. */
  readonly rollbackTo?: number;
  /** The revision this execution writes; set by `prepare`. */
  readonly revision?: number;
  /** upgrade/rollback: the revision that was live before (what may need pruning). */
  readonly previousRevision?: number;
  /** Set by `markFailed` when an atomic operation recovers through another path. */
  readonly recovering?: 'uninstall' | 'rollback';
  /** Render and plan warnings, bounded in count and length. */
  readonly warnings?: string[];
  /**
   * The last hook group of a finished event and when it succeeded: the next record write stores
   * that success (Helm writes the record once per hook, before creating it, never after).
   */
  readonly settled?: { readonly event: HookEvent; readonly group: number; readonly at: string };
}

/**
 * `$.source`: what install and upgrade render. It is the one part of the input that Prepare needs
 * beyond `ctx`, so the first task hands it over and Prepare drops it: the execution input is
 * never passed to a later task (docs/architecture.md#what-travels-between-states). Values files and set files are references; inline
 * `values` and `set` (a console user's) are the only values that ever travel, and they are in
 * the execution input already.
 */
export type ReleaseSource = Pick<ExecutionInput, 'chart' | 'values' | 'valuesFrom' | 'setFrom' | 'set'>;

/** `$.hook`: where a hook phase stands. */
export interface HookCursor {
  readonly event: HookEvent;
  /** Index of the weight group being (or about to be) run. */
  readonly group: number;
  readonly groups?: number;
  /** done: no group left (or hooks disabled); running: created, being polled. */
  readonly status?: 'running' | 'succeeded' | 'failed' | 'timedOut' | 'done';
  /** RFC3339 time the group's objects were created. */
  readonly startedAt?: string;
  /** succeeded: when the previous group was seen finished; the next group's record write stores it. */
  readonly completedAt?: string;
  readonly polls?: number;
  readonly nextPollSeconds?: number;
  /** The longest timeout of the group's hooks: a poll that cannot reach the cluster keeps polling until then. */
  readonly timeoutSeconds?: number;
  /** Names of hooks that failed or timed out (for the console; logs go in the error cause). */
  readonly failed?: string[];
  /** Where each hook of the group stands, for progress displays (local and remote alike). */
  readonly hooks?: HookProgress[];
}

export interface HookProgress {
  /** `Kind/name` */
  readonly hook: string;
  readonly state: 'created' | 'running' | 'succeeded' | 'failed';
}

/** `$.apply`: a resumable cursor over the release's resources. */
export interface ApplyCursor {
  readonly next: number;
  readonly total?: number;
  readonly done?: boolean;
}

/** `$.wait`: resources becoming ready (after apply) or gone (after delete). */
export interface WaitCursor {
  readonly mode: 'ready' | 'gone';
  readonly startedAt?: string;
  readonly polls?: number;
  readonly nextPollSeconds?: number;
  readonly status?: 'waiting' | 'ready' | 'timedOut';
  /** A few objects still not ready/gone, for the console. */
  readonly pending?: string[];
}

/** `$.error`: what the failure path reports (Catch output or a task's verdict). */
export interface FailureInfo {
  readonly Error: string;
  readonly Cause?: string;
}

export interface HookSummary {
  readonly name: string;
  readonly kind: string;
  readonly event: HookEvent;
  readonly weight: number;
  readonly phase: string;
  readonly seconds?: number;
}

/** The hook tasks' input: where the release and the hook phase stand. */
export interface HookTaskInput {
  readonly ctx: ReleaseContext;
  readonly hook: HookCursor;
}

/** `markFailed`'s verdict: the failure as recorded, and where the workflow goes next. */
export interface FailureVerdict {
  readonly ctx: ReleaseContext;
  readonly error: FailureInfo;
  readonly next: 'uninstall' | 'rollback' | 'fail';
}

/**
 * Each task's input (what its state's Parameters build from the state) and output (what its
 * ResultPath receives), written once: lib/engine implements these signatures and
 * lib/workflow/definition.ts builds each state's Parameters and ResultPath from them, so a field
 * renamed on one side fails `tsc` on the other.
 */
export interface TaskIO {
  /** The only task that reads the execution input; `execution` is `$$.Execution.Id`. */
  validate: { input: { input: unknown; execution?: string }; output: { ctx: ReleaseContext; source?: ReleaseSource } };
  prepare: { input: { ctx: ReleaseContext; source?: ReleaseSource }; output: ReleaseContext };
  applyHookGroup: { input: HookTaskInput; output: HookCursor };
  pollHookGroup: { input: HookTaskInput; output: HookCursor };
  failHookGroup: { input: HookTaskInput; output: FailureInfo };
  finishHooks: { input: HookTaskInput; output: ReleaseContext };
  applyResources: { input: { ctx: ReleaseContext; apply: ApplyCursor }; output: ApplyCursor };
  deleteResources: { input: { ctx: ReleaseContext }; output: { deleted: number; kept: string[] } };
  checkResources: { input: { ctx: ReleaseContext; wait: WaitCursor }; output: WaitCursor };
  finalize: { input: { ctx: ReleaseContext }; output: ReleaseOutput };
  markFailed: { input: { ctx: ReleaseContext; error: FailureInfo }; output: FailureVerdict };
}

export type TaskInput<T extends TaskName> = TaskIO[T]['input'];
export type TaskOutput<T extends TaskName> = TaskIO[T]['output'];

/**
 * The workflow's state between tasks: each key is where a task's output lands (its ResultPath).
 * `source` lives only from validate to prepare.
 */
export interface WorkflowState {
  readonly ctx: ReleaseContext;
  readonly source?: ReleaseSource;
  readonly hook?: HookCursor;
  readonly apply?: ApplyCursor;
  readonly wait?: WaitCursor;
  readonly error?: FailureInfo;
  readonly result?: ReleaseOutput;
  readonly next?: FailureVerdict['next'];
}

/** The execution output of a successful run (docs/architecture.md#the-execution-input). */
export interface ReleaseOutput {
  readonly release: string;
  readonly namespace: string;
  readonly revision: number;
  readonly status: string;
  /** At most MAX_LISTED_HOOKS, the longest-running ones, in execution order. */
  readonly hooks: HookSummary[];
  /** Hooks that ran but are not listed (a chart with hundreds of hooks). */
  readonly hooksNotListed?: number;
  readonly warnings: string[];
}

/**
 * Hooks named in the output: each costs about 120 bytes, and the output is a state payload (we
 * keep those ≤ 8 KiB; Step Functions refuses more than 256 KiB).
 */
export const MAX_LISTED_HOOKS = 40;
