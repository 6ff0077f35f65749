/**
 * HTTP routing: discovery and OpenAPI documents, then `/api/v1/…` and `/apis/{g}/{v}/…`
 * resource paths mapped onto {@link ObjectApi}, watches, Tables, pod logs and the scale
 * subresource. Faults are applied here (only client requests are faulted) and every request
 * on a resource is recorded in the operation log.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { parse as parseYaml } from 'yaml';
import { rfc3339Micro, type SimClock } from './clock';
import {
  aggregatedDiscovery,
  AGGREGATED_CONTENT_TYPE,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openapiGroupVersion,
  openapiIndex,
  versionInfo,
} from './discovery';
import { asSimError, badRequest, internalError, methodNotAllowed, SimError, tooManyRequests, unknownPath, unsupportedMediaType } from './errors';
import type { FaultTarget, SimFaults, SimVerb } from './faults';
import { PATCH_TYPES, type DeleteOptions, type ObjectApi, type PatchType, type PropagationPolicy } from './objects';
import type { OperationLog } from './operations';
import type { PodLogs } from './podlogs';
import { decodeProtobuf, PROTOBUF_MAGIC } from './protobuf';
import { answerReview } from './reviews';
import { apiVersionOf, type Registry, type ResourceType } from './registry';
import { formatLabelSelector, fromSelectorObject, parseFieldSelector, parseLabelSelector } from './selectors';
import type { KubeObject, Store } from './storage';
import { toTable, type IncludeObject } from './tables';
import type { Watches } from './watch';

type Loose = Record<string, any>;

export interface HttpContext {
  registry: Registry;
  store: Store;
  api: ObjectApi;
  clock: SimClock;
  watches: Watches;
  faults: SimFaults;
  operations: OperationLog;
  podLogs: PodLogs;
  hostPort(): string;
}

interface ResourceRequest {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
/** Verbs whose request bodies `captureBodies` records. */
const WRITE_VERBS: ReadonlySet<SimVerb> = new Set(['create', 'update', 'patch', 'apply', 'status']);

function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json', headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0].trim().toLowerCase();

