/**
 * Execution input v1 (docs/architecture.md#the-execution-input): one contract for the CLI, the console and events.
 * Every problem is reported at once, each naming the field path and the rule it breaks.
 */
import { z } from 'zod';
import { ErrorName, HelmSfnError } from './errors';
import { isPlainObject } from './objects';
import { HOOK_MODES } from './ordering';
import { DEFAULT_MAX_POLL_SECONDS, DEFAULT_WATCH_SECONDS, ELAPSED_SHARE, MAX_WATCH_SECONDS } from './polling';
import { RELEASE_ACTIONS, type ReleaseAction } from './plan';
import { MAX_TIMEOUT_SECONDS } from './duration';

/** Actions that render a chart; the others work from a stored revision. */
const RENDERING_ACTIONS: readonly ReleaseAction[] = ['install', 'upgrade'];

export const MAX_VALUES_BYTES = 64 * 1024;
export const MAX_VALUES_DEPTH = 32;
export { MAX_TIMEOUT_SECONDS };

export interface ParseOptions {
  /** Accept local file paths as chart and values sources (the local runner and the CLI). Default false. */
  allowLocalPaths?: boolean;
}

// The contract asks for "a DNS-1053 label ≤ 53 chars", i.e. an RFC 1035 label. That is stricter than
// Helm 4 (`pkg/chart/common/util/validate_name.go` ValidateReleaseName: a DNS-1123 subdomain-like
// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`, max 53), so releases the helm
// CLI named with a leading digit or a dot cannot be driven by helm-sfn.
const RELEASE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const RELEASE_RULE = "must be a DNS-1053 label (lowercase letters, digits and '-', starting with a letter, ending alphanumeric), at most 53 characters";
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAMESPACE_RULE = "must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending alphanumeric), at most 63 characters";
const CLUSTER_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const CLUSTER_RULE = "must be a cluster key (letters, digits, '_', '.' and '-', starting with a letter or digit), at most 63 characters";

const S3_URL = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+$/;
const OCI_URL = /^oci:\/\/[^\s/]+\/\S+$/;
const HTTPS_URL = /^https:\/\/[^\s/]+(\/\S*)?$/;
/** Not a flag (helm would read it as one), no control characters. */
const LOCAL_PATH = /^(?!-)[^\x00-\x1f]+$/;
const MAX_SOURCE_CHARS = 2048;
const S3_RULE = 's3://bucket/key (bucket: 3 to 63 lowercase letters, digits, dots and hyphens)';

const SET_ITEM = /^[^=\s][^=]*=/;
const SET_ITEM_RULE = 'must be "key=value" like helm --set (a non-empty key), at most 4096 characters';
const MAX_SET_ITEM_CHARS = 4096;
const MAX_SET_ITEMS = 100;

/**
 * Error map of one field: the rule sentence plus what was received (unknown fields: see
 * fallbackMessage). `echo: false` for fields that may hold secrets (`set`): errors are logged.
 */
function rule(text: string, echo = true) {
  return {
    error: (iss: { code?: string; input?: unknown }) =>
      iss.code === 'unrecognized_keys' ? undefined : iss.input === undefined ? `missing; ${text}` : echo ? `${text}; got ${show(iss.input)}` : text,
  };
}

