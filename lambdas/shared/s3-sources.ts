/**
 * `deps.fetch` in Lambda: an s3://bucket/key source (a chart .tgz or a values file) is
 * downloaded into /tmp and its path returned. Other schemes are refused with the rule.
 */
import { createHash } from 'crypto';
import { createWriteStream } from 'fs';
import { mkdir } from 'fs/promises';
import * as path from 'path';
import type { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import { awsError } from '../../lib/kube/aws/cluster-access';

const S3_URL = /^s3:\/\/([^/]+)\/(.+)$/;
/** Errors that mean "this source is wrong", not "try again". */
const NOT_FOUND = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound', 'AccessDenied', 'InvalidObjectState']);

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
      const name = (e as { name?: string }).name ?? '';
      if (NOT_FOUND.has(name)) {
        throw new HelmSfnError(ErrorName.InvalidInput, `${source}: ${name} (the orchestrator reads its chart bucket only; check the bucket, key and the task role's access)`, { cause: e });
      }
      throw awsError(`fetch ${source}`, e);
    }
    return target;
  };
}
