/**
 * Engine deps inside Lambda, chosen per invocation: the cluster is the registry entry named by
 * the event's `ctx.cluster` (and the execution's name becomes the assumed role's session name).
 * Connections, tokens and kube clients are cached per cluster key across invocations.
 */
import { tmpdir } from 'os';
import * as path from 'path';
import { setTimeout as sleep } from 'timers/promises';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import type { EngineDeps, Logger } from '../../lib/engine/deps';
import { HelmCliRenderer } from '../../lib/helm/renderer';
import { ClusterAccess, executionNameOf, type ClusterConnection } from '../../lib/kube/aws/cluster-access';
import { resolveClusterKey } from '../../lib/kube/aws/registry';
import type { KubeClient } from '../../lib/kube/client';
import { ClientNodeKubeClient, loadKubeConfig, writeKubeconfig } from '../../lib/kube/client-node';
import type { LambdaConfig } from './config';
import { LazyKubeClient } from './lazy-kube';
import { engineLogger } from './powertools';
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
  readonly access?: Pick<ClusterAccess, 'connect'>;
  readonly s3?: S3Client;
  readonly events?: EventBridgeClient;
  readonly kubeClient?: (connection: ClusterConnection) => KubeClient;
  readonly logger?: Logger;
  readonly clock?: () => Date;
}

export class AwsDeps {
  private readonly access: Pick<ClusterAccess, 'connect'>;
  private readonly fetch: (source: string) => Promise<string>;
  private readonly publish?: ReturnType<typeof statusPublisher>;
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly kubeClient: (connection: ClusterConnection) => KubeClient;
  /** One kube client per cluster key, rebuilt when its token changes. */
  private readonly clients = new Map<string, { token: string; client: KubeClient }>();

  constructor(
    private readonly config: LambdaConfig,
    opts: AwsDepsOptions = {},
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.access = opts.access ?? new ClusterAccess(config.clusters, { defaultRegion: config.region, clock: this.clock });
    this.fetch = s3Fetcher(opts.s3 ?? new S3Client({ region: config.region }), path.join(tmpdir(), 'helm-sfn-sources'));
    if (config.eventBus) this.publish = statusPublisher(opts.events ?? new EventBridgeClient({ region: config.region }), config.eventBus);
    this.logger = opts.logger ?? engineLogger();
    this.kubeClient = opts.kubeClient ?? ((c) => new ClientNodeKubeClient(loadKubeConfig({ cluster: c })));
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
      localSources: false,
      inputPolicy: { pollSeconds: this.config.pollSeconds, resolveCluster: (key) => resolveClusterKey(this.config.clusters, key) },
      clock: this.clock,
      logger: this.logger,
      ...(publish ? { notify: (change) => publish({ ...change, cluster: change.cluster ?? scope.cluster, execution: scope.execution }) } : {}),
      sleep: (ms) => sleep(ms),
    };
  }

  private connection(scope: InvocationScope): Promise<ClusterConnection> {
    return this.access.connect(resolveClusterKey(this.config.clusters, scope.cluster), executionNameOf(scope.execution));
  }

  private async connect(scope: InvocationScope): Promise<KubeClient> {
    const key = resolveClusterKey(this.config.clusters, scope.cluster);
    const connection = await this.connection(scope);
    const cached = this.clients.get(key);
    if (cached?.token === connection.token) return cached.client;
    const client = this.kubeClient(connection);
    this.clients.set(key, { token: connection.token, client });
    return client;
  }
}
