/**
 * What `cdk synth` really emits — the CLI, offline, no credentials — is what the local runner
 * executes (the definition file the build generates for the compiled CLI, and the in-memory
 * synthesis from source), and the bundles it deploys load and run on this Node.
 */
import { execFile } from 'child_process';
import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { workflowFile } from '../../lib/build/artifacts';
import { LambdaEnv } from '../../lib/core/runtime-contract';
import { extractStateMachines, type CfnTemplate } from '../../lib/local/asl';
import { LOCAL_STACK, synthesizeWorkflow } from '../../lib/local/synthesize';

const ROOT = path.resolve(__dirname, '..', '..');
let out: string;
let template: CfnTemplate;

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'cdk-out-'));
  await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '-q', '-o', out], {
    cwd: ROOT,
    env: { ...process.env, CDK_VALIDATION: 'false' },
    maxBuffer: 16 * 1024 * 1024,
  });
  template = JSON.parse(readFileSync(path.join(out, `${LOCAL_STACK}.template.json`), 'utf8')) as CfnTemplate;
}, 120_000);

test('the local runner executes exactly the definition `cdk synth` writes into the template: the built file and the in-memory synthesis', () => {
  const [deployed] = extractStateMachines(template);
  expect(JSON.parse(readFileSync(workflowFile(), 'utf8'))).toEqual(deployed.definition);
  expect(synthesizeWorkflow().definition).toEqual(deployed.definition);
});

test('an execution invokes two functions at most: the engine, and the renderer for prepare', () => {
  const [deployed] = extractStateMachines(template);
  const invoked = new Set(Object.values(deployed.definition.States).flatMap((state) => (state.Type === 'Task' ? [String(state.Resource)] : [])));
  expect(invoked.size).toBe(2);
});

/** The bundled handler of a task function, as Lambda would load it. */
function bundledHandler(constructId: string): (event: unknown) => Promise<unknown> {
  const [resource] = Object.values(template.Resources ?? {}).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && String(r.Metadata?.['aws:cdk:path']).endsWith(`/Orchestrator/${constructId}/Resource`),
  );
  const asset = String(resource.Metadata?.['aws:asset:path']);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(out, asset, 'index.js')).handler;
}

test('the bundled engine function runs on Node 20: validate gives ctx for a good input, InvalidInput naming the field for a bad one', async () => {
  process.env[LambdaEnv.clusters] = JSON.stringify({ prod: { clusterName: 'prod-eu' } }); // what the construct sets
  const engine = bundledHandler('Engine');
  const input = { action: 'uninstall', release: 'web', namespace: 'web', cluster: 'prod' };
  await expect(engine({ task: 'validate', input, execution: 'arn:aws:states:eu-west-1:123456789012:execution:HelmRelease:x' })).resolves.toMatchObject({
    ctx: { action: 'uninstall', release: 'web', namespace: 'web', cluster: 'prod' },
  });
  await expect(engine({ task: 'validate', input: { ...input, release: 'Web_1' } })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringMatching(/^release: /) });
  await expect(engine({ input })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringMatching(/^task: must be one of validate, prepare/) });
});

afterAll(() => {
  delete process.env[LambdaEnv.clusters];
});

test('the bundled render function (client-node, helm renderer, AWS SDK inside) loads', () => {
  expect(typeof bundledHandler('Render')).toBe('function');
});
