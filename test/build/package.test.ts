/**
 * The package as a consumer gets it: `npm pack` → installed (from npm's cache, offline) into a
 * plain-JS CDK app with only aws-cdk-lib and constructs beside it → `node app.js` synthesizes a
 * stack with the orchestrator, without esbuild or Docker (the Lambda code is the prebuilt
 * bundles) → `npx helm-sfn` runs from that install, a whole demo lifecycle included. One pack,
 * one install.
 */
import { execFile } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { BUNDLES, bundleDir, packageRoot } from '../../lib/build/artifacts';
import { offlineLock } from '../support/offline-lock';

const run = promisify(execFile);
const ROOT = packageRoot();
const devVersion = (name: string) => (require(path.join(ROOT, 'node_modules', name, 'package.json')) as { version: string }).version;

const APP = `
const { App, Stack } = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const { HelmReleaseOrchestrator } = require('helm-sfn');

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Consumer', { env: { account: '123456789012', region: 'eu-west-1' } });
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
new HelmReleaseOrchestrator(stack, 'O', {
  clusters: { prod: { clusterName: 'prod-eu' } },
  // private clusters: pass { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } } here once the construct takes them
});
app.synth();
`;

let work: string;
let files: string[];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'helm-sfn-pack-'));
  // the build is `npm test`'s (and `prepare`'s): pack what is there, without building again
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout) as { filename: string; integrity: string; files: { path: string }[] }[];
  files = packed.files.map((f) => f.path);
  const app = path.join(work, 'app');
  mkdirSync(app);
  const manifest = { name: 'consumer', private: true, dependencies: { 'helm-sfn': `file:../${packed.filename}`, 'aws-cdk-lib': devVersion('aws-cdk-lib'), constructs: devVersion('constructs') } };
  const { name, version, dependencies, peerDependencies, bin, engines } = require(path.join(ROOT, 'package.json')) as Record<string, never>;
  const lock = offlineLock(ROOT, manifest, { name, tarball: `../${packed.filename}`, integrity: packed.integrity, manifest: { name, version, dependencies, peerDependencies, bin, engines } });
  writeFileSync(path.join(app, 'package.json'), JSON.stringify(manifest));
  writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(lock, null, 1));
  writeFileSync(path.join(app, 'app.js'), APP);
  await run('npm', ['install', '--offline', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, maxBuffer: 16 * 1024 * 1024 });
}, 600_000);

afterAll(() => work && rmSync(work, { recursive: true, force: true }));

test('the tarball holds the compiled code, the bundles and the definition, and no tests, benchmarks, fixtures or TypeScript sources', () => {
  expect(files).toEqual(expect.arrayContaining(['package.json', 'bin/helm-sfn.js', 'dist/bin/helm-sfn.js', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/workflow/helm-release.asl.json', 'CHANGELOG.md']));
  for (const name of BUNDLES) expect(files).toContain(`dist/bundles/${name}/index.js`);
  expect(files.filter((f) => /^(test|bench|scripts|lambdas)\/|fixtures|\.test\.|(?<!\.d)\.ts$|\.map$/.test(f))).toEqual([]);
});

test('a plain-JS CDK app synthesizes the orchestrator offline, without esbuild or Docker: the Lambda code is the shipped bundles', async () => {
  const app = path.join(work, 'app');
  expect(existsSync(path.join(app, 'node_modules', 'esbuild'))).toBe(false);
  expect(existsSync(path.join(app, 'node_modules', 'tsx'))).toBe(false);
  await run(process.execPath, ['app.js'], { cwd: app, env: { ...process.env, PATH: path.dirname(process.execPath), CDK_VALIDATION: 'false' } });

  const template = JSON.parse(readFileSync(path.join(app, 'cdk.out', 'Consumer.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  expect(functions.map((f) => f.Properties.Handler).sort()).toEqual(['index.handler', 'index.handler', 'index.handler', 'index.recover']);
  expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
  // the staged assets are the package's bundles, byte for byte
  const staged = readdirSync(path.join(app, 'cdk.out')).filter((d) => d.startsWith('asset.') && existsSync(path.join(app, 'cdk.out', d, 'index.js')));
  const stagedCode = new Set(staged.map((d) => readFileSync(path.join(app, 'cdk.out', d, 'index.js'), 'utf8')));
  for (const name of BUNDLES) expect(stagedCode.has(readFileSync(path.join(bundleDir(name), 'index.js'), 'utf8'))).toBe(true);
}, 120_000);

test('npx helm-sfn runs from the install with plain node: its bundle runs a whole lifecycle (demo)', async () => {
  const app = path.join(work, 'app');
  const npx = (...args: string[]) => run('npx', ['--offline', '--no-install', 'helm-sfn', ...args], { cwd: app, maxBuffer: 16 * 1024 * 1024 });
  const { version } = require(path.join(ROOT, 'package.json')) as { version: string };
  expect((await npx('--version')).stdout.trim()).toBe(version);
  expect((await npx('install', '--help')).stdout).toMatch(/^Usage: helm-sfn install/);
  // the bundled engine, client-node and local runner against the bundled sim, with the installed helm
  const demo = await npx('demo');
  expect(demo.stdout).toMatch(/^4 .*deployed .*Rollback to 2/m); // the real helm read the bundle's records
  expect(demo.stderr).toMatch(/my-website \(web\) revision 4: uninstalled/);
}, 120_000);