function show(v: unknown): string {
  if (typeof v === 'string') return v.length > 60 ? `${JSON.stringify(v.slice(0, 57))}… (${v.length} characters)` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const bool = (text = 'must be true or false') => z.boolean(rule(text)).default(false);
function int(min: number, max: number, text = `must be an integer from ${min} to ${max}`) {
  const r = rule(text);
  return z.int(r).min(min, r).max(max, r);
}
const pattern = (re: RegExp, maxChars: number, text: string, echo = true) => {
  const r = rule(text, echo);
  return z.string(r).max(maxChars, r).regex(re, r);
};

function sourceSchema(schemes: RegExp[], text: string, allowLocal: boolean) {
  const r = rule(allowLocal ? `${text} or a local path` : `${text} (local paths only when running locally)`);
  const accepted = allowLocal ? [...schemes, LOCAL_PATH] : schemes;
  return z
    .string(r)
    .min(1, r)
    .max(MAX_SOURCE_CHARS, r)
    .refine((s) => accepted.some((re) => re.test(s)), r)
    .meta({ pattern: accepted.map((re) => re.source).join('|') });
}

/** A Date or another class instance passes isPlainObject but is not JSON (the CLI and the construct pass objects). */
function hasObjectPrototype(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** `values` is user data: plain JSON only, bounded in depth and size. */
function valuesProblem(v: unknown): string | undefined {
  if (!isPlainObject(v)) return `got ${show(v)}`;
  let nodes = 0;
  const walk = (x: unknown, at: string, depth: number): string | undefined => {
    if (++nodes > MAX_VALUES_BYTES) return `it is larger than ${MAX_VALUES_BYTES / 1024} KiB`;
    if (depth > MAX_VALUES_DEPTH) return `it is nested deeper than ${MAX_VALUES_DEPTH} levels (at ${at})`;
    if (x === null || typeof x === 'string' || typeof x === 'boolean') return undefined;
    if (typeof x === 'number') return Number.isFinite(x) ? undefined : `${at} is ${x}, not a JSON number`;
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) {
        const p = walk(x[i], `${at}[${i}]`, depth + 1);
        if (p) return p;
      }
      return undefined;
    }
    if (!isPlainObject(x) || !hasObjectPrototype(x)) return `${at} is ${show(x)}, not JSON`;
    for (const [k, child] of Object.entries(x)) {
      const p = walk(child, `${at}.${k.length > 40 ? `${k.slice(0, 39)}…` : k}`, depth + 1);
      if (p) return p;
    }
    return undefined;
  };
  const problem = walk(v, 'values', 0);
  if (problem) return problem;
  const bytes = new TextEncoder().encode(JSON.stringify(v)).length;
  return bytes > MAX_VALUES_BYTES ? `it is ${bytes} bytes as JSON` : undefined;
}


const VALUES_RULE = `must be a JSON object of at most ${MAX_VALUES_BYTES / 1024} KiB and ${MAX_VALUES_DEPTH} levels (inline, non-secret values)`;

const VERSION_RULE = 'must be a chart version or a Helm version constraint such as "1.2.3", "^1.2" or ">=1.0 <2", at most 128 characters';
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REPO_URL = /^https?:\/\/[^\s/]+(\/\S*)?$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const CHART_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;

/**
 * Where a chart comes from (README, "Chart sources"): `source` (oci://, https://…tgz,
 * s3://, a local path) or a Helm repository (`repo` + `name`); `version` and `digest` pin it.
 * Credentials never travel in the input: only the ARN of the secret holding them.
 */
function chartSchema(allowLocal: boolean) {
  return z.strictObject(
    {
      source: sourceSchema([S3_URL, OCI_URL, HTTPS_URL], `must be an ${S3_RULE}, oci://registry/repository/chart or https://…/chart.tgz URL`, allowLocal)
        .optional()
        .meta({ description: 'oci://registry/repository/chart, https://…/chart.tgz, s3://bucket/key; or give repo and name.' }),
      repo: pattern(REPO_URL, MAX_SOURCE_CHARS, 'must be the https:// URL of a Helm repository (http:// only with plainHttp)').optional().meta({ description: 'A Helm repository (its index.yaml resolves name and version), like helm --repo.' }),
      name: pattern(CHART_NAME, 253, 'must be a chart name (letters, digits, _ . -)').optional().meta({ description: 'The chart in repo.' }),
      version: pattern(/^(?!-)[^\x00-\x1f]+$/, 128, VERSION_RULE).optional().meta({ description: 'oci and repo: a version or constraint, resolved as helm --version does (the highest matching version).' }),
      digest: pattern(DIGEST, 71, 'must be sha256: and 64 lowercase hex digits').optional().meta({ description: 'Pins the chart: oci, the manifest digest (what helm push prints); repo and https, the sha256 of the archive. Verified.' }),
      credentialsSecretArn: pattern(SECRET_ARN, 2048, 'must be a Secrets Manager secret ARN').optional().meta({ description: 'AWS: the secret with the registry or repository credentials ({"username","password"} or {"token"}).' }),
      plainHttp: z.boolean(rule('must be true or false')).optional().meta({ description: 'Reach the registry or repository over plain HTTP (helm --plain-http).' }),
      insecureSkipTlsVerify: z.boolean(rule('must be true or false')).optional().meta({ description: "Skip the server certificate's verification (helm --insecure-skip-tls-verify)." }),
      caBundle: sourceSchema([S3_URL], `must be an ${S3_RULE} URL of a PEM file`, allowLocal).optional().meta({ description: 'PEM CA bundle that signs the server certificate (helm --ca-file).' }),
    },
    rule('must be an object { source | repo + name, version?, digest?, credentialsSecretArn?, plainHttp?, insecureSkipTlsVerify?, caBundle? }'),
  );
}

