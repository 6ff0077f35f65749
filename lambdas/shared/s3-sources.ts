/**
 * `deps.fetch` in Lambda: an s3://bucket/key source (a chart .tgz, a values file, a CA bundle) is
 * downloaded into /tmp and its path returned. Other schemes are refused with the rule (registry,
 * repository and https:// charts go through the chart puller). S3's refusals are `ChartFetchFailed`, its
 * throttling and 5xx `KubeTransient` (retried); neither is ever a cluster error.
 */
import { createHash } from 'crypto';
import { createWriteStream } from 'fs';
import { mkdir } from 'fs/promises';
import * as path from 'path';
import type { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import { isTransientAwsError } from '../../lib/kube/aws/cluster-access';

const S3_URL = /^s3:\/\/([^/]+)\/(.+)$/;

export function s3Fetcher(s3: S3Client, dir: string): (source: string) => Promise<string> {
  return async (source) => {
    const match = S3_URL.exec(source);
    if (!match) {
      throw new HelmSfnError(ErrorName.InvalidInput, `${source}: only s3://bucket/key sources can be fetched in AWS (upload the chart or values file to the chart bucket)`);
    }
    const [, bucket, key] = match;
    // one directory per source keeps the file's own name (helm and the chart loader look at the extension)
    const target = path.join(dir, createHash('sha256').update(source).digest('hex').slice(0, 16), path.basename(key));
    await mkdir(path.dirname(target), { recursive: true });
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new HelmSfnError(ErrorName.InvalidInput, `${source}: the object has no body`);
      await pipeline(object.Body as Readable, createWriteStream(target, { mode: 0o600 }));
    } catch (e) {
      if (e instanceof HelmSfnError) throw e;
      throw fetchError(source, e);
    }
    return target;
  };
}

/**
 * Throttling, 5xx and dropped connections are retried (KubeTransient, like every transient
 * failure); anything else S3 says (InvalidAccessKeyId, AccessDenied, NoSuchKey, …) is the
 * source's problem: ChartFetchFailed, with S3's error name and the source, never credentials.
 */
function fetchError(source: string, e: unknown): HelmSfnError {
  const err = e as { name?: string; message?: string };
  if (isTransientAwsError(e)) return new HelmSfnError(ErrorName.KubeTransient, `fetch ${source}: ${err.name ?? 'Error'}: ${err.message ?? String(e)}`, { cause: e });
  const hint = err.name === 'NoSuchKey' || err.name === 'NoSuchBucket' ? 'check the bucket and key' : "check the task role's access to the chart bucket and its key";
  return new HelmSfnError(ErrorName.ChartFetchFailed, `${source}: ${err.name ?? 'Error'}: ${err.message ?? String(e)} (${hint})`, { cause: e });
}
