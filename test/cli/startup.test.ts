/**
 * The compiled CLI starts at once: registering every command (what `--help` does) loads none of
 * the heavy modules — aws-cdk-lib, the AWS SDK, client-node, aws-local-stepfunctions, the sim.
 * Each command loads them in its action. Checked on the build's output (dist/), in a fresh node
 * process; `npx helm-sfn` runs the same modules bundled, which esbuild keeps as lazy as their
 * `require`s. And bin/helm-sfn.js compiles that bundle from a code cache it keeps.
 */
import { execFile } from 'child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
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

const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) => promisify(execFile)(process.execPath, [path.join(packageRoot(), 'bin', 'helm-sfn.js'), ...args], { env });

test('bin/helm-sfn.js runs the compiled CLI with plain node: --version, --help', async () => {
  const run = (args: string[]) => cli(args);
  const { version } = require(path.join(packageRoot(), 'package.json')) as { version: string };
  expect((await run(['--version'])).stdout.trim()).toBe(version);
  expect((await run(['--help'])).stdout).toMatch(/^Usage: helm-sfn/);
});

describe('the code cache', () => {
  let cacheDir: string;
  const env = () => ({ ...process.env, HELM_SFN_CACHE_DIR: cacheDir });
  const cacheFiles = () => readdirSync(path.join(cacheDir, 'code-cache')).map((f) => path.join(cacheDir, 'code-cache', f));
  beforeEach(() => (cacheDir = mkdtempSync(path.join(tmpdir(), 'helm-sfn-code-cache-'))));
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  test('the first run writes it; the next runs use it and leave it as it is', async () => {
    await cli(['--version'], env());
    const [file] = cacheFiles();
    expect(path.basename(file)).toMatch(/^helm-sfn-[0-9a-f]{40}\.bin$/);
    const written = statSync(file).mtimeMs;
    expect((await cli(['--help'], env())).stdout).toMatch(/^Usage: helm-sfn/);
    expect(cacheFiles()).toEqual([file]);
    expect(statSync(file).mtimeMs).toBe(written); // accepted by V8: not written again
  });

  test('a corrupt or stale cache costs only a compile: the command works and the cache is replaced', async () => {
    await cli(['--version'], env());
    const [file] = cacheFiles();
    writeFileSync(file, 'not a code cache');
    writeFileSync(path.join(cacheDir, 'code-cache', `helm-sfn-${'0'.repeat(40)}.bin`), 'an older bundle');
    expect((await cli(['--help'], env())).stdout).toMatch(/^Usage: helm-sfn/);
    expect(cacheFiles()).toEqual([file]);
    expect(statSync(file).size).toBeGreaterThan(100_000);
  });

  test('an unwritable cache directory is no error', async () => {
    writeFileSync(path.join(cacheDir, 'code-cache'), 'a file where the directory should be');
    const { stdout, stderr } = await cli(['--help'], env());
    expect(stdout).toMatch(/^Usage: helm-sfn/);
    expect(stderr).toBe('');
  });
});
