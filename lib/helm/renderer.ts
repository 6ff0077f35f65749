/**
 * The engine's Renderer on the real helm binary: inline values go through a temporary values
 * file (merged last, like Helm merges `-f` files in order), and the chart is loaded the way Helm
 * stores it in a release record.
 */
import { existsSync } from 'fs';
import { mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import { ErrorName, HelmSfnError } from '../core/errors';
import type { RenderedChart, Renderer, RenderRequest } from '../engine/deps';
import { mergeValues } from '../core/values';
import { loadChartForRecord, renderChart, userSuppliedValues } from './render';

export class HelmCliRenderer implements Renderer {
  /** @param helmBinary the helm executable; default: the one unzipped from the layer package */
  constructor(private readonly helmBinary?: string) {}

  async render(req: RenderRequest): Promise<RenderedChart> {
    const dir = await mkdtemp(path.join(tmpdir(), 'helm-sfn-values-'));
    try {
      // JSON is YAML: helm reads inline values as values files, merged in this order
      const layer = async (name: string, values: Record<string, unknown> | undefined) => {
        if (!values || Object.keys(values).length === 0) return [];
        const file = path.join(dir, name);
        await writeFile(file, JSON.stringify(values), { mode: 0o600 });
        return [file];
      };
      const valuesFiles = [...(await layer('base.json', req.baseValues)), ...(req.valuesFiles ?? []), ...(await layer('values.json', req.values))];
      const fromFiles = (req.valuesFiles ?? []).length > 0 || (req.set ?? []).length > 0;
      const common = { release: req.release, namespace: req.namespace, chart: req.chartPath, valuesFiles, set: req.set, helmBinary: this.helmBinary };
      const [{ manifest, warnings }, config, chart] = await Promise.all([
        renderChart({
          ...common,
          isUpgrade: req.isUpgrade,
          kubeVersion: req.kubeVersion,
          includeCrds: req.includeCrds,
        }),
        // only files and --set need helm to merge them; inline layers are plain JSON
        fromFiles ? userSuppliedValues(common) : mergeValues(req.baseValues ?? {}, req.values ?? {}),
        loadChartForRecord(req.chartPath),
      ]);
      return { manifest, chart, config, warnings: droppedHooks(warnings) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
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
 * helm template drops a hook document with an unknown event before printing (SortManifests), so
 * the manifest never shows it; helm only logs `msg="skipping unknown hooks" hookTypes=…`. That
 * log line is the one place the user can learn of it.
 */
function droppedHooks(helmLog: string[]): string[] {
  return helmLog.flatMap((line) => {
    if (!line.includes('skipping unknown hooks')) return [];
    const events = /hookTypes="?([^"]*)"?/.exec(line)?.[1] ?? '?';
    return [`a hook document with helm.sh/hook "${events}" (unknown event) was dropped, as Helm does`];
  });
}
