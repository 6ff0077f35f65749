/**
 * The engine's Renderer on the real helm binary: `helm install|upgrade --dry-run=server -o json`
 * against the target cluster. Helm itself then does everything a real install or upgrade does
 * before its first write — discovery for `.Capabilities` (API versions, kube version), `lookup`,
 * values (reuse/reset rules included), NOTES.txt, the chart as its loader reads it — and prints
 * the release it would store. A dry run skips what Helm checks against the live objects (kinds
 * served, ownership): the engine does those before it writes.
 *
 * Helm's release storage is an in-memory driver seeded with the records the upgrade reads (its
 * last and its deployed revision): helm never sees our lock, and never writes to the cluster.
 */
import { existsSync } from 'fs';
import { mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import { ErrorName, HelmSfnError } from '../core/errors';
import type { HelmRelease } from '../core/release-record';
import type { RenderedRelease, Renderer, RenderRequest } from '../engine/deps';
import { helmEnv, runHelm, valueArgs } from './process';
import { binaries } from './binaries';

export interface HelmCliRendererOptions {
  /** The helm executable; default: the one unzipped from the layer package. */
  readonly helmBinary?: string;
  /** A kubeconfig for the target cluster (helm reads discovery, lookups and live objects). */
  readonly kubeconfig: () => Promise<string>;
  /** A context of that kubeconfig other than its current one (`--kube-context`). */
  readonly kubeContext?: string;
  /**
   * Whether helm takes `--server-side` (helm 4, the default). Helm 3 does not: the apply method
   * is then recorded by the same rule helm 4 follows, so records do not depend on the binary.
   */
  readonly serverSideFlag?: boolean;
}

export class HelmCliRenderer implements Renderer {
  constructor(private readonly opts: HelmCliRendererOptions) {}

  async render(req: RenderRequest): Promise<RenderedRelease> {
    const dir = await mkdtemp(path.join(tmpdir(), 'helm-sfn-render-'));
    try {
      const inline = await inlineValuesFile(dir, req.values);
      const upgrade = req.history !== undefined;
      const serverSide = req.serverSide ?? (upgrade ? 'auto' : true);
      const serverSideFlag = this.opts.serverSideFlag ?? true;
      const releases = path.join(dir, 'releases.json');
      await writeFile(releases, JSON.stringify(req.history ?? []), { mode: 0o600 }); // helm's memory driver fails without its file
      const args = [
        upgrade ? 'upgrade' : 'install',
        `--namespace=${req.namespace}`,
        '--dry-run=server',
        '--output=json',
        ...(serverSideFlag ? [`--server-side=${serverSide}`] : []),
        ...(this.opts.kubeContext ? [`--kube-context=${this.opts.kubeContext}`] : []),
        ...valueArgs({ valuesFiles: [...(req.valuesFiles ?? []), ...inline], set: req.set }),
        ...(req.reuseValues ? ['--reuse-values'] : []),
        ...(req.resetValues ? ['--reset-values'] : []),
        '--',
        req.release,
        req.chartPath,
      ];
      const env = {
        ...helmEnv(dir),
        KUBECONFIG: await this.opts.kubeconfig(),
        HELM_DRIVER: 'memory',
        HELM_MEMORY_DRIVER_DATA: releases,
      };
      const { stdout, stderr } = await runHelm(this.opts.helmBinary ?? binaries().helm, args, env);
      const release = parseRelease(stdout);
      // helm 4's rule (pkg/action/upgrade.go): 'auto' keeps the method of the deployed revision
      if (!serverSideFlag) release.apply_method = (serverSide === 'auto' ? req.history?.[0]?.apply_method === 'ssa' : serverSide) ? 'ssa' : 'csa';
      return { release, warnings: droppedHooks(stderr.split('\n')) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The chart's crds/ documents (its enabled subcharts' too), which install applies before rendering. */
  async crds(req: Pick<RenderRequest, 'release' | 'namespace' | 'chartPath' | 'values' | 'valuesFiles' | 'set'>): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'helm-sfn-crds-'));
    try {
      const inline = await inlineValuesFile(dir, req.values);
      // `helm template --include-crds` applies values to subchart conditions, as install does
      const args = ['template', `--namespace=${req.namespace}`, '--include-crds', '--no-hooks', ...valueArgs({ valuesFiles: [...(req.valuesFiles ?? []), ...inline], set: req.set }), '--', req.release, req.chartPath];
      return (await runHelm(this.opts.helmBinary ?? binaries().helm, args, helmEnv(dir))).stdout;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** JSON is YAML: inline values reach helm as the last values file, as Helm merges `-f` files in order. */
async function inlineValuesFile(dir: string, values: Record<string, unknown> | undefined): Promise<string[]> {
  if (!values || Object.keys(values).length === 0) return [];
  const file = path.join(dir, 'values.json');
  await writeFile(file, JSON.stringify(values), { mode: 0o600 });
  return [file];
}

function parseRelease(stdout: string): HelmRelease {
  try {
    return JSON.parse(stdout) as HelmRelease;
  } catch {
    throw new HelmSfnError(ErrorName.ChartRenderFailed, 'helm printed no release (unreadable JSON)');
  }
}

/** The kubeconfig helm reads for a local run: the one given, else $KUBECONFIG's first file, else ~/.kube/config. */
export function localKubeconfig(given?: string): string {
  const candidates = [given, ...(process.env.KUBECONFIG ?? '').split(path.delimiter), path.join(process.env.HOME ?? '', '.kube', 'config')];
  const found = candidates.find((f): f is string => Boolean(f) && existsSync(f!));
  if (!found) throw new HelmSfnError(ErrorName.ClusterUnreachable, `no kubeconfig: ${given ?? 'set KUBECONFIG or create ~/.kube/config'}`);
  return path.resolve(found);
}

/** Local sources only (the CLI and tests); s3:// and other remote sources need the AWS fetcher. */
export async function localPath(source: string): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    throw new HelmSfnError(ErrorName.InvalidInput, `${source}: remote sources are fetched in AWS only; give a local path here`);
  }
  const resolved = path.resolve(source);
  if (!existsSync(resolved)) throw new HelmSfnError(ErrorName.InvalidInput, `${source}: no such file or directory`);
  return resolved;
}

/**
 * helm drops a hook document with an unknown event while sorting the rendered manifests
 * (SortManifests), so neither the release's manifest nor its hooks show it; helm only logs
 * `msg="skipping unknown hooks" hookTypes=…`. That log line is the one place to learn of it.
 */
function droppedHooks(helmLog: string[]): string[] {
  return helmLog.flatMap((line) => {
    if (!line.includes('skipping unknown hooks')) return [];
    const events = /hookTypes="?([^"]*)"?/.exec(line)?.[1] ?? '?';
    return [`a hook document with helm.sh/hook "${events}" (unknown event) was dropped, as Helm does`];
  });
}