/** Which fields each kind of chart source takes: one rule per field, naming the kind. */
function chartRules(chart: Record<string, unknown>, add: (path: (string | number)[], message: string) => void): void {
  const source = typeof chart.source === 'string' ? chart.source : undefined;
  const kind = chartKind(chart);
  if (source === undefined && chart.repo === undefined) return add(['chart', 'source'], 'missing; give source (oci://, https://, s3:// or a path) or repo and name');
  const aKind = kind === 's3' ? 'an s3' : `a ${kind}`;
  if (source !== undefined && chart.repo !== undefined) add(['chart', 'repo'], 'cannot be combined with chart.source (a repository chart is repo + name)');
  if (chart.repo !== undefined && chart.name === undefined) add(['chart', 'name'], 'missing; required with chart.repo');
  if (chart.name !== undefined && chart.repo === undefined) add(['chart', 'name'], 'only allowed with chart.repo (an oci:// source names its chart in the URL)');
  if (chart.version !== undefined && kind !== 'oci' && kind !== 'repo') add(['chart', 'version'], `only allowed for oci:// and repository charts (${aKind} chart has one version)`);
  if (kind === 'oci' && chart.version !== undefined && chart.digest !== undefined) add(['chart', 'digest'], 'cannot be combined with chart.version for an oci:// chart (the digest pins it)');
  const remote = kind === 'oci' || kind === 'repo' || kind === 'https';
  for (const field of ['digest', 'credentialsSecretArn', 'plainHttp', 'insecureSkipTlsVerify', 'caBundle'] as const) {
    if (chart[field] !== undefined && chart[field] !== false && !remote) add(['chart', field], `only allowed for oci://, https:// and repository charts; got ${aKind} chart`);
  }
  if (source !== undefined && /@sha256:/.test(source)) add(['chart', 'source'], 'must not hold a digest; give it as chart.digest');
  if (typeof chart.repo === 'string' && chart.repo.startsWith('http://') && chart.plainHttp !== true) add(['chart', 'repo'], 'http:// only with chart.plainHttp: true');
}

export type ChartKind = 'oci' | 'repo' | 'https' | 's3' | 'local';

export function chartKind(chart: { source?: unknown; repo?: unknown }): ChartKind {
  if (chart.repo !== undefined) return 'repo';
  const source = String(chart.source ?? '');
  if (source.startsWith('oci://')) return 'oci';
  if (source.startsWith('https://')) return 'https';
  if (source.startsWith('s3://')) return 's3';
  return 'local';
}

