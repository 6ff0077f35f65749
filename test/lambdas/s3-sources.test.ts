import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { s3Fetcher } from '../../lambdas/shared/s3-sources';

const s3 = mockClient(S3Client);
const fetch = s3Fetcher(new S3Client({ region: 'eu-west-1' }), mkdtempSync(path.join(tmpdir(), 'helm-sfn-fetch-')));
const awsError = (name: string, status: number) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

beforeEach(() => s3.reset());

test('downloads an s3:// object into a file that keeps its name, readable only by the function', async () => {
  s3.on(GetObjectCommand, { Bucket: 'charts-bucket', Key: 'charts/web-1.0.0.tgz' }).callsFake(() => ({ Body: Readable.from([Buffer.from('chart bytes')]) }));
  const file = await fetch('s3://charts-bucket/charts/web-1.0.0.tgz');
  expect(path.basename(file)).toBe('web-1.0.0.tgz');
  expect(readFileSync(file, 'utf8')).toBe('chart bytes');
});

test('two sources with the same file name land in different files', async () => {
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => ({ Body: Readable.from([Buffer.from(input.Key)]) }));
  const [a, b] = [await fetch('s3://charts-bucket/a/values.yaml'), await fetch('s3://charts-bucket/b/values.yaml')];
  expect(a).not.toBe(b);
  expect([readFileSync(a, 'utf8'), readFileSync(b, 'utf8')]).toEqual(['a/values.yaml', 'b/values.yaml']);
});

test.each([
  ['oci://registry.example.com/charts/web', /oci:\/\/registry.example.com\/charts\/web: only s3:\/\/bucket\/key sources can be fetched in AWS/],
  ['https://charts.example.com/web-1.0.0.tgz', /only s3:\/\/bucket\/key sources/],
])('refuses %s, naming the rule', async (source, message) => {
  await expect(fetch(source)).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringMatching(message) });
});

test.each([
  ['NoSuchKey', 404, 'ChartFetchFailed'],
  ['AccessDenied', 403, 'ChartFetchFailed'],
  ['InvalidAccessKeyId', 403, 'ChartFetchFailed'],
  ['ExpiredToken', 400, 'ChartFetchFailed'],
  ['SlowDown', 503, 'KubeTransient'],
  ['InternalError', 500, 'KubeTransient'],
])('an S3 %s (%i) becomes %s', async (name, status, expected) => {
  s3.on(GetObjectCommand).rejects(awsError(name, status));
  await expect(fetch('s3://charts-bucket/missing.tgz')).rejects.toMatchObject({ name: expected, message: expect.stringContaining('s3://charts-bucket/missing.tgz') });
});
