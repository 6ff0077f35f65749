/**
 * Where `npm run build` puts what the package ships besides compiled code: the prebuilt Lambda
 * bundles (so a consumer's synth needs neither esbuild nor Docker), the CLI's bundle, and the
 * state-machine definition the local runner executes (so no CDK app is synthesized per command).
 * All live under `dist/` at the package root, found from this file whether it runs as TypeScript
 * (`lib/build/`), compiled (`dist/lib/build/`) or bundled (`dist/bin/`).
 */
import { existsSync } from 'fs';
import * as path from 'path';

/** The directory holding package.json: the repository, or the installed package. */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** The Lambda bundles: `engine` (every task, the recovery handler) and `start` (the event starter). */
export const BUNDLES = ['engine', 'start'] as const;
export type BundleName = (typeof BUNDLES)[number];

export const distDir = (): string => path.join(packageRoot(), 'dist');

/** The directory of one bundle (its `index.js` exports the handlers): what `lambda.Code.fromAsset` takes. */
export function bundleDir(name: BundleName, dist = distDir()): string {
  return path.join(dist, 'bundles', name);
}

/**
 * The CLI `bin/helm-sfn.js` runs: bin/helm-sfn.ts and everything it loads as one minified bundle
 * (aws-cdk-lib aside, which only runs from source). It starts in a third of the time the tsc
 * output took: client-node alone took 0.4 s to load whole, and its bundled kubeconfig part 0.1 s.
 */
export function cliBundleFile(dist = distDir()): string {
  return path.join(dist, 'bin', 'helm-sfn.js');
}

/** The HelmRelease definition as `cdk synth` emits it, intrinsics resolved (lib/local/asl.ts). */
export function workflowFile(dist = distDir()): string {
  return path.join(dist, 'workflow', 'helm-release.asl.json');
}

/** A build output that is missing: one line saying how to make it. */
export function requireBuilt(file: string): string {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` (npm install runs it)`);
  return file;
}