function buildSchema(allowLocal: boolean) {
  const pollSeconds = z
    .strictObject({
      min: int(1, 300).default(2).meta({ description: 'Shortest wait between polls of a hook group or resource wait.' }),
      max: int(1, 3600, 'must be an integer from options.pollSeconds.min to 3600')
        .optional()
        .meta({ description: `Longest wait between polls; the wait is ${ELAPSED_SHARE * 100} % of the time waited so far, within min and max. Default 3600.` }),
      watch: int(0, MAX_WATCH_SECONDS)
        .default(DEFAULT_WATCH_SECONDS)
        .meta({ description: 'Seconds each poll watches its objects before returning (a finished hook is seen at once); 0 = look only.' }),
    })
    .prefault({})
    .transform((p) => ({ min: p.min, max: p.max ?? DEFAULT_MAX_POLL_SECONDS, watch: p.watch }));

  const options = z
    .strictObject({
      // Step Functions' longest execution (a year) bounds it, nothing shorter: helm takes `--timeout 48h`
      timeoutSeconds: int(1, MAX_TIMEOUT_SECONDS).default(300).meta({ description: 'Per hook group and for the resource wait (Helm --timeout).' }),
      wait: bool().meta({ description: 'Wait for resources to be ready after applying them (Helm --wait).' }),
      atomic: bool().meta({ description: 'On failure roll back (upgrade) or uninstall (install) (Helm --atomic).' }),
      noHooks: bool().meta({ description: 'Skip hooks (Helm --no-hooks).' }),
      hookMode: z
        .enum(HOOK_MODES, rule(`must be one of ${HOOK_MODES.map((m) => `"${m}"`).join(', ')}`))
        .default('weight-groups')
        .meta({ description: 'weight-groups: hooks of equal weight run together; sequential: one at a time, as Helm does.' }),
      historyMax: int(0, 1000).default(10).meta({ description: 'Revisions kept per release; 0 = unlimited (Helm --history-max).' }),
      keepHistory: bool().meta({ description: 'uninstall: keep the release records (Helm --keep-history).' }),
      createNamespace: bool().meta({ description: 'install (and upgrade --install): create the release namespace if it does not exist (Helm --create-namespace).' }),
      installIfMissing: bool().meta({ description: 'upgrade: install when the release does not exist (Helm upgrade --install).' }),
      reuseValues: bool().meta({ description: "upgrade: merge the last revision's values (Helm --reuse-values)." }),
      resetValues: bool().meta({ description: "upgrade: use only the chart's values and this input's (Helm --reset-values)." }),
      serverSide: z
        .union([z.boolean(), z.literal('auto')], rule('must be true, false or "auto"'))
        .optional()
        .meta({ description: 'Server-side apply (Helm 4 --server-side). install: default true; upgrade and rollback: default "auto" = the method the last revision used (client-side for Helm 3 releases).' }),
      forceConflicts: bool().meta({ description: 'Server-side apply takes fields other managers own (Helm --force-conflicts).' }),
      forceReplace: bool().meta({ description: 'Replace objects (PUT) instead of patching them (Helm --force-replace).' }),
      takeOwnership: bool().meta({ description: 'Adopt existing objects that no release, or another release, owns (Helm --take-ownership).' }),
      pollSeconds,
    })
    .prefault({});

  return z
    .strictObject({
      action: z.enum(RELEASE_ACTIONS, rule(`must be one of ${RELEASE_ACTIONS.join(', ')}`)),
      release: pattern(RELEASE_NAME, 53, RELEASE_RULE).meta({ description: 'Release name.' }),
      namespace: pattern(DNS1123_LABEL, 63, NAMESPACE_RULE).meta({ description: 'Namespace of the release and its records.' }),
      cluster: pattern(CLUSTER_KEY, 63, CLUSTER_RULE).optional().meta({ description: "Key in the orchestrator's cluster registry." }),
      chart: chartSchema(allowLocal).optional().meta({ description: 'install and upgrade only; upgrade with options.reuseValues may omit it (the last revision\'s pinned source).' }),
      values: z
        .unknown()
        .superRefine((v, ctx) => {
          const problem = valuesProblem(v);
          if (problem) ctx.addIssue({ code: 'custom', message: `${VALUES_RULE}; ${problem}` });
        })
        .transform((v) => v as Record<string, unknown>)
        .optional()
        .meta({ type: 'object', description: 'Inline, non-secret values, merged after valuesFrom.' }),
      valuesFrom: z
        .array(sourceSchema([S3_URL], `must be an ${S3_RULE} URL`, allowLocal), rule('must be a list of values file sources'))
        .max(20, rule('must list at most 20 values files'))
        .optional()
        .meta({ description: 'Values files, merged in order.' }),
      setFrom: z
        .array(sourceSchema([S3_URL], `must be an ${S3_RULE} URL`, allowLocal), rule('must be a list of set file sources'))
        .max(20, rule('must list at most 20 set files'))
        .optional()
        .meta({ description: 'Files of helm --set items (a JSON list of "key=value" strings), applied after values, before set. The CLI passes --set this way.' }),
      set: z
        .array(pattern(SET_ITEM, MAX_SET_ITEM_CHARS, SET_ITEM_RULE, false), rule('must be a list of "key=value" strings'))
        .max(MAX_SET_ITEMS, rule(`must have at most ${MAX_SET_ITEMS} entries`))
        .optional()
        .meta({ description: 'Like helm --set; applied last. Inline, so in the execution history: never secrets.' }),
      revision: int(1, Number.MAX_SAFE_INTEGER, 'must be a positive integer').optional().meta({ description: 'rollback target; default: the previous revision.' }),
      options,
    })
    .superRefine(crossFieldRules, { when: () => true });
}

