/**
 * Local charts and values files, made reachable by the Lambdas: a chart directory is packaged
 * with helm, and each file is uploaded to the chart bucket. A chart's key is content-addressed
 * (the same chart is the same object, so re-runs upload nothing new); a values or set file's key
 * is random, because its key is in the execution history and a hash of a short secret value is
 * a guessable one. The execution input then names s3:// URLs only; values stay out of the history.
 */
import { execFile } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ErrorName, HelmSfnError } from '../../core/errors';
import { findHelm } from '../../helm/helm-binary';

const REMOTE = /^[a-z][a-z0-9+.-]*:\/\//i;

export const isLocalSource = (source: string): boolean => !REMOTE.test(source);

export interface Uploader {
  /** Uploads a local chart (directory or .tgz) and returns its s3:// URL. */
  chart(source: string): Promise<string>;
  /** Uploads a local values file and returns its s3:// URL. */
  values(source: string): Promise<string>;
}

export function s3Uploader(s3: S3Client, bucket: string, helmBinary: () => Promise<string> = async () => (await findHelm()).path): Uploader {
  const upload = async (prefix: 'charts' | 'values', file: string, name: string): Promise<string> => {
    const body = await readFile(file);
    const id = prefix === 'charts' ? createHash('sha256').update(body).digest('hex') : randomBytes(8).toString('hex');
    const key = `${prefix}/${id.slice(0, 16)}/${name}`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return `s3://${bucket}/${key}`;
  };
  return {
    async chart(source) {
      const info = await stat(source).catch(() => undefined);
      if (!info) throw new HelmSfnError(ErrorName.InvalidInput, `chart: ${source}: no such file or directory`);
      if (!info.isDirectory()) return upload('charts', source, path.basename(source));
      const dir = await mkdtemp(path.join(tmpdir(), 'helm-sfn-package-'));
      try {
        const archive = await packageChart(await helmBinary(), source, dir);
        return await upload('charts', archive, path.basename(archive));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async values(source) {
      const info = await stat(source).catch(() => undefined);
      if (!info?.isFile()) throw new HelmSfnError(ErrorName.InvalidInput, `values: ${source}: no such file`);
      return upload('values', source, path.basename(source));
    },
  };
}

/** `helm package` into `dir`; returns the .tgz (named <chart>-<version>.tgz by helm). */
async function packageChart(helm: string, chartDir: string, dir: string): Promise<string> {
  try {
    await promisify(execFile)(helm, ['package', chartDir, '--destination', dir], { env: { ...process.env, HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir } });
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim().replace(/^Error: /, '');
    throw new HelmSfnError(ErrorName.ChartRenderFailed, `helm package ${chartDir}: ${stderr}`);
  }
  const [archive] = (await readdir(dir)).filter((f) => f.endsWith('.tgz'));
  return path.join(dir, archive);
}

/** The input with every local chart, values file and set file replaced by its uploaded s3:// URL. */
export async function withUploadedSources(input: Record<string, unknown>, uploader: () => Promise<Uploader>): Promise<Record<string, unknown>> {
  const chart = input.chart as { source?: unknown; caBundle?: unknown } | undefined;
  const listOf = (field: string) => (Array.isArray(input[field]) ? (input[field] as unknown[]) : []);
  const isLocal = (v: unknown) => typeof v === 'string' && isLocalSource(v);
  const localChart = typeof chart?.source === 'string' && isLocalSource(chart.source);
  // a CA bundle (--ca-file) goes where values files go
  const localCa = isLocal(chart?.caBundle);
  const localFiles = (['valuesFrom', 'setFrom'] as const).filter((field) => listOf(field).some(isLocal));
  if (!localChart && !localCa && localFiles.length === 0) return input;
  const up = await uploader();
  const uploaded: Record<string, unknown> =
    localChart || localCa
      ? {
          chart: {
            ...chart,
            ...(localChart ? { source: await up.chart(chart!.source as string) } : {}),
            ...(localCa ? { caBundle: await up.values(chart!.caBundle as string) } : {}),
          },
        }
      : {};
  // set files go where values files go: the values/ prefix, under a random key (see s3Uploader)
  for (const field of localFiles) uploaded[field] = await Promise.all(listOf(field).map((v) => (isLocal(v) ? up.values(v as string) : v)));
  return { ...input, ...uploaded };
}
