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
import { loadChartForRecord, renderChart } from './render';

export class HelmCliRenderer implements Renderer {
  /** @param helmBinary the helm executable; default: the one unzipped from the layer package */
  constructor(private readonly helmBinary?: string) {}

  async render(req: RenderRequest): Promise<RenderedChart> {
    const dir = await mkdtemp(path.join(tmpdir(), 'helm-sfn-values-'));
    try {
      const valuesFiles = [...(req.valuesFiles ?? [])];
      if (req.values && Object.keys(req.values).length) {
        const file = path.join(dir, 'values.json'); // JSON is YAML: helm reads it as a values file
        await writeFile(file, JSON.stringify(req.values), { mode: 0o600 });
        valuesFiles.push(file);
      }
      const { manifest } = await renderChart({
        release: req.release,
        namespace: req.namespace,
        chart: req.chartPath,
        valuesFiles,
        set: req.set,
        isUpgrade: req.isUpgrade,
        includeCrds: req.includeCrds,
        kubeVersion: req.kubeVersion,
        helmBinary: this.helmBinary,
      });
      return { manifest, chart: await loadChartForRecord(req.chartPath) };
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
