/**
 * A small stack shaped like the release workflow: Map over groups (MaxConcurrency 1, ItemSelector)
 * → fixed Wait → poll loop (Choice + Wait SecondsPath) → Parallel → Succeed, with Retry, Catch
 * (ResultPath) → Cleanup → Fail (ErrorPath/CausePath), and a Fail with literal Error/Cause.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { ErrorName } from '../../lib/core/errors';
import type { CfnTemplate } from '../../lib/local/asl';

export const NOTIFIER_ARN = 'arn:aws:lambda:eu-west-1:210987654321:function:release-notifier';
export const SETTLE_SECONDS = 1;

export function synthFixture(): CfnTemplate {
  // enable-path-metadata: the CDK CLI sets it, a bare App does not (no aws:cdk:path otherwise)
  const app = new App({ context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'LocalRunnerTest');
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });

  const init = new sfn.Pass(stack, 'Init', {
    parameters: { 'release.$': '$.release', 'groups.$': '$.groups' },
  });

  const applyGroup = new tasks.LambdaInvoke(stack, 'ApplyGroup', { lambdaFunction: fn('ApplyFn'), payloadResponseOnly: true });
  applyGroup.addRetry({ errors: [ErrorName.KubeTransient], interval: Duration.seconds(5), maxAttempts: 2 });
  const applyGroups = new sfn.Map(stack, 'ApplyGroups', {
    itemsPath: '$.groups',
    maxConcurrency: 1,
    itemSelector: { 'name.$': '$$.Map.Item.Value.name', 'index.$': '$$.Map.Item.Index', 'release.$': '$.release' },
    resultPath: '$.applied',
  });
  applyGroups.itemProcessor(applyGroup);

  const settle = new sfn.Wait(stack, 'Settle', { time: sfn.WaitTime.duration(Duration.seconds(SETTLE_SECONDS)) });
  const pollGroup = new tasks.LambdaInvoke(stack, 'PollGroup', {
    lambdaFunction: fn('PollFn'),
    resultSelector: { 'status.$': '$.Payload.status', 'nextPollSeconds.$': '$.Payload.nextPollSeconds' },
    resultPath: '$.poll',
  });
  const pollWait = new sfn.Wait(stack, 'PollWait', { time: sfn.WaitTime.secondsPath('$.poll.nextPollSeconds') });

  const cleanup = new tasks.LambdaInvoke(stack, 'Cleanup', { lambdaFunction: fn('CleanupFn'), payloadResponseOnly: true, resultPath: '$.cleanup' });
  const failed = cleanup.next(new sfn.Fail(stack, 'ReleaseFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }));
  applyGroups.addCatch(failed, { errors: [ErrorName.ApplyFailed], resultPath: '$.error' });
  pollGroup.addCatch(failed, { errors: [ErrorName.HookFailed], resultPath: '$.error' });

  const notify = new tasks.LambdaInvoke(stack, 'Notify', {
    lambdaFunction: lambda.Function.fromFunctionArn(stack, 'Notifier', NOTIFIER_ARN),
    payload: sfn.TaskInput.fromObject({ 'release.$': '$.release' }),
    payloadResponseOnly: true,
  });
  const finalize = new sfn.Parallel(stack, 'Finalize', { resultPath: '$.finalize' })
    .branch(new sfn.Pass(stack, 'Summarize', { parameters: { 'groups.$': 'States.ArrayLength($.applied)' } }))
    .branch(notify);

  const isDone = new sfn.Choice(stack, 'IsDone')
    .when(sfn.Condition.stringEquals('$.poll.status', 'succeeded'), finalize.next(new sfn.Succeed(stack, 'Done')))
    .when(sfn.Condition.stringEquals('$.poll.status', 'failed'), new sfn.Fail(stack, 'GroupFailed', { error: ErrorName.HookFailed, cause: 'a hook reported failure' }))
    .otherwise(pollWait.next(pollGroup));

  new sfn.StateMachine(stack, 'Workflow', {
    definitionBody: sfn.DefinitionBody.fromChainable(init.next(applyGroups).next(settle).next(pollGroup).next(isDone)),
    timeout: Duration.hours(1),
  });
  return Template.fromStack(stack).toJSON();
}
