import { execFile } from 'child_process';
import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { extractStateMachines, type CfnTemplate } from '../../lib/local/asl';
import { LOCAL_STACK, synthesizeWorkflow } from '../../lib/local/release';

const ROOT = path.resolve(__dirname, '..', '..');

test('the local runner executes exactly the definition `cdk synth` writes into the template', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'cdk-out-'));
  // the real CLI, bundling included, offline, no credentials
  await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '-q', '-o', out], {
    cwd: ROOT,
    env: { ...process.env, CDK_VALIDATION: 'false' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const template = JSON.parse(readFileSync(path.join(out, `${LOCAL_STACK}.template.json`), 'utf8')) as CfnTemplate;
  const [deployed] = extractStateMachines(template);
  expect(synthesizeWorkflow().definition).toEqual(deployed.definition);
}, 120_000);
