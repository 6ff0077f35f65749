/**
 * The orchestrator's registry of target clusters: the construct validates it at synth time and
 * hands it to the Lambdas as JSON in an environment variable, which parse it again with the same
 * rules. It holds names and ARNs only, never credentials: a non-EKS cluster's bearer token stays
 * in Secrets Manager and is read at run time.
 */
import { z } from 'zod';
import { ErrorName, HelmSfnError } from '../../core/errors';

/** An EKS cluster, reached with a token from STS; `roleArn` for clusters in other accounts. */
export interface EksClusterTarget {
  /** The EKS cluster name. */
  readonly clusterName: string;
  /** Region of the cluster; default: the orchestrator's region. */
  readonly region?: string;
  /** A role to assume first (a `ClusterDeployerRole` in the cluster's account). */
  readonly roleArn?: string;
  /** The external id the role's trust policy requires. */
  readonly externalId?: string;
}

/** Any other API server: its URL and CA, and a Secrets Manager secret holding a bearer token. */
export interface EndpointClusterTarget {
  /** https:// URL of the API server. */
  readonly endpoint: string;
  /** Base64 of the PEM CA bundle that signs the API server's certificate (kubeconfig's certificate-authority-data). */
  readonly caData?: string;
  /** ARN of a Secrets Manager secret whose SecretString is the bearer token (e.g. a ServiceAccount token). */
  readonly tokenSecretArn: string;
}

export type ClusterTarget = EksClusterTarget | EndpointClusterTarget;
export type ClusterRegistry = Readonly<Record<string, ClusterTarget>>;

export const isEksTarget = (t: ClusterTarget): t is EksClusterTarget => 'clusterName' in t;

// The same rule as the execution input's `cluster` field (lib/core/input.ts), so every key is addressable.
const CLUSTER_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
// EKS CreateCluster: 1-100 characters, starting alphanumeric.
const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
// STS AssumeRole ExternalId: 2-1224 characters of [\w+=,.@:/-].
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;
const HTTPS_URL = /^https:\/\/[^\s/]+(\/\S*)?$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Tells whether a string is a CDK token (`${Token[...]}`), which is checked at deploy time instead. */
export type IsToken = (value: string) => boolean;

function text(re: RegExp, ruleText: string, isToken: IsToken) {
  return z.string({ error: (iss) => (iss.input === undefined ? `missing; ${ruleText}` : `${ruleText}; got a ${typeof iss.input}`) }).refine(
    (s) => isToken(s) || re.test(s),
    { error: (iss) => `${ruleText}; got ${JSON.stringify(String(iss.input).slice(0, 80))}` },
  );
}

function registrySchema(isToken: IsToken) {
  const eks = z.strictObject({
    clusterName: text(EKS_CLUSTER_NAME, 'must be an EKS cluster name (1-100 letters, digits, - and _, starting alphanumeric)', isToken),
    region: text(REGION, 'must be an AWS region such as eu-west-1', isToken).optional(),
    roleArn: text(ROLE_ARN, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)', isToken).optional(),
    externalId: text(EXTERNAL_ID, 'must be 2-1224 characters of letters, digits and +=,.@:/-_', isToken).optional(),
  });
  const endpoint = z.strictObject({
    endpoint: text(HTTPS_URL, 'must be an https:// URL of the API server', isToken),
    caData: text(BASE64, 'must be base64 of a PEM CA bundle (certificate-authority-data)', isToken).optional(),
    tokenSecretArn: text(SECRET_ARN, 'must be a Secrets Manager secret ARN', isToken),
  });
  const target = z.unknown().transform((value, ctx): ClusterTarget => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: `must be { clusterName, region?, roleArn?, externalId? } or { endpoint, caData?, tokenSecretArn }; got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}` });
      return z.NEVER;
    }
    const schema = 'endpoint' in value ? endpoint : eks;
    const parsed = schema.safeParse(value, { error: unknownFields });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      return z.NEVER;
    }
    if ('externalId' in parsed.data && parsed.data.externalId !== undefined && parsed.data.roleArn === undefined) {
      ctx.addIssue({ code: 'custom', path: ['externalId'], message: 'only allowed with roleArn (it is sent when assuming that role)' });
    }
    return parsed.data;
  });
  return z.record(
    z.string().refine((k) => CLUSTER_KEY.test(k), {
      error: (iss) => `cluster key ${JSON.stringify(iss.input)} must be letters, digits, '_', '.' and '-', starting with a letter or digit, at most 63 characters`,
    }),
    target,
    { error: (iss) => (iss.code === 'invalid_type' ? 'must be an object of cluster key → { clusterName, region?, roleArn?, externalId? } or { endpoint, caData?, tokenSecretArn }' : undefined) },
  );
}

function unknownFields(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code !== 'unrecognized_keys') return undefined;
  return `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => JSON.stringify(k)).join(', ')}; an EKS cluster has clusterName, region, roleArn, externalId; another cluster has endpoint, caData, tokenSecretArn`;
}

/**
 * Validates a registry. `where` names it in errors (a construct prop, an environment variable);
 * every problem is reported at once as `<where>.<key>.<field>: <rule>`.
 */
export function parseClusterRegistry(raw: unknown, where: string, isToken: IsToken = () => false): ClusterRegistry {
  const result = registrySchema(isToken).safeParse(raw, { error: unknownFields });
  if (result.success) return result.data;
  const lines = result.error.issues.flatMap((i) =>
    // a bad key is reported at the registry, with the key's own rule
    i.code === 'invalid_key' ? i.issues.map((k) => `${where}: ${k.message}`) : [`${[where, ...i.path.map(String)].join('.')}: ${i.message}`],
  );
  throw new HelmSfnError(ErrorName.InvalidInput, [...new Set(lines)].join('\n'));
}

/**
 * The registry key an execution targets: the input's `cluster`, or the only key when the
 * registry has exactly one. Errors name the input field, for the first state's failure cause.
 */
export function resolveClusterKey(registry: ClusterRegistry, key: string | undefined): string {
  const keys = Object.keys(registry);
  const known = keys.length ? `known: ${keys.join(', ')}` : "the orchestrator's registry is empty";
  if (key === undefined) {
    if (keys.length === 1) return keys[0];
    throw new HelmSfnError(ErrorName.InvalidInput, `cluster: missing; required when the orchestrator has ${keys.length === 0 ? 'no clusters' : `${keys.length} clusters`} (${known})`);
  }
  if (!Object.hasOwn(registry, key)) throw new HelmSfnError(ErrorName.InvalidInput, `cluster: ${JSON.stringify(key)} is not in the orchestrator's cluster registry (${known})`);
  return key;
}
