/**
 * How a Lambda reaches a registered cluster: endpoint, CA and a bearer token. EKS clusters are
 * described with `eks:DescribeCluster` and get a token from a presigned STS URL, signed with the
 * credentials of the cluster's `roleArn` when it has one (assumed with its external id). Other
 * clusters read their token from Secrets Manager. Everything is cached per Lambda container until
 * shortly before it expires, so a warm container assumes each role once an hour, not once per
 * execution: its session name names the container (see `containerSessionName`), and the
 * container's log lines name the execution of every call. `refresh` forgets what a cluster
 * refused (a rotated secret, revoked credentials) and reads it all again.
 */
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ErrorName, HelmSfnError } from '../../core/errors';
import { eksToken, type AwsCredentials } from './eks-token';
import { isEksTarget, type ClusterRegistry, type EksClusterTarget, type EndpointClusterTarget } from './registry';

export interface ClusterConnection {
  readonly server: string;
  /** Base64 PEM CA bundle; absent = the system's trusted CAs. */
  readonly caData?: string;
  readonly token: string;
}

/**
 * Renews one cluster's credentials after its API server refused them (401/403: a rotated token
 * secret, revoked role credentials): re-reads the secret, or re-assumes the role and signs a new
 * EKS token. Resolves to the new connection (server, CA, token); rejects like a first connection
 * (ClusterUnreachable, KubeTransient). Meant for the kube adapter: call it at most once per
 * refused request, then repeat that request once with the new token.
 */
export type RefreshCredentials = () => Promise<ClusterConnection>;

export interface ClusterAccessOptions {
  /** Region of clusters that name none (the Lambda's region). */
  readonly defaultRegion: string;
  /** RoleSessionName of every AssumeRole (`containerSessionName`); default 'helm-sfn'. */
  readonly sessionName?: string;
  readonly clock?: () => Date;
  /** The function's own credentials; default: the AWS SDK's default provider chain. */
  readonly defaultCredentials?: () => Promise<AwsCredentials>;
}

/** A token or credentials are renewed this long before they expire: a task (≤ 2 min by default) must finish with them. */
export const REFRESH_MARGIN_MS = 3 * 60_000;
/** Endpoint and CA change only when a cluster is recreated. */
const DESCRIBE_TTL_MS = 60 * 60_000;
/** A rotated secret is picked up within this time. */
const SECRET_TTL_MS = 5 * 60_000;
const ASSUME_ROLE_SECONDS = 3600;
/** Cached entries per kind; one per (cluster, execution) in flight is plenty. */
const MAX_ENTRIES = 64;

/**
 * STS RoleSessionName: 2-64 characters of [\w+=,.@-]. Execution names may hold other characters
 * (Step Functions accepts Unicode) and up to 80 characters.
 */
export function roleSessionName(executionName: string | undefined): string {
  const cleaned = (executionName ?? '').replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return cleaned.length >= 2 ? cleaned : 'helm-sfn';
}

/**
 * The role session name of one Lambda container: `helm-sfn-` and the id that ends its log stream
 * name (`2026/11/27/[$LATEST]0123…cdef`). CloudTrail (AssumeRole, and every call the session
 * makes) and the cluster's audit log (the assumed-role user) show it; the function's log stream of
 * that id holds one line per invocation naming the execution, so the two join on it.
 */
export function containerSessionName(logStreamName: string | undefined, fallbackId: string): string {
  const id = (logStreamName ?? '').split(']').at(-1) || fallbackId;
  return roleSessionName(`helm-sfn-${id}`);
}


export class ClusterAccess {
  private readonly clock: () => Date;
  private readonly endpoints = new BoundedCache<{ server: string; caData?: string }>();
  private readonly credentials = new BoundedCache<AwsCredentials>();
  private readonly tokens = new BoundedCache<ClusterConnection>();
  private readonly secrets = new BoundedCache<string>();

  constructor(
    private readonly registry: ClusterRegistry,
    private readonly opts: ClusterAccessOptions,
  ) {
    this.clock = opts.clock ?? (() => new Date());
  }

  /** Endpoint, CA and a token valid for at least REFRESH_MARGIN_MS, for the registry entry `key`. */
  async connect(key: string): Promise<ClusterConnection> {
    const target = this.registry[key];
    if (!target) throw new HelmSfnError(ErrorName.InvalidInput, `cluster: ${JSON.stringify(key)} is not in the orchestrator's cluster registry`);
    try {
      return isEksTarget(target) ? await this.connectEks(key, target) : await this.connectEndpoint(target);
    } catch (e) {
      throw awsError(`cluster ${JSON.stringify(key)}`, e);
    }
  }

  /**
   * The cluster refused the connection's token (401/403): forget the token and what made it (the
   * secret, the assumed role's credentials, the endpoint), then connect again.
   */
  async refresh(key: string): Promise<ClusterConnection> {
    const target = this.registry[key];
    if (target) {
      this.tokens.delete(key);
      this.endpoints.delete(key);
      if (isEksTarget(target) && target.roleArn) this.credentials.delete(this.roleKey(target.roleArn, target.externalId));
      if (!isEksTarget(target)) this.secrets.delete(target.tokenSecretArn);
    }
    return this.connect(key);
  }

