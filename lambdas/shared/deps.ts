/**
 * Engine deps inside Lambda, chosen per invocation: the cluster is the registry entry named by
 * the event's `ctx.cluster`. Connections, tokens, assumed-role credentials and kube clients are
 * cached per cluster key for the container's life (one AssumeRole per role per container, in a
 * session named after the container); a 401/403 from the cluster renews them once
 * (`RefreshCredentials`, called by the kube adapter).
 */
import { tmpdir } from 'os';
import * as path from 'path';
import { setTimeout as sleep } from 'timers/promises';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { EngineDeps, Logger } from '../../lib/engine/deps';
import { ChartPuller } from '../../lib/helm/chart-pull';
import { HelmCliRenderer } from '../../lib/helm/dry-run';
import { ClusterAccess, type ClusterConnection, type RefreshCredentials } from '../../lib/kube/aws/cluster-access';
import { resolveClusterKey } from '../../lib/kube/aws/registry';
import type { KubeClient } from '../../lib/kube/client';
import { ClientNodeKubeClient, loadKubeConfig, writeKubeconfig } from '../../lib/kube/client-node';
import type { LambdaConfig } from './config';
import { LazyKubeClient } from '../../lib/kube/lazy-client';
import { engineLogger } from './powertools';
import { chartCredentials, defaultEcrClients } from './chart-auth';
import { s3Fetcher } from './s3-sources';
import { statusPublisher } from './status-events';

/** Which cluster and execution one invocation works for. */
export interface InvocationScope {
  /** Registry key; absent = the registry's only entry. */
  readonly cluster?: string;
  /** The execution's ARN. */
  readonly execution?: string;
}

/** The AWS side of the deps; tests pass clients and a kube client factory of their own. */
export interface AwsDepsOptions {
  readonly access?: Pick<ClusterAccess, 'connect' | 'refresh'>;
  readonly s3?: S3Client;
  readonly secrets?: SecretsManagerClient;
  /** The ECR client of a region (chart registries). */
  readonly ecr?: (region: string) => ECRClient;
  readonly events?: EventBridgeClient;
  /** Builds the kube client of one connection; `refreshCredentials` is for its 401/403 handling. */
  readonly kubeClient?: (connection: ClusterConnection, refreshCredentials: RefreshCredentials) => KubeClient;
  readonly logger?: Logger;
  readonly clock?: () => Date;
}

export class AwsDeps {
  private readonly access: Pick<ClusterAccess, 'connect' | 'refresh'>;
  private readonly fetch: (source: string) => Promise<string>;
  /** One per container: its cache of pulled charts and ECR tokens lives as long as the container. */
  private readonly fetchChart: NonNullable<EngineDeps['fetchChart']>;
  private readonly publish?: ReturnType<typeof statusPublisher>;
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly kubeClient: NonNullable<AwsDepsOptions['kubeClient']>;
  /** One kube client per cluster key, rebuilt when its token changes. */
  private readonly clients = new Map<string, { token: string; client: KubeClient }>();

  constructor(
    private readonly config: LambdaConfig,
    opts: AwsDepsOptions = {},
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.access = opts.access ?? new ClusterAccess(config.clusters, { defaultRegion: config.region, sessionName: config.sessionName, clock: this.clock });
    this.fetch = s3Fetcher(opts.s3 ?? new S3Client({ region: config.region }), path.join(tmpdir(), 'helm-sfn-sources'));
    this.fetchChart = new ChartPuller({
      cacheDir: path.join(tmpdir(), 'helm-sfn-charts'),
      fetchFile: this.fetch,
      helmBinary: config.helmBinary,
      credentials: chartCredentials({
        region: config.region,
        secrets: opts.secrets ?? new SecretsManagerClient({ region: config.region }),
        ecr: opts.ecr ?? defaultEcrClients(),
        ecrRegistries: config.ecrRegistries,
        clock: this.clock,
      }),
    }).pull;
    if (config.eventBus) this.publish = statusPublisher(opts.events ?? new EventBridgeClient({ region: config.region }), config.eventBus);
    this.logger = opts.logger ?? engineLogger();
    this.kubeClient =
      opts.kubeClient ??
      ((c, refreshCredentials) => new ClientNodeKubeClient(loadKubeConfig({ cluster: c }), { refreshCredentials: async () => loadKubeConfig({ cluster: await refreshCredentials() }) }));
  }

  forInvocation(scope: InvocationScope): EngineDeps {
    const publish = this.publish;
    return {
      kube: new LazyKubeClient(() => this.connect(scope)),
      // helm renders against the cluster (capabilities, lookup, ownership) with the task's own credentials
      renderer: new HelmCliRenderer({
        helmBinary: this.config.helmBinary,
        kubeconfig: async () => writeKubeconfig({ cluster: await this.connection(scope) }, path.join(tmpdir(), 'helm-sfn-kube', `${process.pid}.yaml`)),
      }),
      fetch: this.fetch,
      fetchChart: this.fetchChart,
      localSources: false,
      inputPolicy: {
        pollSeconds: this.config.pollSeconds,
        resolveCluster: (key) => resolveClusterKey(this.config.clusters, key),
      },
      clock: this.clock,
      logger: this.logger,
      ...(publish ? { notify: (change) => publish({ ...change, cluster: change.cluster ?? scope.cluster, execution: scope.execution }) } : {}),
      sleep: (ms) => sleep(ms),
    };
  }

  private connection(scope: InvocationScope): Promise<ClusterConnection> {
    return this.access.connect(resolveClusterKey(this.config.clusters, scope.cluster));
  }

  /** The kube client of the scope's cluster (one per cluster and token, reused while the container lives). */
  private async connect(scope: InvocationScope): Promise<KubeClient> {
    const key = resolveClusterKey(this.config.clusters, scope.cluster);
    const connection = await this.connection(scope);
    // joins CloudTrail and the cluster's audit log (they show the role session) to this line's execution
    this.logger.info('cluster connection', { cluster: key, roleSession: this.config.sessionName });
    const cached = this.clients.get(key);
    if (cached?.token === connection.token) return cached.client;
    // the cluster refused the token (401/403): new credentials, once per refused request (the adapter's retry)
    const client = this.kubeClient(connection, async () => {
      const renewed = await this.access.refresh(key);
      this.logger.info('cluster credentials renewed after the cluster refused them', { cluster: key });
      this.clients.set(key, { token: renewed.token, client });
      return renewed;
    });
    this.clients.set(key, { token: connection.token, client });
    return client;
  }
}