/** Decodes a request body by Content-Type: JSON, YAML, protobuf, or one of the patch types. */
function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (body.length === 0) return undefined;
  if (type === 'application/vnd.kubernetes.protobuf' || body.subarray(0, 4).equals(PROTOBUF_MAGIC)) return decodeProtobuf(body);
  const text = body.toString('utf8');
  try {
    if (type === 'application/yaml' || type === 'application/apply-patch+yaml') return parseYaml(text);
    if (type === '' || type === 'application/json' || (PATCH_TYPES as readonly string[]).includes(type)) return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the body of the request could not be decoded: ${(e as Error).message}`);
  }
  throw unsupportedMediaType([...BODY_TYPES, ...PATCH_TYPES]);
}

/** Splits `/api/v1/…` or `/apis/g/v/…` into group, version and the rest. */
function splitGroupVersion(segs: string[]): { group: string; version: string; rest: string[] } | undefined {
  if (segs[0] === 'api' && segs.length >= 2) return { group: '', version: segs[1], rest: segs.slice(2) };
  if (segs[0] === 'apis' && segs.length >= 3) return { group: segs[1], version: segs[2], rest: segs.slice(3) };
  return undefined;
}

function parseResourcePath(registry: Registry, group: string, version: string, rest: string[]): ResourceRequest {
  const namespacedPath = rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]));
  const [namespace, plural, name, subresource, extra] = namespacedPath ? rest.slice(1) : [undefined, ...rest];
  const type = plural ? registry.byPlural(group, version, plural) : undefined;
  if (!type || extra !== undefined || (namespacedPath && !type.namespaced) || (!namespacedPath && type.namespaced && name)) throw unknownPath();
  if (subresource && !(type.subresources as string[]).includes(subresource)) throw unknownPath();
  return { type, namespace, name, subresource };
}

const flag = (q: URLSearchParams, name: string): boolean => ['true', '1'].includes(q.get(name) ?? '');

function managerOf(q: URLSearchParams, req: IncomingMessage): string {
  return q.get('fieldManager') || (req.headers['user-agent'] ?? 'unknown').split('/')[0];
}

function verbOf(method: string, r: ResourceRequest, q: URLSearchParams, contentType: string | undefined): SimVerb {
  if (method === 'GET') {
    if (r.subresource === 'log') return 'log';
    if (!r.name) return flag(q, 'watch') ? 'watch' : 'list';
    return 'get';
  }
  if (r.subresource === 'status' && (method === 'PUT' || method === 'PATCH')) return 'status';
  if (method === 'POST') return 'create';
  if (method === 'PUT') return 'update';
  if (method === 'PATCH') return mediaType(contentType) === 'application/apply-patch+yaml' ? 'apply' : 'patch';
  if (method === 'DELETE') return 'delete';
  throw methodNotAllowed(`the server does not allow this method on the requested resource`);
}

/** Built-in list items carry no kind/apiVersion (as the real server sends them); custom resources do. */
function listItem(type: ResourceType, o: KubeObject): object {
  if (type.custom) return o;
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function paginate(items: KubeObject[], q: URLSearchParams): { page: KubeObject[]; continueToken?: string; remaining?: number } {
  const limit = Number(q.get('limit') ?? 0);
  let offset = 0;
  const token = q.get('continue');
  if (token) {
    try {
      offset = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset: number }).offset;
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data');
    }
  }
  if (!(limit > 0) || offset + limit >= items.length) return { page: items.slice(offset) };
  const next = offset + limit;
  return { page: items.slice(offset, next), continueToken: Buffer.from(JSON.stringify({ offset: next })).toString('base64'), remaining: items.length - next };
}

function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const b = (body ?? {}) as Loose;
  const grace = q.get('gracePeriodSeconds') ?? b.gracePeriodSeconds;
  return {
    propagationPolicy: (q.get('propagationPolicy') ?? b.propagationPolicy) as PropagationPolicy | undefined,
    orphanDependents: q.has('orphanDependents') ? flag(q, 'orphanDependents') : b.orphanDependents,
    gracePeriodSeconds: grace === undefined || grace === null ? undefined : Number(grace),
    preconditions: b.preconditions,
    dryRun: q.get('dryRun') === 'All' || (Array.isArray(b.dryRun) && b.dryRun.includes('All')),
  };
}

export function createHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    readBody(req)
      .then((body) => route(ctx, req, res, body))
      .catch((e) => {
        if (!res.headersSent) sendJson(res, asSimError(e).code, asSimError(e).status);
        else res.end();
      });
  };
}

interface Document {
  code: number;
  body: unknown;
  contentType?: string;
}

/** GET of /version, health, discovery and OpenAPI paths; undefined for anything else. */
function discoveryDocument(ctx: HttpContext, path: string, segs: string[], accept: string): Document | undefined {
  const ok = (body: unknown, contentType?: string): Document => ({ code: 200, body, contentType });
  const found = (body: unknown): Document => (body ? ok(body) : { code: 404, body: unknownPath().status });
  const aggregated = accept.includes('g=apidiscovery.k8s.io;v=v2;');
  if (path === '/version') return ok(versionInfo());
  if (['/healthz', '/livez', '/readyz'].includes(path)) return ok('ok', 'text/plain');
  if (path === '/api') return aggregated ? ok(aggregatedDiscovery(ctx.registry, 'core'), AGGREGATED_CONTENT_TYPE) : ok(apiVersions(ctx.hostPort()));
  if (path === '/apis') return aggregated ? ok(aggregatedDiscovery(ctx.registry, 'groups'), AGGREGATED_CONTENT_TYPE) : ok(apiGroupList(ctx.registry));
  if (path === '/openapi/v3') return ok(openapiIndex(ctx.registry));
  if (segs[0] === 'openapi' && segs[1] === 'v3') {
    const gv = splitGroupVersion(segs.slice(2));
    return found(gv && gv.rest.length === 0 ? openapiGroupVersion(ctx.registry, gv.group, gv.version) : undefined);
  }
  if (segs[0] === 'apis' && segs.length === 2) return found(apiGroup(ctx.registry, segs[1]));
  const gv = splitGroupVersion(segs);
  if (gv && gv.rest.length === 0) return found(apiResourceList(ctx.registry, gv.group, gv.version));
  return undefined;
}

async function route(ctx: HttpContext, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim');
  const method = req.method ?? 'GET';
  const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const accept = req.headers.accept ?? '';
  const path = url.pathname.replace(/\/+$/, '') || '/';

  const doc = method === 'GET' ? discoveryDocument(ctx, path, segs, accept) : undefined;
  if (doc?.contentType === 'text/plain') {
    res.writeHead(doc.code, { 'Content-Type': 'text/plain' });
    res.end(doc.body);
    return;
  }
  if (doc) return sendJson(res, doc.code, doc.body, doc.contentType);

  const gv = splitGroupVersion(segs);
  if (!gv) return sendJson(res, 404, unknownPath().status);
  const r = parseResourcePath(ctx.registry, gv.group, gv.version, gv.rest);
  const q = url.searchParams;
  const verb = verbOf(method, r, q, req.headers['content-type']);
  const manager = ['create', 'update', 'patch', 'apply', 'status'].includes(verb) ? managerOf(q, req) : undefined;
  const record = (code: number, outcome: string, name = r.name) =>
    ctx.operations.record({
      verb,
      apiVersion: r.subresource === 'scale' ? 'autoscaling/v1' : apiVersionOf(r.type),
      kind: r.subresource === 'scale' ? 'Scale' : r.type.kind,
      namespace: r.type.namespaced ? r.namespace : undefined,
      name,
      code,
      outcome,
      fieldManager: manager,
      subresource: r.subresource,
      userAgent: (req.headers['user-agent'] ?? '').split(' ')[0] || undefined,
      ...(ctx.operations.captureBodies && WRITE_VERBS.has(verb) && !body.subarray(0, 4).equals(PROTOBUF_MAGIC)
        ? { contentType: req.headers['content-type'], body: body.toString('utf8') }
        : {}),
    });

  const target: FaultTarget = { verb, type: r.type, namespace: r.namespace, name: r.name };
  const decision = ctx.faults.decide(target);
  if (decision.latencyMs > 0) await new Promise<void>((resolve) => ctx.clock.afterReal(decision.latencyMs, resolve));
  if (decision.failure) {
    if (decision.failure.type === 'reset') {
      record(0, 'reset');
      req.socket.destroy();
      return;
    }
    const { code, retryAfterSeconds, message } = decision.failure;
    const retryAfter = retryAfterSeconds ?? (code === 429 ? 1 : undefined);
    const err = code === 429 ? tooManyRequests(retryAfter!) : injected(code, message);
    record(code, err.reason ?? 'Failure');
    return sendJson(res, code, err.status, 'application/json', retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {});
  }

  try {
    const outcome = await handleResource(ctx, req, res, r, q, method, verb, manager, body, accept);
    record(outcome.code, outcome.outcome, outcome.name);
  } catch (e) {
    const err = asSimError(e);
    record(err.code, err.reason ?? 'Failure');
    if (!res.headersSent) sendJson(res, err.code, err.status);
    else res.end();
  }
}

function injected(code: number, message?: string): SimError {
  if (code === 500) return internalError(message ?? 'injected fault');
  const reason = { 503: 'ServiceUnavailable', 504: 'Timeout', 409: 'Conflict', 404: 'NotFound', 403: 'Forbidden' }[code] ?? 'InternalError';
  return new SimError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: message ?? `injected fault (${code})`, reason, code });
}

interface Outcome {
  code: number;
  outcome: string;
  /** The object's name when the URL has none (create). */
  name?: string;
}

async function handleResource(
  ctx: HttpContext,
  req: IncomingMessage,
  res: ServerResponse,
  r: ResourceRequest,
  q: URLSearchParams,
  method: string,
  verb: SimVerb,
  manager: string | undefined,
  rawBody: Buffer,
  accept: string,
): Promise<Outcome> {
  const { api } = ctx;
  const { type, namespace, name, subresource } = r;
  const dryRun = q.get('dryRun') === 'All';
  const wantsTable = accept.includes('as=Table');
  const include = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
  const rv = () => String(ctx.store.currentRevision());

  if (type.review) {
    if (method !== 'POST' || name) throw methodNotAllowed('the server does not allow this method on the requested resource');
    // kubectl sends reviews as protobuf; the answer does not depend on the spec, so it is not decoded
    const review = rawBody.subarray(0, 4).equals(PROTOBUF_MAGIC) ? {} : decodeBody(rawBody, req.headers['content-type']);
    sendJson(res, 201, answerReview(type, review ?? {}));
    return { code: 201, outcome: 'created' };
  }
  if (verb === 'log') return servePodLog(ctx, res, api.get(type, namespace, name!), q);
  if (subresource === 'scale') return handleScale(ctx, res, r, q, method, decodeBody(rawBody, req.headers['content-type']), manager ?? 'unknown');

  switch (method) {
    case 'GET': {
      if (name) {
        const o = api.get(type, namespace, name);
        if (wantsTable) sendJson(res, 200, toTable(type, [o], include, ctx.clock.now(), o.metadata.resourceVersion!), TABLE_CONTENT_TYPE);
        else sendJson(res, 200, o);
        return { code: 200, outcome: 'ok' };
      }
      const labels = parseLabelSelector(q.get('labelSelector'));
      const fields = parseFieldSelector(q.get('fieldSelector'), type.kind);
      if (verb === 'watch') {
        const sendInitialEvents = flag(q, 'sendInitialEvents');
        ctx.watches.serve(
          res,
          {
            type,
            namespace,
            labels,
            fields,
            resourceVersion: q.get('resourceVersion') ?? undefined,
            sendInitialEvents,
            allowBookmarks: flag(q, 'allowWatchBookmarks'),
            timeoutSeconds: q.has('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : undefined,
            // `kubectl get -w` watches Tables: each event carries a one-row Table
            render: wantsTable ? (o, first) => tableEvent(toTable(type, [o], include, ctx.clock.now(), o.metadata.resourceVersion!), first) : undefined,
          },
          api.list(type, namespace, labels, fields),
        );
        return { code: 200, outcome: 'watch' };
      }
      const all = api.list(type, namespace, labels, fields);
      const { page, continueToken, remaining } = paginate(all, q);
      const metadata = { resourceVersion: rv(), ...(continueToken ? { continue: continueToken, remainingItemCount: remaining } : {}) };
      if (wantsTable) sendJson(res, 200, { ...toTable(type, page, include, ctx.clock.now(), rv()), metadata }, TABLE_CONTENT_TYPE);
      else sendJson(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata, items: page.map((o) => listItem(type, o)) });
      return { code: 200, outcome: 'ok' };
    }
    case 'POST': {
      if (name) throw methodNotAllowed(`the server does not allow this method on the requested resource`);
      const created = api.create(type, namespace, decodeBody(rawBody, req.headers['content-type']), { manager: manager!, dryRun });
      sendJson(res, 201, created);
      return { code: 201, outcome: 'created', name: created.metadata.name };
    }
    case 'PUT': {
      if (!name || (subresource && subresource !== 'status')) throw methodNotAllowed('the server does not allow this method on the requested resource');
      const updated = api.update(type, namespace, name, decodeBody(rawBody, req.headers['content-type']), {
        manager: manager!,
        dryRun,
        subresource: subresource as 'status' | undefined,
      });
      sendJson(res, 200, updated);
      return { code: 200, outcome: 'updated' };
    }
    case 'PATCH': {
      if (!name) throw methodNotAllowed('the server does not allow this method on the requested resource');
      const patchType = mediaType(req.headers['content-type']) as PatchType;
      if (!(PATCH_TYPES as readonly string[]).includes(patchType)) throw unsupportedMediaType([...PATCH_TYPES]);
      if (patchType === 'application/apply-patch+yaml' && !q.get('fieldManager')) throw badRequest('PATCH requests with application/apply-patch+yaml content type require fieldManager to be set');
      const { object, created } = api.patch(type, namespace, name, patchType, decodeBody(rawBody, req.headers['content-type']) ?? {}, {
        manager: manager!,
        dryRun,
        force: flag(q, 'force'),
        subresource: subresource as 'status' | undefined,
      });
      sendJson(res, created ? 201 : 200, object);
      return { code: created ? 201 : 200, outcome: created ? 'created' : 'updated' };
    }
    case 'DELETE': {
      const opts = deleteOptions(q, decodeBody(rawBody, req.headers['content-type']));
      if (!name) {
        const labels = parseLabelSelector(q.get('labelSelector'));
        const fields = parseFieldSelector(q.get('fieldSelector'), type.kind);
        const items = api.list(type, namespace, labels, fields).map((o) => {
          const result = api.delete(type, o.metadata.namespace, o.metadata.name!, opts);
          return result.removed ? o : result.body;
        });
        sendJson(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: { resourceVersion: rv() }, items });
        return { code: 200, outcome: 'deleted' };
      }
      const result = api.delete(type, namespace, name, opts);
      sendJson(res, 200, result.body);
      return { code: 200, outcome: result.removed ? 'deleted' : 'deleting' };
    }
    default:
      throw methodNotAllowed(`the server does not allow this method on the requested resource`);
  }
}

/** Watch events of Tables carry the column definitions only in the first event (as the API server does). */
function tableEvent(table: ReturnType<typeof toTable>, first: boolean): object {
  return first ? table : { ...table, columnDefinitions: [] };
}

/** `pods/{name}/log`: plain text, optionally followed until the container stops. */
function servePodLog(ctx: HttpContext, res: ServerResponse, pod: KubeObject, q: URLSearchParams): Outcome {
  const p = pod as Loose;
  const names: string[] = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((c: Loose) => c.name);
  const container = q.get('container') ?? (p.spec?.containers?.length === 1 ? p.spec.containers[0].name : undefined);
  const podName = pod.metadata.name!;
  if (!container) throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
  if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${podName}`);
  const statuses: Loose[] = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  const state = statuses.find((s) => s.name === container);
  const previous = flag(q, 'previous');
  if (!previous && (!state || state.state?.waiting))
    throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${state?.state?.waiting?.reason ?? 'ContainerCreating'}`);
  if (previous && !(state?.restartCount > 0)) throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
  const timestamps = flag(q, 'timestamps');
  const format = (l: { time: number; text: string }) => `${timestamps ? `${rfc3339Micro(l.time)} ` : ''}${l.text}\n`;
  const uid = pod.metadata.uid!;
  let { lines } = ctx.podLogs.read(uid, container, previous);
  const { ended } = ctx.podLogs.read(uid, container, previous);
  const since = q.get('sinceSeconds');
  if (since) lines = lines.filter((l) => l.time >= ctx.clock.now() - Number(since) * 1000);
  const tail = q.get('tailLines');
  if (tail !== null) lines = lines.slice(Math.max(0, lines.length - Number(tail)));
  let text = lines.map(format).join('');
  const limit = q.get('limitBytes');
  if (limit) text = text.slice(0, Number(limit));
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  if (!flag(q, 'follow') || ended) {
    res.end(text);
    return { code: 200, outcome: 'ok' };
  }
  res.write(text);
  const stop = ctx.podLogs.follow(uid, container, (line) => {
    if (res.writableEnded) return;
    if (line) res.write(format(line));
    else {
      stop();
      res.end();
    }
  });
  res.on('close', stop);
  return { code: 200, outcome: 'ok' };
}

/** The autoscaling/v1 Scale view of a workload's `spec.replicas`. */
function handleScale(ctx: HttpContext, res: ServerResponse, r: ResourceRequest, q: URLSearchParams, method: string, body: unknown, manager: string): Outcome {
  const toScale = (o: KubeObject) => {
    const x = o as Loose;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: x.spec?.replicas ?? 0 },
      status: { replicas: x.status?.replicas ?? 0, selector: formatLabelSelector(fromSelectorObject(x.spec?.selector)) },
    };
  };
  const current = ctx.api.get(r.type, r.namespace, r.name!);
  if (method === 'GET') {
    sendJson(res, 200, toScale(current));
    return { code: 200, outcome: 'ok' };
  }
  if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed('the server does not allow this method on the requested resource');
  const b = (body ?? {}) as Loose;
  const replicas = b.spec?.replicas;
  if (typeof replicas !== 'number' || replicas < 0) throw badRequest('Scale.spec.replicas must be a non-negative number');
  const { object } = ctx.api.patch(r.type, r.namespace, r.name!, 'application/merge-patch+json', { spec: { replicas } }, { manager, dryRun: q.get('dryRun') === 'All', subresource: 'scale' });
  sendJson(res, 200, toScale(object));
  return { code: 200, outcome: 'updated' };
}

