/**
 * Create-only review kinds: the sim has no authentication or authorization, so every
 * SelfSubjectAccessReview is allowed, every rules review lists `*`, and everyone is the same
 * cluster admin (`kubectl auth can-i`, `kubectl auth whoami`).
 */
import { badRequest } from './errors';
import { apiVersionOf, type ResourceType } from './registry';

export const SIM_USER = { username: 'sim-admin', groups: ['system:masters', 'system:authenticated'] };

export function answerReview(type: ResourceType, body: unknown): object {
  if (typeof body !== 'object' || body === null) throw badRequest(`${type.kind}: the request body must be an object`);
  const request = body as { spec?: object };
  const base = { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { creationTimestamp: null }, spec: request.spec ?? {} };
  switch (type.kind) {
    case 'SelfSubjectAccessReview':
      return { ...base, status: { allowed: true, reason: 'the sim allows every request' } };
    case 'SelfSubjectRulesReview':
      return {
        ...base,
        status: {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        },
      };
    default:
      return { ...base, status: { userInfo: SIM_USER } };
  }
}
