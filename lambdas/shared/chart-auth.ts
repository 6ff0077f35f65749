/**
 * Credentials for chart registries and repositories in Lambda, never in the execution input:
 * - the source's `credentialsSecretArn`: a Secrets Manager secret `{"username","password"}` or
 *   `{"token"}` (a bearer token, OCI registries only);
 * - else an ECR registry (its host name, or one the construct listed): the task role's
 *   `ecr:GetAuthorizationToken`, whose token (`AWS:<password>`, base64) is cached per registry
 *   until shortly before it expires (ECR issues it for 12 hours);
 * - else none: a public registry or repository.
 * Failures are ChartFetchFailed naming the secret or registry, never a secret's value.
 */
import { ECRClient, GetAuthorizationTokenCommand, type AuthorizationData } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describeChart, type ChartSpec } from '../../lib/core/chart-source';
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import type { RegistryCredentials } from '../../lib/helm/chart-pull';

/** `<account>.dkr.ecr.<region>.amazonaws.com` (and the China and FIPS partitions' forms). */
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
/** Renew an ECR token this long before it expires, so a pull never starts with one about to lapse. */
const ECR_RENEW_BEFORE_MS = 15 * 60 * 1000;

export interface ChartAuthOptions {
  readonly region: string;
  readonly secrets: SecretsManagerClient;
  /** ECR client of a region (a registry answers tokens for its own region). */
  readonly ecr: (region: string) => ECRClient;
  /** Registry hosts to treat as ECR besides the `*.dkr.ecr.*` names (e.g. a pull-through or a VPC endpoint name). */
  readonly ecrRegistries?: readonly string[];
  readonly clock: () => Date;
}

export function chartCredentials(opts: ChartAuthOptions): (spec: ChartSpec, host: string) => Promise<RegistryCredentials | undefined> {
  const tokens = new Map<string, { credentials: RegistryCredentials; renewAt: number }>();
  return async (spec, host) => {
    if (spec.credentialsSecretArn) return secretCredentials(opts.secrets, spec, spec.credentialsSecretArn);
    const ecr = ECR_HOST.exec(host);
    if (!ecr && !opts.ecrRegistries?.includes(host)) return undefined;
    const cached = tokens.get(host);
    if (cached && opts.clock().getTime() < cached.renewAt) return cached.credentials;
    const [, account, region] = ecr ?? [undefined, undefined, opts.region];
    let data: AuthorizationData | undefined;
    try {
      data = (await opts.ecr(region!).send(new GetAuthorizationTokenCommand(account ? { registryIds: [account] } : {}))).authorizationData?.[0];
    } catch (e) {
      throw new HelmSfnError(ErrorName.ChartFetchFailed, `${describeChart(spec)}: ecr:GetAuthorizationToken for ${host}: ${(e as Error).name}: ${(e as Error).message}`);
    }
    const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new HelmSfnError(ErrorName.ChartFetchFailed, `${describeChart(spec)}: ecr:GetAuthorizationToken for ${host} returned no token`);
    const credentials = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    const expires = data?.expiresAt?.getTime() ?? opts.clock().getTime() + 60 * 60 * 1000;
    tokens.set(host, { credentials, renewAt: expires - ECR_RENEW_BEFORE_MS });
    return credentials;
  };
}

async function secretCredentials(secrets: SecretsManagerClient, spec: ChartSpec, arn: string): Promise<RegistryCredentials> {
  let text: string | undefined;
  try {
    text = (await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  } catch (e) {
    throw new HelmSfnError(ErrorName.ChartFetchFailed, `${describeChart(spec)}: credentials secret ${arn}: ${(e as Error).name}: ${(e as Error).message}`);
  }
  const shape = `must be JSON {"username": …, "password": …} or {"token": …}`;
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new HelmSfnError(ErrorName.ChartFetchFailed, `${describeChart(spec)}: credentials secret ${arn}: ${shape} (it is not JSON)`);
  }
  const v = value as Record<string, unknown>;
  if (typeof v?.token === 'string' && v.token) return { token: v.token };
  if (typeof v?.username === 'string' && typeof v.password === 'string') return { username: v.username, password: v.password };
  throw new HelmSfnError(ErrorName.ChartFetchFailed, `${describeChart(spec)}: credentials secret ${arn}: ${shape}`);
}

export const defaultEcrClients = (): ((region: string) => ECRClient) => {
  const clients = new Map<string, ECRClient>();
  return (region) => {
    if (!clients.has(region)) clients.set(region, new ECRClient({ region }));
    return clients.get(region)!;
  };
};
