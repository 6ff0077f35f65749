/**
 * KubeClient over plain HTTP requests, with @kubernetes/client-node used only for what it does
 * well: reading kubeconfigs and authenticating requests (tokens, exec plugins, client
 * certificates, CAs). This is the only module that imports it.
 *
 * Objects are sent and received as raw JSON, never through client-node's typed models: those
 * drop or rename fields they do not model (a NetworkPolicy's `from`, a CRD schema's `enum`,
 * `default` and `x-kubernetes-*`; kubernetes-client/javascript#2825), which loses data.
 * Resource paths come from the API server's discovery, as kubectl and helm map kinds.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import * as k8s from '@kubernetes/client-node';
import { ErrorName, HelmSfnError } from '../core/errors';
import { isPlainObject, type KubeObject, type ObjectRef } from '../core/objects';
import { AlreadyExistsError, unmappedKind, type ApplyOptions, type KubeClient, type ListOptions, type PatchType, type ServedResource, type WatchEvent, type WatchOptions } from './client';

/** collectionPath's marker for a list across namespaces (not a valid namespace name). */
const ALL_NAMESPACES = '*';

export interface KubeConfigSource {
  /** A kubeconfig file; default: $KUBECONFIG, then ~/.kube/config. */
  readonly kubeconfigPath?: string;
  /** A context of the kubeconfig; default: its current-context (helm's `--kube-context`). */
  readonly context?: string;
  /** An explicit cluster (EKS: endpoint, CA and a bearer token). */
  readonly cluster?: { server: string; caData?: string; token: string; skipTLSVerify?: boolean };
}

export function loadKubeConfig(source: KubeConfigSource = {}): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (source.cluster) {
    const { server, caData, token, skipTLSVerify } = source.cluster;
    kc.loadFromOptions({
      clusters: [{ name: 'target', server, caData, skipTLSVerify: skipTLSVerify ?? false }],
      users: [{ name: 'helm-sfn', token }],
      contexts: [{ name: 'target', cluster: 'target', user: 'helm-sfn' }],
      currentContext: 'target',
    });
    return kc;
  }
  const files = source.kubeconfigPath !== undefined ? [source.kubeconfigPath] : defaultKubeconfigs();
  const file = files.join(path.delimiter) || 'in-cluster';
  try {
    for (const f of files) fs.accessSync(f, fs.constants.R_OK);
    if (source.kubeconfigPath !== undefined) kc.loadFromFile(source.kubeconfigPath);
    else kc.loadFromDefault();
  } catch (e) {
    // client-node's errors are fs or YAML parser errors with stacks: one line naming the file
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message.split('\n')[0].replace(/^Error: /, ''));
    throw new HelmSfnError(ErrorName.InvalidInput, `kubeconfig ${file}: cannot read it: ${message}`);
  }
  if (source.context !== undefined) {
    if (!kc.getContextObject(source.context)) throw new HelmSfnError(ErrorName.InvalidInput, `--kube-context ${source.context}: no such context in ${file}`);
    kc.setCurrentContext(source.context);
  }
  // found now, not as a cluster that never answers (a workflow would retry that for minutes)
  if (!kc.getCurrentCluster()) throw new HelmSfnError(ErrorName.InvalidInput, `kubeconfig ${file}: its context ${JSON.stringify(kc.getCurrentContext() ?? '')} names no cluster it defines`);
  return kc;
}

/**
 * The files client-node's loadFromDefault reads: $KUBECONFIG's, else ~/.kube/config when it
 * exists, else none (in a pod: the service account). Each must then be readable: client-node
 * would skip an unreadable one without a word.
 */
