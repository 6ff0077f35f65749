/**
 * KubeClient on @kubernetes/client-node 1.x — the only module that imports it.
 * client-node turns timestamps into Date objects; objects are passed back through JSON so the
 * engine only ever sees plain JSON, as the API server sent it.
 */
import * as k8s from '@kubernetes/client-node';
import { ErrorName, HelmSfnError } from '../core/errors';
import type { KubeObject, ObjectRef } from '../core/objects';
import { AlreadyExistsError, type ApplyOptions, type KubeClient, type ListOptions } from './client';

export interface KubeConfigSource {
  /** A kubeconfig file; default: $KUBECONFIG, then ~/.kube/config. */
  readonly kubeconfigPath?: string;
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
  } else if (source.kubeconfigPath) {
    kc.loadFromFile(source.kubeconfigPath);
  } else {
    kc.loadFromDefault();
  }
  return kc;
}

export class ClientNodeKubeClient implements KubeClient {
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly core: k8s.CoreV1Api;
  private readonly version: k8s.VersionApi;

  constructor(kc: k8s.KubeConfig) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.version = kc.makeApiClient(k8s.VersionApi);
  }

  apply(obj: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
    return call(`apply ${describe(obj)}`, () =>
      this.objects.patch(obj, undefined, undefined, opts.fieldManager, opts.force ?? false, k8s.PatchStrategy.ServerSideApply),
    );
  }

  async create(obj: KubeObject): Promise<KubeObject> {
    try {
      return await call(`create ${describe(obj)}`, () => this.objects.create(obj));
    } catch (e) {
      if (e instanceof HelmSfnError && statusReason(e.cause) === 'AlreadyExists') throw new AlreadyExistsError(e.message, { cause: e });
      throw e;
    }
  }

  replace(obj: KubeObject): Promise<KubeObject> {
    return call(`replace ${describe(obj)}`, () => this.objects.replace(obj));
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return await call(`get ${describe(ref)}`, () => this.objects.read(header(ref)));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await call(`delete ${describe(ref)}`, () =>
        this.objects.delete(header(ref), undefined, undefined, undefined, undefined, 'Background'),
      );
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async list(apiVersion: string, kind: string, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeObject[]> {
    const where = `list ${kind}${namespace ? ` in ${namespace}` : ''}`;
    const result = await call(where, () =>
      this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, opts.fieldSelector, opts.labelSelector),
    );
    // built-in list items carry no apiVersion/kind on the wire; restore them for the caller
    return (result.items as KubeObject[]).map((item) => ({ ...item, apiVersion, kind }));
  }

  async podLogs(namespace: string, pod: string, container: string, tailLines: number): Promise<string> {
    try {
      return await call(`logs of ${namespace}/${pod}`, () =>
        this.core.readNamespacedPodLog({ name: pod, namespace, container, tailLines }),
      );
    } catch (e) {
      // a pod that is gone, or not started yet (400 "waiting to start"), simply has no log to show
      if (isNotFound(e) || statusCode(e) === 400) return '';
      throw e;
    }
  }

  async serverVersion(): Promise<string> {
    const info = await call('get server version', () => this.version.getCode());
    return info.gitVersion;
  }
}

function header(ref: ObjectRef): KubeObject {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
}

function describe(o: { kind: string; metadata?: { name?: string; namespace?: string }; name?: string; namespace?: string }): string {
  const name = o.metadata?.name ?? o.name;
  const namespace = o.metadata?.namespace ?? o.namespace;
  return `${o.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/** Run one API call, return plain JSON, and give failures our error names. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    const result = await fn();
    return typeof result === 'object' && result !== null ? JSON.parse(JSON.stringify(result)) : result;
  } catch (e) {
    throw mapError(what, e);
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET']);

export function mapError(what: string, e: unknown): Error {
  if (e instanceof HelmSfnError) return e;
  const code = statusCode(e);
  if (code !== undefined) {
    const message = `${what}: ${statusMessage(e) ?? `HTTP ${code}`}`;
    if (code === 429 || code >= 500) return new HelmSfnError(ErrorName.KubeTransient, message, { cause: e });
    if (code === 401 || code === 403) return new HelmSfnError(ErrorName.ClusterUnreachable, message, { cause: e });
    return new HelmSfnError(ErrorName.ApplyFailed, message, { cause: e });
  }
  const sysCode = systemCode(e);
  const message = `${what}: ${e instanceof Error ? e.message : String(e)}`;
  if (sysCode && UNREACHABLE_CODES.has(sysCode)) return new HelmSfnError(ErrorName.ClusterUnreachable, message, { cause: e });
  if (sysCode && TRANSIENT_CODES.has(sysCode)) return new HelmSfnError(ErrorName.KubeTransient, message, { cause: e });
  if (/socket hang up|network|fetch failed|premature close/i.test(message)) return new HelmSfnError(ErrorName.KubeTransient, message, { cause: e });
  return e instanceof Error ? e : new Error(message);
}

function statusCode(e: unknown): number | undefined {
  if (e instanceof HelmSfnError) return statusCode(e.cause);
  return e instanceof k8s.ApiException ? e.code : undefined;
}

function statusBody(e: unknown): { message?: string; reason?: string } | undefined {
  if (e instanceof HelmSfnError) return statusBody(e.cause);
  if (!(e instanceof k8s.ApiException)) return undefined;
  const body: unknown = e.body;
  if (typeof body === 'object' && body !== null) return body as { message?: string; reason?: string };
  try {
    return JSON.parse(String(body));
  } catch {
    return undefined;
  }
}

const statusMessage = (e: unknown) => {
  const message = statusBody(e)?.message;
  return message === undefined ? undefined : withoutObjectValues(message);
};

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
const statusReason = (e: unknown) => statusBody(e)?.reason;
const isNotFound = (e: unknown) => statusCode(e) === 404;

/** node-fetch wraps system errors: FetchError.code / .errno, or a nested cause. */
function systemCode(e: unknown): string | undefined {
  for (let cur: any = e, depth = 0; cur && depth < 5; cur = cur.cause, depth++) {
    if (typeof cur.code === 'string') return cur.code;
    if (typeof cur.errno === 'string') return cur.errno;
  }
  return undefined;
}
