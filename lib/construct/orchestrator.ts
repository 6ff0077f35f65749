/**
 * HelmReleaseOrchestrator: one Lambda function per workflow task and the HelmRelease state
 * machine that connects them (lib/workflow). Minimal for now: cluster registry, EKS access,
 * event starts and least-privilege policies come with the AWS deployment work.
 */
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TASKS, type TaskName } from '../core/contract';
import { buildDefinition, type TaskFunctions } from '../workflow/definition';

export interface HelmReleaseOrchestratorProps {
  /**
   * Longest an execution may run (all hook phases, waits and retries included).
   * @default Duration.hours(12)
   */
  readonly executionTimeout?: Duration;
  /**
   * Timeout of each task invocation; tasks are short (one API round trip or a bounded batch).
   * @default Duration.minutes(2)
   */
  readonly taskTimeout?: Duration;
}

/** Construct id of a task's function, e.g. `ApplyHookGroup`; the local runner routes by it. */
export const functionId = (task: TaskName): string => task[0].toUpperCase() + task.slice(1);

export class HelmReleaseOrchestrator extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: TaskFunctions;

  constructor(scope: Construct, id: string, props: HelmReleaseOrchestratorProps = {}) {
    super(scope, id);
    const timeout = props.taskTimeout ?? Duration.minutes(2);
    const fns = {} as Record<TaskName, lambda.IFunction>;
    for (const task of TASKS) {
      fns[task] = new NodejsFunction(this, functionId(task), {
        entry: path.join(__dirname, '..', '..', 'lambdas', `${task}.ts`),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        memorySize: task === 'prepare' ? 1024 : 256,
        timeout,
        bundling: { target: 'node20', format: OutputFormat.CJS, minify: true, sourceMap: true },
      });
    }
    this.functions = fns;
    this.stateMachine = new sfn.StateMachine(this, 'HelmRelease', {
      definitionBody: sfn.DefinitionBody.fromChainable(buildDefinition(this, fns)),
      timeout: props.executionTimeout ?? Duration.hours(12),
    });
  }
}
