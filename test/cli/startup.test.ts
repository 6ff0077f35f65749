/**
 * The compiled CLI starts at once: registering every command (what `--help` does) loads none of
 * the heavy modules — aws-cdk-lib, the AWS SDK, client-node, aws-local-stepfunctions, the sim.
 * Each command loads them in its action. Checked on the build's output (dist/),
 * which is what `npx helm-sfn` runs, in a fresh node process.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { packageRoot } from '../../lib/build/artifacts';

const HEAVY = /node_modules\/(aws-cdk-lib|@aws-sdk|@smithy|@kubernetes\/client-node|aws-local-stepfunctions|esbuild|tsx)\/|dist\/lib\/(sim|construct|workflow)\//;

test('building the program loads none of the heavy modules', async () => {
  const script = `
    require('./dist/lib/cli/program').buildProgram();
    process.stdout.write(JSON.stringify(Object.keys(require.cache)));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: packageRoot() });
  const loaded = (JSON.parse(stdout) as string[]).map((file) => path.relative(packageRoot(), file));
  expect(loaded.filter((file) => HEAVY.test(file))).toEqual([]);
  expect(loaded).toContain(path.join('node_modules', 'commander', 'index.js'));
});

test('bin/helm-sfn.js runs the compiled CLI with plain node: --version, --help', async () => {
  const run = (args: string[]) => promisify(execFile)(process.execPath, [path.join(packageRoot(), 'bin', 'helm-sfn.js'), ...args]);
  const { version } = require(path.join(packageRoot(), 'package.json')) as { version: string };
  expect((await run(['--version'])).stdout.trim()).toBe(version);
  expect((await run(['--help'])).stdout).toMatch(/^Usage: helm-sfn/);
});
