/**
 * The HelmRelease state machine, built with CDK chainables. One Choice on the action; every
 * hook event is the same `hookPhase` shape (apply a weight group → wait → poll → …), so the
 * console graph reads like Helm's lifecycle. States carry only identifiers and counters
 * (lib/core/contract.ts); the tasks read everything else from the release record.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ErrorName } from '../core/errors';
import type { TaskInput, TaskName, TaskOutput, WorkflowState } from '../core/contract';
import type { HookEvent } from '../core/hooks';

export type TaskFunctions = Record<TaskName, lambda.IFunction>;

const TITLES: Record<HookEvent, string> = {
  'pre-install': 'Pre-install',
  'post-install': 'Post-install',
  'pre-upgrade': 'Pre-upgrade',
  'post-upgrade': 'Post-upgrade',
  'pre-rollback': 'Pre-rollback',
  'post-rollback': 'Post-rollback',
  'pre-delete': 'Pre-delete',
  'post-delete': 'Post-delete',
  test: 'Test',
};

/** A JSONPath into the state (`$.ctx`) or the context object (`$$.Execution.Id`). */
type JsonPath = `$${string}`;

/**
 * A task's Parameters: every field of its input (lib/core/contract.ts TaskIO) taken from a path,
 * `'ctx.$': '$.ctx'`. A field renamed, missing or added on either side fails `tsc`.
 */
export type TaskParameters<I> = { [K in keyof I as `${K & string}.$`]: JsonPath };

/** A task result dropped (`"ResultPath": null`); `task` turns it into CDK's JsonPath.DISCARD, a token typed `string`. */
const DISCARD = 'DISCARD';

/** Where a task's output may land: the state field of its type, or nowhere. */
type ResultPath<O> = { [K in keyof WorkflowState]-?: O extends NonNullable<WorkflowState[K]> ? `$.${K}` : never }[keyof WorkflowState] | typeof DISCARD;

const CTX = { 'ctx.$': '$.ctx' } as const;

/**
 * Lambda failures that are not the task's verdict (AWS's "handle Lambda service exceptions" list,
 * plus a timed-out or crashed sandbox): retrying is safe, every task is idempotent.
 */
