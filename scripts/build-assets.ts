/**
 * The build's second half (after `tsc -p tsconfig.build.json`): the Lambda bundles the construct
 * deploys, the CLI's bundle, and the state-machine definition it runs (lib/build/artifacts.ts).
 *   npx tsx scripts/build-assets.ts      (npm run build runs it; npm install runs the build)
 */
import { mkdirSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { build } from 'esbuild';
import { BUNDLES, bundleDir, cliBundleFile, distDir, packageRoot, workflowFile, type BundleName } from '../lib/build/artifacts';

const ENTRIES: Record<BundleName, string> = { engine: 'lambdas/engine.ts', start: 'lambdas/start.ts' };

/**
 * Everything inlined (no runtime-provided SDK: the deployed code is the code the tests ran),
 * minified, for Node 20, without source maps: a map costs a 256 MB function ~35 MB at start and
 * ~60 MB more on its first stack trace. Deterministic, so a test can rebuild and compare.
 */
export async function buildBundle(name: BundleName, outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'index.js');
  await bundle(ENTRIES[name], outfile);
  return outfile;
}

/**
 * The CLI, the same way. aws-cdk-lib stays out: the CLI needs it only when it runs from source
 * (lib/local/run-locally.ts synthesizes the definition then), and it is the package's peer.
 */
export async function buildCliBundle(outfile: string): Promise<string> {
  await bundle('bin/helm-sfn.ts', outfile, ['aws-cdk-lib', 'constructs']);
  return outfile;
}

async function bundle(entry: string, outfile: string, external: string[] = []): Promise<void> {
  await build({
    entryPoints: [path.join(packageRoot(), entry)],
    outfile,
    bundle: true,
    external,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    // node-fetch's URL parser requires the built-in punycode, deprecated (DEP0040 on every Node 22 cold start): bundle the package instead
    alias: { punycode: 'punycode/punycode.js' },
    logLevel: 'warning',
  });
}

/** The definition as the local runner executes it: synthesized from the construct, intrinsics resolved. */
export function workflowDefinitionJson(): string {
  // loaded here, not at the top: it needs the bundles built (lambda.Code.fromAsset)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { synthesizeWorkflow } = require('../lib/local/synthesize') as typeof import('../lib/local/synthesize');
  return `${JSON.stringify(synthesizeWorkflow().definition, null, 1)}\n`;
}

async function main(): Promise<void> {
  const dist = distDir();
  const made = (file: string) => console.log(`${path.relative(packageRoot(), file)}: ${(statSync(file).size / 1024).toFixed(0)} KiB`);
  for (const name of BUNDLES) made(await buildBundle(name, bundleDir(name, dist)));
  made(await buildCliBundle(cliBundleFile(dist)));
  const file = workflowFile(dist);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, workflowDefinitionJson());
  made(file);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
