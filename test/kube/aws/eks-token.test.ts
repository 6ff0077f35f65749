/**
 * The EKS token: a presigned STS GetCallerIdentity URL in aws-iam-authenticator's format. The
 * signature is checked here with an independent SigV4 computation (node:crypto), so the URL's
 * query encoding is proven to carry exactly the bytes that were signed.
 */
import { createHash, createHmac } from 'crypto';
import { CLUSTER_ID_HEADER, eksToken, presignedUrlOf, stsHostname, TOKEN_LIFETIME_MS, TOKEN_PREFIX } from '../../../lib/kube/aws/eks-token';

const NOW = new Date('2026-11-24T10:20:30Z');
const LONG_TERM = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const ASSUMED = {
  accessKeyId: 'ASIAQEXAMPLEASSUMED1',
  secretAccessKey: 'c2VjcmV0L2tleSt3aXRoPXNwZWNpYWw=chars',
  sessionToken: 'FwoGZXIvYXdzEBYaD+/session=token+with/special==',
  expiration: new Date(NOW.getTime() + 60 * 60_000),
};

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');

/** SigV4 for a presigned GET with headers host and x-k8s-aws-id (AWS General Reference, "Signature Version 4"). */
function expectedSignature(url: URL, clusterName: string, secretAccessKey: string): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature');
  const canonicalQuery = params
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${url.hostname}`, `${CLUSTER_ID_HEADER}:${clusterName}`, '', 'host;x-k8s-aws-id', sha256('')].join('\n');
  const date = url.searchParams.get('X-Amz-Date')!;
  const scope = url.searchParams.get('X-Amz-Credential')!.split('/').slice(1).join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonicalRequest)].join('\n');
  const [day, region, service] = scope.split('/');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request');
  return hmac(key, stringToSign).toString('hex');
}

describe('eksToken', () => {
  it('is k8s-aws-v1. + unpadded base64url of a presigned GetCallerIdentity URL on the regional STS endpoint', async () => {
    const { token } = await eksToken({ clusterName: 'prod-eu', region: 'eu-west-1', credentials: LONG_TERM, now: NOW });
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(token.slice(TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no '=' padding
    const url = presignedUrlOf(token);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('https://sts.eu-west-1.amazonaws.com/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE/20261124/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20261124T102030Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('is signed over the cluster name header: an independent SigV4 computation gives the same signature', async () => {
    const { token } = await eksToken({ clusterName: 'prod-eu', region: 'eu-west-1', credentials: LONG_TERM, now: NOW });
    const url = presignedUrlOf(token);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'prod-eu', LONG_TERM.secretAccessKey));
    expect(expectedSignature(url, 'another-cluster', LONG_TERM.secretAccessKey)).not.toBe(url.searchParams.get('X-Amz-Signature'));
  });

  it('with assumed-role credentials: carries the session token, signed, with the assumed key id', async () => {
    const { token } = await eksToken({ clusterName: 'prod', region: 'us-east-2', credentials: ASSUMED, now: NOW });
    const url = presignedUrlOf(token);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(ASSUMED.sessionToken);
    expect(url.searchParams.get('X-Amz-Credential')).toBe('ASIAQEXAMPLEASSUMED1/20261124/us-east-2/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'prod', ASSUMED.secretAccessKey));
  });

  it('expires 14 minutes after signing (the AWS CLI lifetime), or earlier with the credentials that signed it', async () => {
    expect((await eksToken({ clusterName: 'c', region: 'eu-west-1', credentials: LONG_TERM, now: NOW })).expiresAt).toEqual(new Date(NOW.getTime() + TOKEN_LIFETIME_MS));
    expect((await eksToken({ clusterName: 'c', region: 'eu-west-1', credentials: ASSUMED, now: NOW })).expiresAt).toEqual(new Date(NOW.getTime() + 14 * 60_000));
    const soon = { ...ASSUMED, expiration: new Date(NOW.getTime() + 5 * 60_000) };
    expect((await eksToken({ clusterName: 'c', region: 'eu-west-1', credentials: soon, now: NOW })).expiresAt).toEqual(soon.expiration);
  });

  it('is deterministic for the same inputs, and changes with time', async () => {
    const a = await eksToken({ clusterName: 'c', region: 'eu-west-1', credentials: LONG_TERM, now: NOW });
    const b = await eksToken({ clusterName: 'c', region: 'eu-west-1', credentials: LONG_TERM, now: NOW });
    const c = await eksToken({ clusterName: 'c', region: 'eu-west-1', credentials: LONG_TERM, now: new Date(NOW.getTime() + 1000) });
    expect(a.token).toBe(b.token);
    expect(c.token).not.toBe(a.token);
  });

  it.each([
    ['eu-west-1', 'sts.eu-west-1.amazonaws.com'],
    ['cn-north-1', 'sts.cn-north-1.amazonaws.com.cn'],
    ['us-gov-west-1', 'sts.us-gov-west-1.amazonaws.com'],
  ])('STS host of %s is %s', (region, host) => {
    expect(stsHostname(region)).toBe(host);
  });
});