const LAMBDA_TRANSIENT_ERRORS = [
  'Sandbox.Timedout',
  'Lambda.Unknown',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/**
 * Every task: a 429/5xx/reset (KubeTransient) or an API server that does not answer
 * (ClusterUnreachable) is retried with jittered exponential backoff, 2 s doubling to a 60 s
 * cap, 12 attempts: about 8 minutes at most (4 on average), so an API outage of a few minutes
 * — a control-plane upgrade, a rotated load balancer — is ridden out. Safe: every task is
 * idempotent (docs/architecture.md#idempotence-and-retries).
 */
const TRANSIENT_RETRY: sfn.RetryProps = {
  errors: [ErrorName.KubeTransient, ErrorName.ClusterUnreachable, ...LAMBDA_TRANSIENT_ERRORS],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  maxAttempts: 12,
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * `Record failure` is the last write of a failed run: 5 s doubling to 2 minutes, 20 attempts,
 * no jitter — a fixed 32 minutes, longer than an EKS control-plane upgrade keeps the API away.
 * After that the record is left to the recovery rule (the execution's status-change event).
 */
const RECORD_FAILURE_RETRY: sfn.RetryProps = {
  errors: [ErrorName.KubeTransient, ErrorName.ClusterUnreachable, ...LAMBDA_TRANSIENT_ERRORS],
  interval: Duration.seconds(5),
  backoffRate: 2,
  maxDelay: Duration.seconds(120),
  maxAttempts: 20,
  jitterStrategy: sfn.JitterType.NONE,
};

/** Builds the whole graph in `scope`; the construct and the local runner both call this. */
export function buildDefinition(scope: Construct, fns: TaskFunctions): sfn.IChainable {
  return new ReleaseGraph(scope, fns).start;
}

class ReleaseGraph {
  readonly start: sfn.IChainable;
  /** Every failure after the lock lands here: record `failed`, then recover or fail. */
  private readonly failurePath: sfn.IChainable;
  /** An atomic operation that recovered still fails the execution, with the original cause. */
  private readonly rolledBack: sfn.Fail;

  constructor(
    private readonly scope: Construct,
    private readonly fns: TaskFunctions,
  ) {
    const releaseFailed = new sfn.Fail(scope, 'Release failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    this.rolledBack = new sfn.Fail(scope, 'Rolled back', { error: ErrorName.RolledBack, causePath: '$.error.Cause' });
    const markFailed = this.task('Record failure', 'markFailed', { ...CTX, 'error.$': '$.error' }, { catches: false, retry: RECORD_FAILURE_RETRY });
    // the cluster stayed away longer than the retries: fail with the original error; the record
    // still holds the lock, and the recovery rule on this execution's end turns it `failed`
    markFailed.addCatch(new sfn.Fail(scope, 'Release failed, record not written', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), {
      resultPath: '$.recordError',
    });
    this.failurePath = markFailed;

    // install, upgrade and rollback share the middle: apply, prune, wait, then the action's post hooks
    const deploy = this.deployChain();
    const preInstall = this.hookPhase('pre-install').next(deploy);
    const rollback = this.prepare('Prepare rollback').next(this.hookPhase('pre-rollback')).next(deploy);
    const uninstall = this.uninstallChain();
    markFailed.next(
      new sfn.Choice(scope, 'Recover?')
        .when(sfn.Condition.stringEquals('$.next', 'uninstall'), uninstall)
        .when(sfn.Condition.stringEquals('$.next', 'rollback'), rollback)
        .otherwise(releaseFailed),
    );

    const upgrade = this.prepare('Prepare upgrade', true).next(
      new sfn.Choice(scope, 'Install instead?')
        .when(sfn.Condition.stringEquals('$.ctx.action', 'install'), preInstall)
        .otherwise(this.hookPhase('pre-upgrade').next(deploy)),
    );
    const test = this.prepare('Prepare test')
      .next(this.hookPhase('test'))
      .next(this.task('Finalize test', 'finalize', CTX))
      .next(new sfn.Succeed(scope, 'Tests passed'));

    // the only task that gets the execution input; it hands Prepare the part it needs (`$.source`)
    const validate = this.task('Validate input', 'validate', { 'input.$': '$', 'execution.$': '$$.Execution.Id' }, { catches: false });
    // the console shows the cause: give it the message naming the field, not Lambda's JSON and trace
    const refused = new sfn.Pass(scope, 'Invalid input', {
      parameters: { 'Error.$': '$.Error', 'Cause.$': 'States.StringToJson($.Cause)' },
    }).next(new sfn.Fail(scope, 'Input refused', { errorPath: '$.Error', causePath: '$.Cause.errorMessage' }));
    // the error replaces the state (ResultPath "$", ASL's default): an input that is not an
    // object (a string, a list) would have nowhere to put $.error
    validate.addCatch(refused, { errors: [ErrorName.InvalidInput] });
    const action = (name: string) => sfn.Condition.stringEquals('$.ctx.action', name);
    this.start = validate.next(
      new sfn.Choice(scope, 'Action?')
        .when(action('install'), this.prepare('Prepare install', true).next(preInstall))
        .when(action('upgrade'), upgrade)
        .when(action('rollback'), rollback)
        .when(action('uninstall'), uninstall)
        .when(action('test'), test)
        .otherwise(new sfn.Fail(scope, 'Action not supported', { error: ErrorName.InvalidInput, causePath: '$.ctx.action' })),
    );
  }

  /** After the pre hooks: apply, delete what left the chart, wait, post hooks, record `deployed`. */
  private deployChain(): sfn.IChainable {
    const finalize = this.task('Finalize release', 'finalize', CTX, { resultPath: '$.result' }).next(this.endState('Release deployed'));
    const post = (event: HookEvent) => this.hookPhase(event).next(finalize);
    const postRollback = post('post-rollback');
    const recovering = (kind: string) => sfn.Condition.stringEquals('$.ctx.recovering', kind);
    const action = (name: string) => sfn.Condition.stringEquals('$.ctx.action', name);
    return this.applyResources()
      .next(this.task('Delete removed resources', 'deleteResources', CTX, { resultPath: DISCARD }))
      .next(this.waitForResources('ready'))
      .next(
        new sfn.Choice(this.scope, 'Post hooks?')
          .when(sfn.Condition.and(sfn.Condition.isPresent('$.ctx.recovering'), recovering('rollback')), postRollback)
          .when(action('install'), post('post-install'))
          .when(action('upgrade'), post('post-upgrade'))
          .otherwise(postRollback),
      );
  }

  /** Uninstall, also entered from the failure path when an atomic install recovers. */
  private uninstallChain(): sfn.IChainable {
    return this.prepare('Prepare uninstall')
      .next(this.hookPhase('pre-delete'))
      .next(this.task('Delete resources', 'deleteResources', CTX, { resultPath: DISCARD }))
      .next(this.waitForResources('gone'))
      .next(this.hookPhase('post-delete'))
      .next(this.task('Finalize uninstall', 'finalize', CTX, { resultPath: '$.result' }))
      .next(this.endState('Release uninstalled'));
  }

  /** Success, unless this run was an atomic recovery: then the execution fails as RolledBack. */
  private endState(id: string): sfn.Choice {
    return new sfn.Choice(this.scope, `${id}?`)
      .when(sfn.Condition.isPresent('$.ctx.recovering'), this.rolledBack)
      .otherwise(new sfn.Succeed(this.scope, id, { outputPath: '$.result' }));
  }

  /**
   * Lock + render + plan. If it fails, `$.ctx` has no revision yet and the failure path only
   * gives back what part of the lock it got: another execution's lock is never touched.
   * Install and upgrade read `$.source` (from the first task) and drop it: from here on the
   * state is `{ ctx }`, so no value travels further (docs/architecture.md#what-travels-between-states).
   */
  private prepare(id: string, renders = false): sfn.TaskStateBase {
    if (!renders) return this.task(id, 'prepare', CTX, { resultPath: '$.ctx' });
    return this.task(id, 'prepare', { ...CTX, 'source.$': '$.source' }, { resultSelector: { 'ctx.$': '$' } });
  }

  /**
   * One hook event: weight groups in order; each group's objects are created, then polled
   * together until all succeed (next group), one fails or times out (cleanup, failure path).
   */
  private hookPhase(event: HookEvent): sfn.Chain {
    const t = TITLES[event];
    const args = { ...CTX, 'hook.$': '$.hook' } as const;
    const start = new sfn.Pass(this.scope, `${t} hooks`, { result: sfn.Result.fromObject({ event, group: 0 }), resultPath: '$.hook' });
    const apply = this.task(`${t}: apply hook group`, 'applyHookGroup', args, { resultPath: '$.hook' });
    const wait = new sfn.Wait(this.scope, `${t}: wait`, { time: sfn.WaitTime.secondsPath('$.hook.nextPollSeconds') });
    const poll = this.task(`${t}: poll hook group`, 'pollHookGroup', args, { resultPath: '$.hook' });
    // returns ctx: it carries the event's last success to the next record write
    const finish = this.task(`${t}: clean up hooks`, 'finishHooks', args, { resultPath: '$.ctx' });
    const failed = this.task(`${t}: clean up failed group`, 'failHookGroup', args, { resultPath: '$.error' });
    failed.next(this.failurePath);

    start.next(apply).next(
      new sfn.Choice(this.scope, `${t}: group started?`).when(sfn.Condition.stringEquals('$.hook.status', 'done'), finish).otherwise(wait),
    );
    wait.next(poll).next(
      new sfn.Choice(this.scope, `${t}: group finished?`)
        .when(sfn.Condition.stringEquals('$.hook.status', 'running'), wait)
        .when(sfn.Condition.stringEquals('$.hook.status', 'succeeded'), apply)
        .otherwise(failed),
    );
    return sfn.Chain.custom(start, [finish], finish);
  }

  /** Server-side apply in InstallOrder, resumable: the task stops at a budget and loops. */
  private applyResources(): sfn.Chain {
    const start = new sfn.Pass(this.scope, 'Resources', { result: sfn.Result.fromObject({ next: 0 }), resultPath: '$.apply' });
    const apply = this.task('Apply resources', 'applyResources', { ...CTX, 'apply.$': '$.apply' }, { resultPath: '$.apply' });
    const applied = new sfn.Pass(this.scope, 'Resources applied', { resultPath: sfn.JsonPath.DISCARD });
    start.next(apply).next(
      new sfn.Choice(this.scope, 'All resources applied?').when(sfn.Condition.booleanEquals('$.apply.done', true), applied).otherwise(apply),
    );
    return sfn.Chain.custom(start, [applied], applied);
  }

  /** Ready after apply (only with `wait`), or gone after delete; the check fails on timeout. */
  private waitForResources(mode: 'ready' | 'gone'): sfn.Chain {
    const label = mode === 'ready' ? 'Wait for resources' : 'Wait for deletion';
    const start = new sfn.Pass(this.scope, label, { result: sfn.Result.fromObject({ mode }), resultPath: '$.wait' });
    const check = this.task(`${label}: check`, 'checkResources', { ...CTX, 'wait.$': '$.wait' }, { resultPath: '$.wait' });
    const wait = new sfn.Wait(this.scope, `${label}: wait`, { time: sfn.WaitTime.secondsPath('$.wait.nextPollSeconds') });
    const done = new sfn.Pass(this.scope, mode === 'ready' ? 'Resources ready' : 'Resources gone', { resultPath: sfn.JsonPath.DISCARD });
    start.next(check).next(
      new sfn.Choice(this.scope, `${label}: done?`).when(sfn.Condition.stringEquals('$.wait.status', 'waiting'), wait).otherwise(done),
    );
    wait.next(check);
    if (mode === 'gone') return sfn.Chain.custom(start, [done], done);
    const skip = new sfn.Choice(this.scope, 'Wait asked?').when(sfn.Condition.booleanEquals('$.ctx.options.wait', true), start).otherwise(done);
    return sfn.Chain.custom(skip, [done], done);
  }

  /**
   * A Lambda task: the function's raw return value is the result, placed at `resultPath`
   * (omitted = it replaces the state, ASL's default "$"). Retries cover Lambda's own
   * transient errors (CDK default) and TRANSIENT_RETRY; every task is idempotent, so this is safe.
   */
  private task<T extends TaskName>(
    id: string,
    fn: T,
    payload: TaskParameters<TaskInput<T>>,
    opts: { resultPath?: ResultPath<TaskOutput<T>>; resultSelector?: Record<string, unknown>; catches?: boolean; retry?: sfn.RetryProps } = {},
  ): tasks.LambdaInvoke {
    const invoke = new tasks.LambdaInvoke(this.scope, id, {
      lambdaFunction: this.fns[fn],
      payloadResponseOnly: true,
      // one function runs many tasks: the payload names this one (lib/engine's taskOf)
      payload: sfn.TaskInput.fromObject({ task: fn, ...payload }),
      resultPath: opts.resultPath === DISCARD ? sfn.JsonPath.DISCARD : opts.resultPath,
      resultSelector: opts.resultSelector,
    });
    invoke.addRetry(opts.retry ?? TRANSIENT_RETRY);
    if (opts.catches !== false) invoke.addCatch(this.failurePath, { resultPath: '$.error' });
    return invoke;
  }
}