/** Rules between fields; they also run when some field failed, so every problem is reported at once. */
function crossFieldRules(input: unknown, ctx: z.RefinementCtx): void {
  if (!isPlainObject(input) || !RELEASE_ACTIONS.includes(input.action as ReleaseAction)) return;
  const action = input.action as ReleaseAction;
  const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const renders = RENDERING_ACTIONS.includes(action);
  const options = isPlainObject(input.options) ? input.options : {};
  // upgrade --reuse-values without a chart keeps the last revision's pinned source
  const chartOptional = action === 'upgrade' && options.reuseValues === true;
  if (renders && input.chart === undefined && !chartOptional) add(['chart'], `missing; required for action "${action}"`);
  if (isPlainObject(input.chart)) chartRules(input.chart, add);
  for (const field of ['chart', 'values', 'valuesFrom', 'setFrom', 'set'] as const) {
    if (!renders && input[field] !== undefined) {
      add([field], `not allowed for action "${action}" (only install and upgrade render a chart; ${action} uses a stored revision)`);
    }
  }
  if (action !== 'rollback' && input.revision !== undefined) add(['revision'], `only allowed for action "rollback"`);
  if (options.reuseValues === true && options.resetValues === true) {
    add(['options', 'resetValues'], 'cannot be combined with options.reuseValues (choose one)');
  }
  const poll = isPlainObject(options.pollSeconds) ? options.pollSeconds : {};
  if (typeof poll.min === 'number' && typeof poll.max === 'number' && poll.max < poll.min) {
    add(['options', 'pollSeconds', 'max'], `must be at least options.pollSeconds.min (${poll.min}); got ${poll.max}`);
  }
}

const schemas = { remote: buildSchema(false), local: buildSchema(true) };

export type ExecutionInput = z.output<typeof schemas.remote>;
export type ExecutionOptions = ExecutionInput['options'];
/** `options` as an input may give it: every field optional, defaults filled in by {@link parseExecutionInput}. */
export type ExecutionOptionsInput = NonNullable<z.input<typeof schemas.remote>['options']>;
/** The input's `chart`: where it comes from and what pins it. */
export type ChartSpec = NonNullable<ExecutionInput['chart']>;

/**
 * Validates and normalises an execution input (defaults filled in). Throws
 * `HelmSfnError(InvalidInput)` whose message lists every problem as `<path>: <rule>; got <value>`.
 */
export function parseExecutionInput(raw: unknown, opts: ParseOptions = {}): ExecutionInput {
  if (!isPlainObject(raw)) throw new HelmSfnError(ErrorName.InvalidInput, `input: must be a JSON object; got ${show(raw)}`);
  const result = (opts.allowLocalPaths ? schemas.local : schemas.remote).safeParse(raw, { error: fallbackMessage });
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  throw new HelmSfnError(ErrorName.InvalidInput, [...new Set(lines)].join('\n'));
}

/** Messages for issues no field rule covers: unknown fields (strict objects). */
function fallbackMessage(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code !== 'unrecognized_keys') return undefined;
  const shape = (iss.inst as { shape?: Record<string, unknown> } | undefined)?.shape;
  const names = iss.keys.map((k) => show(k)).join(', ');
  return `unknown field${iss.keys.length > 1 ? 's' : ''} ${names}${shape ? `; allowed: ${Object.keys(shape).join(', ')}` : ''}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'input';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** JSON Schema (draft 2020-12) of the input as a caller writes it, for the README and console docs. */
export function executionInputJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(schemas.remote, { io: 'input' }) as Record<string, unknown>;
}

/**
 * The input with a deployment's default poll intervals, unless it sets its own (an input that
 * is not an object, or whose options are not one, is left for the validation to report).
 */
export function withDefaultPollSeconds(raw: unknown, pollSeconds: { min?: number; max?: number; watch?: number } | undefined): unknown {
  if (!pollSeconds || !isPlainObject(raw)) return raw;
  const options = raw.options === undefined ? {} : raw.options;
  if (!isPlainObject(options) || options.pollSeconds !== undefined) return raw;
  return { ...raw, options: { ...options, pollSeconds } };
}

/**
 * The items of a set file (`setFrom`): a JSON list of helm `--set` strings. They reach helm as
 * `--set` arguments, so Helm's own parser gives them Helm's meaning (type inference, `a.b=c`
 * paths, `list[0]=x` indexes into the list the values files built). Messages never quote an item:
 * set files hold what was kept out of the execution input because it may be secret.
 */
export function parseSetFile(text: string, where: string): string[] {
  const fail = (rule: string): never => {
    throw new HelmSfnError(ErrorName.InvalidInput, `${where}: ${rule}`);
  };
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch {
    fail('must be a JSON list of "key=value" strings (not JSON)');
  }
  if (!Array.isArray(items)) return fail('must be a JSON list of "key=value" strings');
  if (items.length > MAX_SET_ITEMS) fail(`must have at most ${MAX_SET_ITEMS} items; it has ${items.length}`);
  items.forEach((item, i) => {
    if (typeof item !== 'string' || item.length > MAX_SET_ITEM_CHARS || !SET_ITEM.test(item)) fail(`[${i}] ${SET_ITEM_RULE}`);
  });
  return items as string[];
}
