/**
 * Which helm a local run uses, and whether it is new enough. Any helm ≥ 3.13 works: the renderer
 * needs `--dry-run=server` (helm/helm#9426, released in v3.13.0); `install -o json` and the memory
 * driver's HELM_MEMORY_DRIVER_DATA (helm/helm#7560, v3.2) are older. Helm 4's `--server-side` is
 * passed only to helm 4 (see HelmCliRenderer). Tested with helm 3.17.3 and 4.1.4.
 */
import { execFile } from 'child_process';
import { accessSync, constants } from 'fs';
import * as path from 'path';
import { ErrorName, HelmSfnError } from '../core/errors';
import { binaries, bundledBinariesRun } from './binaries';

export const MIN_HELM_VERSION = '3.13.0';

export interface HelmBinary {
  readonly path: string;
  /** e.g. "v4.1.4", as `helm version --template {{.Version}}` prints it */
  readonly version: string;
  /** helm 4 takes `--server-side`; helm 3 applies client-side only. */
  readonly serverSideFlag: boolean;
}

export interface FindHelmOptions {
  /** `--helm-binary` */
  readonly flag?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: string;
  readonly arch?: string;
}

/**
 * `--helm-binary`, else $HELM_BIN, else the bundled linux-amd64 helm where it runs, else `helm`
 * on PATH (macOS, arm64); then its version is checked.
 */
export async function findHelm(opts: FindHelmOptions = {}): Promise<HelmBinary> {
  const env = opts.env ?? process.env;
  const [file, from] = opts.flag
    ? [opts.flag, '--helm-binary']
    : env.HELM_BIN
      ? [env.HELM_BIN, 'HELM_BIN']
      : bundledBinariesRun(opts.platform, opts.arch)
        ? [binaries().helm, 'the bundled helm']
        : [onPath('helm', env.PATH ?? ''), 'PATH'];
  if (!file) throw new HelmSfnError(ErrorName.InvalidInput, `no helm: the bundled helm is linux-amd64 only; put helm ≥ ${MIN_HELM_VERSION} on PATH or give --helm-binary / HELM_BIN`);
  const version = await helmVersion(file, from);
  if (compareVersions(version, MIN_HELM_VERSION) < 0) {
    throw new HelmSfnError(ErrorName.InvalidInput, `${from}: ${file} is helm ${version}; helm-sfn needs helm ≥ ${MIN_HELM_VERSION} (for --dry-run=server)`);
  }
  return { path: file, version, serverSideFlag: compareVersions(version, '4.0.0') >= 0 };
}

function helmVersion(file: string, from: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, ['version', '--template', '{{.Version}}'], { timeout: 30_000, encoding: 'utf8' }, (err, stdout) => {
      const version = stdout?.trim() ?? '';
      if (!err && /^v?\d+\.\d+\.\d+/.test(version)) return resolve(version);
      const why = (err as NodeJS.ErrnoException | null)?.code ?? (err ? err.message.split('\n')[0] : `printed ${JSON.stringify(version.slice(0, 40))} as its version`);
      reject(new HelmSfnError(ErrorName.InvalidInput, `${from}: cannot run ${file} as helm: ${why}`));
    });
  });
}

/** -1, 0 or 1, comparing major.minor.patch ("v3.17.3" and "3.13.0" alike; pre-release tags ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => (/(\d+)\.(\d+)\.(\d+)/.exec(v) ?? [0, 0, 0, 0]).slice(1).map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

function onPath(name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
