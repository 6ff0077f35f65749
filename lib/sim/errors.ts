/**
 * Kubernetes `Status` failure bodies, shaped exactly as kube-apiserver sends them
 * (k8s.io/apimachinery/pkg/api/errors/errors.go). Every failure inside the sim is a
 * {@link SimError}; the HTTP layer serialises its `status` unchanged.
 */
import type { ResourceType } from './registry';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class SimError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
    this.name = 'SimError';
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): string | undefined {
    return this.status.reason;
  }
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): SimError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return new SimError(status);
}

/** `deployments.apps` for grouped resources, `configmaps` for core ones (the "qualified resource"). */
export const qualifiedResource = (type: ResourceType): string => (type.group ? `${type.plural}.${type.group}` : type.plural);

const resourceDetails = (type: ResourceType, name: string): StatusDetails => ({
  name,
  ...(type.group ? { group: type.group } : {}),
  kind: type.plural,
});

export const notFound = (type: ResourceType, name: string): SimError =>
  failure(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, resourceDetails(type, name));

/** The generic 404 for an unknown path, group-version or resource. */
export const unknownPath = (): SimError => failure(404, 'NotFound', 'the server could not find the requested resource', {});

export const alreadyExists = (type: ResourceType, name: string): SimError =>
  failure(409, 'AlreadyExists', `${qualifiedResource(type)} "${name}" already exists`, resourceDetails(type, name));

export const conflict = (type: ResourceType, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): SimError =>
  failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": ${why}`, resourceDetails(type, name));

/** A server-side apply conflict (fieldmanager/internal/conflict.go). */
export const applyConflict = (message: string, causes: StatusCause[]): SimError => failure(409, 'Conflict', message, { causes });

/**
 * 422 Invalid: here `details.kind` is the Kind, not the plural, and the message lists every
 * cause (errors.NewInvalid).
 */
export function invalid(type: ResourceType, name: string, causes: StatusCause[]): SimError {
  const qualifiedKind = type.group ? `${type.kind}.${type.group}` : type.kind;
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const message = `${qualifiedKind} "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`;
  return failure(422, 'Invalid', message, { name, ...(type.group ? { group: type.group } : {}), kind: type.kind, causes });
}

export const badRequest = (message: string): SimError => failure(400, 'BadRequest', message);

export const forbidden = (type: ResourceType, name: string, why: string, causes?: StatusCause[]): SimError =>
  failure(403, 'Forbidden', `${qualifiedResource(type)} "${name}" is forbidden: ${why}`, { ...resourceDetails(type, name), ...(causes ? { causes } : {}) });

export const methodNotAllowed = (message: string): SimError => failure(405, 'MethodNotAllowed', message);

export const unsupportedMediaType = (accepted: string[]): SimError =>
  failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, {});

/** The ERROR event of a watch that asks for history the server no longer has. */
export const expired = (message: string): SimError => failure(410, 'Expired', message);

export const tooManyRequests = (retryAfterSeconds: number): SimError =>
  failure(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later', { retryAfterSeconds });

export const internalError = (message: string): SimError =>
  failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ reason: 'UnexpectedServerResponse', message }] });

/** The body of a successful immediate delete of most kinds. */
export function deleteSuccess(type: ResourceType, name: string, uid: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { ...resourceDetails(type, name), uid } };
}

/** Normalises anything thrown inside a handler into a Status error. */
export const asSimError = (e: unknown): SimError => (e instanceof SimError ? e : internalError(e instanceof Error ? e.message : String(e)));
