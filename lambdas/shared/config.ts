/** The function's configuration, read once per container from the environment the construct set. */
import { randomBytes } from 'crypto';
import { LambdaEnv, LAYER_HELM_BINARY } from '../../lib/core/runtime-contract';
import { ErrorName, HelmSfnError } from '../../lib/core/errors';
import { containerSessionName } from '../../lib/kube/aws/cluster-access';
import { parseClusterRegistry, type ClusterRegistry } from '../../lib/kube/aws/registry';

export interface LambdaConfig {
  readonly region: string;
  readonly clusters: ClusterRegistry;
  /** Absent: status changes are only logged. */
  readonly eventBus?: string;
  readonly pollSeconds?: { readonly min?: number; readonly max?: number; readonly watch?: number };
  readonly helmBinary: string;
  /** Registry hosts authenticated with ecr:GetAuthorizationToken besides `*.dkr.ecr.*` names. */
  readonly ecrRegistries?: readonly string[];
  /** RoleSessionName of this container's AssumeRole calls (see containerSessionName). */
  readonly sessionName: string;
}

export function readLambdaConfig(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    clusters: parseClusterRegistry(json(env, LambdaEnv.clusters, {}), LambdaEnv.clusters),
    ...(env[LambdaEnv.eventBus] ? { eventBus: env[LambdaEnv.eventBus] } : {}),
    ...(env[LambdaEnv.pollSeconds] ? { pollSeconds: json(env, LambdaEnv.pollSeconds, {}) as LambdaConfig['pollSeconds'] } : {}),
    helmBinary: env[LambdaEnv.helmBinary] ?? LAYER_HELM_BINARY,
    ...(env[LambdaEnv.ecrRegistries] ? { ecrRegistries: stringList(json(env, LambdaEnv.ecrRegistries, []), LambdaEnv.ecrRegistries) } : {}),
    sessionName: containerSessionName(env.AWS_LAMBDA_LOG_STREAM_NAME, randomBytes(16).toString('hex')),
  };
}

function json(env: NodeJS.ProcessEnv, name: string, fallback: unknown): unknown {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HelmSfnError(ErrorName.InvalidInput, `environment variable ${name}: must be JSON (${(e as Error).message})`, { cause: e });
  }
}

function stringList(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new HelmSfnError(ErrorName.InvalidInput, `environment variable ${name}: must be a JSON list of strings`);
  return v;
}
