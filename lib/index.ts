/**
 * The package's API (`import { HelmReleaseOrchestrator } from 'helm-sfn'`): the construct, the
 * target-account role, and the contract of what starts a release and what a release returns.
 * Everything else under lib/ is internal and may change in any release.
 */
export {
  HelmReleaseOrchestrator,
  imageUpdateInput,
  type ExecutionLoggingOptions,
  type FunctionLogLevel,
  type HelmReleaseOrchestratorProps,
  type ImageUpdateTrigger,
  type PollSettings,
  type ReleaseEventsOptions,
} from './construct/orchestrator';
export { ClusterDeployerRole, type ClusterDeployerRoleProps } from './construct/cluster-deployer-role';
export type { ClusterTarget, EksClusterTarget, EndpointClusterTarget } from './kube/aws/registry';
export { executionInputJsonSchema, parseExecutionInput, type ExecutionInput, type ExecutionOptions } from './core/input';
export type { HookSummary, ReleaseOutput } from './core/contract';
export { ErrorName, HelmSfnError } from './core/errors';
export { CHART_BUCKET_TAG, EVENT_SOURCE, RELEASE_REQUESTED_DETAIL_TYPE, STATUS_CHANGE_DETAIL_TYPE, type StartRequest } from './core/runtime-contract';