  private async connectEks(key: string, target: EksClusterTarget): Promise<ClusterConnection> {
    const now = this.clock();
    const cached = this.tokens.get(key, now);
    if (cached) return cached;
    const region = target.region ?? this.opts.defaultRegion;
    const credentials = target.roleArn ? await this.assumeRole(target.roleArn, target.externalId, region) : await this.ownCredentials();
    const endpoint = await this.describe(key, target, region, credentials);
    const token = await eksToken({ clusterName: target.clusterName, region, credentials, now });
    const connection = { ...endpoint, token: token.token };
    this.tokens.set(key, connection, token.expiresAt.getTime() - REFRESH_MARGIN_MS);
    return connection;
  }

  private roleKey(roleArn: string, externalId: string | undefined): string {
    return `${roleArn}\n${externalId ?? ''}`;
  }

  private async describe(key: string, target: EksClusterTarget, region: string, credentials: AwsCredentials) {
    const now = this.clock();
    const cached = this.endpoints.get(key, now);
    if (cached) return cached;
    const { cluster } = await new EKSClient({ region, credentials }).send(new DescribeClusterCommand({ name: target.clusterName }));
    if (!cluster?.endpoint) {
      throw new HelmSfnError(ErrorName.ClusterUnreachable, `EKS cluster ${target.clusterName} in ${region} has no endpoint yet (status ${cluster?.status ?? 'unknown'})`);
    }
    const endpoint = { server: cluster.endpoint, ...(cluster.certificateAuthority?.data ? { caData: cluster.certificateAuthority.data } : {}) };
    this.endpoints.set(key, endpoint, now.getTime() + DESCRIBE_TTL_MS);
    return endpoint;
  }

  private async assumeRole(roleArn: string, externalId: string | undefined, region: string): Promise<AwsCredentials> {
    const now = this.clock();
    const cacheKey = this.roleKey(roleArn, externalId);
    const session = this.opts.sessionName ?? 'helm-sfn';
    const cached = this.credentials.get(cacheKey, now);
    if (cached) return cached;
    const sts = new STSClient({ region, credentials: await this.ownCredentials() });
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session, DurationSeconds: ASSUME_ROLE_SECONDS, ...(externalId ? { ExternalId: externalId } : {}) }),
    );
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new HelmSfnError(ErrorName.ClusterUnreachable, `assuming ${roleArn} returned no credentials`);
    const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    this.credentials.set(cacheKey, credentials, (c.Expiration?.getTime() ?? now.getTime() + ASSUME_ROLE_SECONDS * 1000) - REFRESH_MARGIN_MS);
    return credentials;
  }

  private async ownCredentials(): Promise<AwsCredentials> {
    if (this.opts.defaultCredentials) return this.opts.defaultCredentials();
    return new STSClient({ region: this.opts.defaultRegion }).config.credentials();
  }

  private async connectEndpoint(target: EndpointClusterTarget): Promise<ClusterConnection> {
    const now = this.clock();
    let token = this.secrets.get(target.tokenSecretArn, now);
    if (!token) {
      const region = target.tokenSecretArn.split(':')[3];
      const secret = await new SecretsManagerClient({ region }).send(new GetSecretValueCommand({ SecretId: target.tokenSecretArn }));
      token = secret.SecretString?.trim();
      if (!token) throw new HelmSfnError(ErrorName.ClusterUnreachable, `secret ${target.tokenSecretArn} has no SecretString (it must hold the bearer token as text)`);
      this.secrets.set(target.tokenSecretArn, token, now.getTime() + SECRET_TTL_MS);
    }
    return { server: target.endpoint, ...(target.caData ? { caData: target.caData } : {}), token };
  }
}

/**
 * AWS SDK failures in our error names: throttling and 5xx are retried by the workflow, a refused
 * permission stops it at once (waiting does not grant it), anything else is ClusterUnreachable.
 */
export function awsError(what: string, e: unknown): Error {
  if (e instanceof HelmSfnError) return new HelmSfnError(e.name, `${what}: ${e.message}`, { cause: e });
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const message = `${what}: ${err.name ?? 'Error'}: ${err.message ?? String(e)}`;
  const name = isTransientAwsError(e)
    ? ErrorName.KubeTransient
    : err.$metadata?.httpStatusCode === 403 || /^AccessDenied/.test(err.name ?? '')
      ? ErrorName.AccessDenied
      : ErrorName.ClusterUnreachable;
  return new HelmSfnError(name, message, { cause: e });
}

/** Throttling, 5xx, or an error the SDK marks retryable (dropped connections, timeouts). */
export function isTransientAwsError(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = err.$metadata?.httpStatusCode;
  return err.$retryable !== undefined || (status !== undefined && (status === 429 || status >= 500)) || /Throttl|TooManyRequests|TimeoutError|ECONNRESET/.test(err.name ?? '');
}

/** A Map whose entries expire, evicting the oldest beyond MAX_ENTRIES. */
class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  get(key: string, now: Date): V | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.until > now.getTime()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  set(key: string, value: V, until: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, until });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }
}
