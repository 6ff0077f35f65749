/**
 * The HelmRelease definition synthesized in memory from the construct, exactly as `cdk synth`
 * emits it. The build writes it to a file (lib/build/artifacts.ts) for the compiled CLI; running
 * from source (tests, tsx) synthesizes it instead, so an edit to lib/workflow needs no rebuild.
 * Loads aws-cdk-lib: keep it out of the CLI's start-up path.
 */
import { App, Stack } from 'aws-cdk-lib';
import { HelmReleaseOrchestrator } from '../construct/orchestrator';
import { extractStateMachines, type AslDefinition, type CfnTemplate } from './asl';

export const LOCAL_STACK = 'HelmSfn';

export interface SynthesizedWorkflow {
  readonly template: CfnTemplate;
  readonly definition: AslDefinition;
}

let synthesized: SynthesizedWorkflow | undefined;

/** The app's stack synthesized in memory; the Lambda code is the built bundles, never run locally. */
export function synthesizeWorkflow(): SynthesizedWorkflow {
  if (synthesized) return synthesized;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, LOCAL_STACK);
  new HelmReleaseOrchestrator(stack, 'Orchestrator');
  const template = app.synth({ validateOnSynthesis: false }).getStackByName(LOCAL_STACK).template as CfnTemplate;
  const [machine] = extractStateMachines(template);
  synthesized = { template, definition: machine.definition };
  return synthesized;
}
