#!/usr/bin/env node
import { App, Stack } from 'aws-cdk-lib';
import { HelmReleaseOrchestrator } from '../lib/construct/orchestrator';

const app = new App();
const stack = new Stack(app, 'HelmSfn', { description: 'helm-sfn: Helm release lifecycles on AWS Step Functions' });
new HelmReleaseOrchestrator(stack, 'Orchestrator');
app.synth();
