/**
 * EKS bearer tokens, made the way `aws eks get-token` and aws-iam-authenticator make them: a
 * presigned STS GetCallerIdentity URL whose signed header `x-k8s-aws-id` names the cluster,
 * base64url-encoded without padding behind the prefix `k8s-aws-v1.`. The API server replays
 * the URL against STS to learn the caller's identity (aws-iam-authenticator pkg/token/token.go).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** The URL's X-Amz-Expires; aws-iam-authenticator ignores it and accepts a token for 15 min from its X-Amz-Date. */
const PRESIGN_SECONDS = 60;
/** What the AWS CLI reports as a token's lifetime (awscli customizations/eks/get_token.py: 14 min). */
export const TOKEN_LIFETIME_MS = 14 * 60_000;

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials stop working; a token signed with them dies with them. */
  readonly expiration?: Date;
}

export interface EksToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/** The regional STS endpoint (the global one is not accepted by every authenticator). */
export function stsHostname(region: string): string {
  return `sts.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

export async function eksToken(opts: { clusterName: string; region: string; credentials: AwsCredentials; now: Date }): Promise<EksToken> {
  const { clusterName, region, credentials, now } = opts;
  const hostname = stsHostname(region);
  const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: Sha256 });
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      headers: { host: hostname, [CLUSTER_ID_HEADER]: clusterName },
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    }),
    { expiresIn: PRESIGN_SECONDS, signingDate: now },
  );
  const url = `https://${hostname}/?${queryString(presigned.query ?? {})}`;
  const lifetimeEnd = now.getTime() + TOKEN_LIFETIME_MS;
  const expiresAt = new Date(Math.min(lifetimeEnd, credentials.expiration?.getTime() ?? lifetimeEnd));
  return { token: TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'), expiresAt };
}

/** The presigned URL inside a token (for tests and debugging; it holds no secret key). */
export function presignedUrlOf(token: string): URL {
  if (!token.startsWith(TOKEN_PREFIX)) throw new Error(`an EKS token starts with ${TOKEN_PREFIX}`);
  return new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

/** RFC 3986 encoding, as SigV4 canonicalises the query: the URL must carry exactly the signed bytes. */
function queryString(query: Record<string, string | string[] | null>): string {
  return Object.keys(query)
    .sort()
    .flatMap((key) => {
      const value = query[key];
      const values = value === null ? [] : Array.isArray(value) ? value : [value];
      return values.map((v) => `${rfc3986(key)}=${rfc3986(v)}`);
    })
    .join('&');
}

const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
