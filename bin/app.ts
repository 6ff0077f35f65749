#!/usr/bin/env node
/**
 * The CDK app: one stack with the HelmReleaseOrchestrator, configured from context (see
 * lib/construct/app-context.ts), e.g.
 *   npx cdk deploy -c 'helm-sfn:clusters={"prod":{"clusterName":"prod","roleArn":"arn:aws:iam::111122223333:role/helm-sfn-deployer"}}'
 * Its outputs are what the CLI's remote mode reads (`cdk deploy --outputs-file`).
 */
import { App, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { settingsFromContext } from '../lib/construct/app-context';
import { HelmReleaseOrchestrator } from '../lib/construct/orchestrator';

const app = new App();
const settings = settingsFromContext((key) => app.node.tryGetContext(key));
const stack = new Stack(app, settings.stackName, { description: 'helm-sfn: Helm release lifecycles on AWS Step Functions' });
const orchestrator = new HelmReleaseOrchestrator(stack, 'Orchestrator', settings.orchestrator);
new CfnOutput(stack, 'StateMachineArn', { value: orchestrator.stateMachine.stateMachineArn });
new CfnOutput(stack, 'ChartBucketName', { value: orchestrator.chartBucket.bucketName });
new CfnOutput(stack, 'EventBusName', { value: orchestrator.eventBus.eventBusName });
new CfnOutput(stack, 'TaskRoleArn', { value: orchestrator.taskRole.roleArn, description: 'the principal a ClusterDeployerRole trusts' });
if (settings.nag) {
  // cdk-nag is a development dependency: loaded only when asked for (-c helm-sfn:nag=true)
  const { AwsSolutionsChecks } = require('cdk-nag') as typeof import('cdk-nag');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
app.synth();