function defaultKubeconfigs(): string[] {
  const listed = (process.env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (listed.length) return listed;
  const home = path.join(os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return [home];
  if (process.env.KUBERNETES_SERVICE_HOST) return [];
  throw new HelmSfnError(ErrorName.InvalidInput, 'no kubeconfig: give --kubeconfig, set KUBECONFIG or create ~/.kube/config');
}

/** The namespace of the kubeconfig's (current or given) context, as helm defaults `-n`; undefined when the context names none. */
export function contextNamespace(source: KubeConfigSource = {}): string | undefined {
  const kc = loadKubeConfig(source);
  return kc.getContextObject(kc.getCurrentContext())?.namespace || undefined;
}

/**
 * A kubeconfig file for other clients of the same cluster (the helm binary), private to this
 * process (0600): it may hold a bearer token.
 */
export async function writeKubeconfig(source: KubeConfigSource, file: string): Promise<string> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.promises.writeFile(file, loadKubeConfig(source).exportConfig(), { mode: 0o600 });
  return file;
}

export interface RequestPolicy {
  /** One attempt's limit; a stalled connection becomes KubeTransient after it. Default 20 s. */
  readonly attemptTimeoutMs?: number;
  /** How long one call keeps retrying transient failures (idempotent requests only). Default 20 s. */
  readonly retryBudgetMs?: number;
  /** First backoff; doubles per attempt with full jitter, capped at 4 s. Default 200 ms. */
  readonly backoffMs?: number;
  /**
   * Called once when the API server refuses the credentials (401/403): a rotated token or an
   * expired role session. It returns fresh credentials, and the request is tried again once.
   */
  readonly refreshCredentials?: () => Promise<k8s.KubeConfig>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const DEFAULTS = { attemptTimeoutMs: 20_000, retryBudgetMs: 20_000, backoffMs: 200 };
const MAX_BACKOFF_MS = 4_000;
const USER_AGENT = 'helm-sfn';

const CONTENT_TYPES: Record<PatchType, string> = {
  apply: 'application/apply-patch+yaml',
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

interface Request {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
  /** Safe to send again after a failure whose outcome is unknown (a reset, a 500, a timeout). */
  readonly idempotent: boolean;
  /** Plain text instead of JSON (pod logs). */
  readonly text?: boolean;
}

/** An API server answer other than 2xx, with its Status body when there is one. */
class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: { message?: string; reason?: string } | undefined,
    readonly retryAfterSeconds?: number,
  ) {
    super(status?.message ?? `HTTP ${code}`);
  }
}

export class ClientNodeKubeClient implements KubeClient {
  private readonly policy: Required<Omit<RequestPolicy, 'refreshCredentials'>> & Pick<RequestPolicy, 'refreshCredentials'>;
  /** group/version → its resources, from discovery; refreshed when a kind is missing (a CRD just created). */
  private readonly discovered = new Map<string, Promise<ServedResource[] | undefined>>();

  constructor(
    private kc: k8s.KubeConfig,
    policy: RequestPolicy = {},
  ) {
    this.policy = {
      ...DEFAULTS,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
      ...policy,
    };
  }

  async apply(obj: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
    const path = await this.objectPath(obj);
    // Helm 4's exact query (pkg/kube/client.go patchResourceServerSide)
    const query = { fieldManager: opts.fieldManager, fieldValidation: 'Strict', force: opts.force ?? false, ...(opts.dryRun ? { dryRun: 'All' } : {}) };
    return this.send(`apply ${describe(obj)}`, { method: 'PATCH', path, query, body: obj, contentType: CONTENT_TYPES.apply, idempotent: true });
  }

  async create(obj: KubeObject, opts: { fieldManager?: string; dryRun?: boolean } = {}): Promise<KubeObject> {
    const path = await this.collectionPath(obj.apiVersion, obj.kind, obj.metadata.namespace);
    const what = `create ${describe(obj)}`;
    try {
      // a POST that may have been processed is not sent again: a retry would report AlreadyExists for our own object
      return await this.send(what, { method: 'POST', path, query: { fieldManager: opts.fieldManager, ...(opts.dryRun ? { dryRun: 'All' } : {}) }, body: obj, idempotent: false });
    } catch (e) {
      if (e instanceof HelmSfnError && statusReason(e) === 'AlreadyExists') throw new AlreadyExistsError(e.message, { cause: e });
      throw e;
    }
  }

  async replace(obj: KubeObject): Promise<KubeObject> {
    const path = await this.objectPath(obj);
    // a PUT without resourceVersion is unconditional, so sending it twice is harmless
    return this.send(`replace ${describe(obj)}`, { method: 'PUT', path, body: obj, idempotent: !obj.metadata.resourceVersion });
  }

  async patch(ref: ObjectRef, patch: unknown, type: Exclude<PatchType, 'apply'>, opts: { fieldManager?: string } = {}): Promise<KubeObject> {
    const path = await this.objectPath(ref);
    // a patch computed against a known state gives the same object when applied twice
    return this.send(`patch ${describe(ref)}`, { method: 'PATCH', path, query: { fieldManager: opts.fieldManager }, body: patch, contentType: CONTENT_TYPES[type], idempotent: true });
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const path = await this.objectPath(ref);
    try {
      return await this.send(`get ${describe(ref)}`, { method: 'GET', path, idempotent: true });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    const path = await this.objectPath(ref);
    try {
      await this.send(`delete ${describe(ref)}`, { method: 'DELETE', path, query: { propagationPolicy: 'Background' }, idempotent: true });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async list(apiVersion: string, kind: string, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeObject[]> {
    // no namespace: every namespace (`kubectl get -A`), where other calls default to "default"
    const path = await this.collectionPath(apiVersion, kind, namespace ?? ALL_NAMESPACES);
    const query = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
    const result = await this.send<{ items?: KubeObject[] }>(`list ${kind}${namespace ? ` in ${namespace}` : ''}`, { method: 'GET', path, query, idempotent: true });
    // list items carry no apiVersion/kind on the wire; restore them for the caller
    return (result.items ?? []).map((item) => ({ ...item, apiVersion, kind }));
  }

  async watch(apiVersion: string, kind: string, namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<void> {
    const path = await this.collectionPath(apiVersion, kind, namespace);
    const what = `watch ${kind}${namespace ? ` in ${namespace}` : ''}`;
    const selectors = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
    const typed = (o: KubeObject): KubeObject => ({ ...o, apiVersion, kind });
    let resourceVersion = opts.resourceVersion;
    if (resourceVersion === undefined) {
      // list, then watch from the list's version (client-go's ListWatch): nothing falls between
      const list = await this.send<{ metadata?: { resourceVersion?: string }; items?: KubeObject[] }>(`list ${kind}`, { method: 'GET', path, query: selectors, idempotent: true });
      for (const item of list.items ?? []) onEvent({ type: 'ADDED', object: typed(item) });
      onEvent({ type: 'SYNCED' });
      resourceVersion = list.metadata?.resourceVersion;
    }
    const query = { watch: 1, resourceVersion, timeoutSeconds: opts.timeoutSeconds, ...selectors };
    try {
      // one attempt: a watch that cannot start is the watcher's cue to look with get/list instead
      await this.stream({ method: 'GET', path, query, idempotent: true }, opts, (e) => onEvent('object' in e ? { ...e, object: typed(e.object) } : e));
    } catch (raw) {
      const e = mapError(what, raw);
      // 410 Expired (the version was compacted away) only means: list again
      throw statusCode(raw) === 410 ? new HelmSfnError(ErrorName.KubeTransient, e.message, { cause: raw }) : e;
    }
  }

  /** A watch stream: newline-delimited JSON events; an ERROR event ends it with its Status. */
  private async stream(req: Request, opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<void> {
    const { url, opts: reqOpts, transport } = await this.prepared(req, undefined);
    if (opts.signal?.aborted) return;
    return new Promise((resolve, reject) => {
      let failed = false;
      const fail = (e: unknown) => {
        failed = true;
        request.destroy();
        reject(e);
      };
      const request = transport.request(url, { ...reqOpts, signal: opts.signal }, (res) => {
        const code = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let pending = '';
        res.on('data', (c: Buffer) => {
          if (code < 200 || code >= 300) return void chunks.push(c);
          pending += c.toString('utf8');
          let newline: number;
          while ((newline = pending.indexOf('\n')) >= 0 && !failed) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            if (!line) continue;
            let event: { type: string; object: KubeObject & { code?: number; message?: string; reason?: string } };
            try {
              event = JSON.parse(line);
            } catch {
              return fail(Object.assign(new Error('unreadable watch event'), { code: 'ECONNRESET' }));
            }
            if (event.type === 'ERROR') fail(new ApiError(event.object.code ?? 500, event.object));
            else if (event.type !== 'BOOKMARK') onEvent(event as WatchEvent);
          }
        });
        res.on('error', (e) => (opts.signal?.aborted ? resolve() : fail(e)));
        res.on('end', () => {
          if (failed) return;
          if (code >= 200 && code < 300) return resolve();
          reject(new ApiError(code, parseStatus(Buffer.concat(chunks).toString('utf8')), Number(res.headers['retry-after']) || undefined));
        });
      });
      // a stalled stream (no event, no end) past the server's own timeout is a dropped one
      request.setTimeout((opts.timeoutSeconds + 10) * 1000, () => request.destroy(Object.assign(new Error(`watch stalled past ${opts.timeoutSeconds} s`), { code: 'ETIMEDOUT' })));
      request.on('error', (e) => (opts.signal?.aborted ? resolve() : failed ? undefined : fail(e)));
      request.end();
    });
  }

  async podLogs(namespace: string, pod: string, container: string, tailLines: number): Promise<string> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`;
    try {
      return await this.send<string>(`logs of ${namespace}/${pod}`, { method: 'GET', path, query: { container, tailLines }, idempotent: true, text: true });
    } catch (e) {
      // a pod that is gone, or not started yet (400 "waiting to start"), simply has no log to show
      if (isNotFound(e) || statusCode(e) === 400) return '';
      throw e;
    }
  }

  async serverVersion(): Promise<string> {
    const info = await this.send<{ gitVersion: string }>('get server version', { method: 'GET', path: '/version', idempotent: true });
    return info.gitVersion;
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ServedResource | undefined> {
    const find = async () => (await this.groupVersion(apiVersion))?.find((r) => r.kind === kind);
    const found = await find();
    if (found) return found;
    // a kind created since we looked (a CRD): look once more
    this.discovered.delete(apiVersion);
    return find();
  }

  private groupVersion(apiVersion: string): Promise<ServedResource[] | undefined> {
    let cached = this.discovered.get(apiVersion);
    if (!cached) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      cached = this.send<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(`discover ${apiVersion}`, { method: 'GET', path, idempotent: true }).then(
        (list) => list.resources.filter((r) => !r.name.includes('/')).map((r) => ({ apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced })),
        (e: unknown) => {
          this.discovered.delete(apiVersion);
          if (isNotFound(e)) return undefined;
          throw e;
        },
      );
      this.discovered.set(apiVersion, cached);
    }
    return cached;
  }

  private async served(apiVersion: string, kind: string, name?: string, namespace?: string): Promise<ServedResource> {
    const resource = await this.resourceFor(apiVersion, kind);
    if (!resource) throw unmappedKind({ apiVersion, kind, name: name ?? '', namespace });
    return resource;
  }

  private async collectionPath(apiVersion: string, kind: string, namespace: string | undefined, name?: string): Promise<string> {
    const r = await this.served(apiVersion, kind, name, namespace);
    const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = r.namespaced && namespace !== ALL_NAMESPACES ? `/namespaces/${encodeURIComponent(namespace || 'default')}` : '';
    return `${root}${ns}/${r.plural}`;
  }

  private async objectPath(o: KubeObject | ObjectRef): Promise<string> {
    const name = 'metadata' in o ? o.metadata.name : o.name;
    const namespace = 'metadata' in o ? o.metadata.namespace : o.namespace;
    return `${await this.collectionPath(o.apiVersion, o.kind, namespace, name)}/${encodeURIComponent(name)}`;
  }

  /**
   * One API call with our error names. Transient failures of idempotent requests are retried
   * with full-jitter exponential backoff within the retry budget (429 and 503 always: the
   * server did not act on them); refused credentials are refreshed once.
   */
  private async send<T>(what: string, req: Request): Promise<T> {
    const deadline = Date.now() + this.policy.retryBudgetMs;
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.once(req)) as T;
      } catch (raw) {
        const e = mapError(what, raw);
        const code = statusCode(raw);
        if ((code === 401 || code === 403) && this.policy.refreshCredentials && !refreshed) {
          refreshed = true;
          this.kc = await this.policy.refreshCredentials();
          continue;
        }
        const retriable = e instanceof HelmSfnError && e.name === ErrorName.KubeTransient && (req.idempotent || code === 429 || code === 503);
        const backoff = Math.max(retryAfterMs(raw), this.policy.random() * Math.min(MAX_BACKOFF_MS, this.policy.backoffMs * 2 ** attempt));
        if (!retriable || Date.now() + backoff > deadline) throw e;
        await this.policy.sleep(backoff);
      }
    }
  }

  /** The URL, options and transport of one request, authenticated as the kubeconfig says. */
  private async prepared(req: Request, body: Buffer | undefined): Promise<{ url: URL; opts: https.RequestOptions; transport: typeof https | typeof http }> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new HelmSfnError(ErrorName.ClusterUnreachable, 'the kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: https.RequestOptions = {
      method: req.method,
      headers: {
        Accept: req.text ? '*/*' : 'application/json',
        'User-Agent': USER_AGENT,
        ...(body ? { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': body.length } : {}),
      },
    };
    await this.kc.applyToHTTPSOptions(opts);
    const transport = url.protocol === 'https:' ? https : http;
    if (url.protocol !== 'https:') delete opts.agent; // client-node builds an https agent whatever the scheme
    return { url, opts, transport };
  }

  private async once(req: Request): Promise<unknown> {
    // a string body is sent as it is: patches computed byte for byte as Helm computes them
    const body = req.body === undefined ? undefined : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
    const { url, opts, transport } = await this.prepared(req, body);
    return new Promise((resolve, reject) => {
      const request = transport.request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) {
            if (req.text) return resolve(text);
            try {
              return resolve(text ? JSON.parse(text) : {});
            } catch {
              return reject(new ApiError(code, { message: `unreadable response to ${req.method} ${req.path}` }));
            }
          }
          reject(new ApiError(code, parseStatus(text), Number(res.headers['retry-after']) || undefined));
        });
      });
      request.setTimeout(this.policy.attemptTimeoutMs, () => request.destroy(Object.assign(new Error(`no answer within ${this.policy.attemptTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
      request.on('error', reject);
      request.end(body);
    });
  }
}

function parseStatus(text: string): { message?: string; reason?: string } | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return isPlainObject(body) ? (body as { message?: string; reason?: string }) : undefined;
  } catch {
    return text ? { message: text.slice(0, 500) } : undefined;
  }
}

function describe(o: { kind: string; metadata?: { name?: string; namespace?: string }; name?: string; namespace?: string }): string {
  const name = o.metadata?.name ?? o.name;
  const namespace = o.metadata?.namespace ?? o.namespace;
  return `${o.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET']);

export function mapError(what: string, e: unknown): Error {
  if (e instanceof HelmSfnError) return e;
  if (e instanceof ApiError) {
    const message = `${what}: ${e.status?.message ? withoutObjectValues(e.status.message) : `HTTP ${e.code}`}`;
    if (e.code === 429 || e.code >= 500) return new HelmSfnError(ErrorName.KubeTransient, message, { cause: e });
    if (e.code === 401 || e.code === 403) return new HelmSfnError(ErrorName.AccessDenied, message, { cause: e });
    return new HelmSfnError(ErrorName.ApplyFailed, message, { cause: e });
  }
  const sysCode = systemCode(e);
  const message = `${what}: ${e instanceof Error ? e.message : String(e)}`;
  if (sysCode && UNREACHABLE_CODES.has(sysCode)) return new HelmSfnError(ErrorName.ClusterUnreachable, message, { cause: e });
  if (sysCode && TRANSIENT_CODES.has(sysCode)) return new HelmSfnError(ErrorName.KubeTransient, message, { cause: e });
  if (/socket hang up|network|premature close/i.test(message)) return new HelmSfnError(ErrorName.KubeTransient, message, { cause: e });
  return e instanceof Error ? e : new Error(message);
}

function apiError(e: unknown): ApiError | undefined {
  if (e instanceof ApiError) return e;
  return e instanceof HelmSfnError && e.cause instanceof ApiError ? e.cause : undefined;
}

const statusCode = (e: unknown) => apiError(e)?.code;
const statusReason = (e: unknown) => apiError(e)?.status?.reason;
const isNotFound = (e: unknown) => statusCode(e) === 404;
const retryAfterMs = (e: unknown) => (apiError(e)?.retryAfterSeconds ?? 0) * 1000;

/**
 * The API server quotes whole objects in some messages ("spec.template: Invalid value:
 * {…"env":[…]…}: field is immutable"); they may hold values or Secret data, and our errors end up
 * in Step Functions and in logs, so each quoted object becomes {…}.
 */
export function withoutObjectValues(message: string): string {
  const marker = 'Invalid value: {';
  let out = '';
  let from = 0;
  for (let at = message.indexOf(marker); at >= 0; at = message.indexOf(marker, from)) {
    const open = at + marker.length - 1;
    let end = open;
    for (let depth = 0; end < message.length; end++) {
      if (message[end] === '{') depth++;
      else if (message[end] === '}' && --depth === 0) break;
    }
    out += `${message.slice(from, open)}{…}`;
    from = end + 1;
  }
  return out + message.slice(from);
}

/** Node wraps system errors: .code / .errno, or a nested cause. */
function systemCode(e: unknown): string | undefined {
  for (let cur: any = e, depth = 0; cur && depth < 5; cur = cur.cause, depth++) {
    if (typeof cur.code === 'string') return cur.code;
    if (typeof cur.errno === 'string') return cur.errno;
  }
  return undefined;
}
