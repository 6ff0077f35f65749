import { afterFailure, afterSuccess, beforeCreation, cleanupOnEventFailure, cleanupOnEventSuccess, logsToCopy, type DeleteVerdict } from '../../lib/core/delete-policy';
import type { Hook } from '../../lib/core/hooks';
import { hook } from './builders';

const crd = (deletePolicies: string[]) =>
  hook({ name: 'w.example.com', kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1', deletePolicies });

describe.each<[string, (h: Hook) => DeleteVerdict, string]>([
  ['beforeCreation', beforeCreation, 'before-hook-creation'],
  ['afterSuccess', afterSuccess, 'hook-succeeded'],
  ['afterFailure', afterFailure, 'hook-failed'],
])('%s', (_, rule, policy) => {
  it(`deletes a hook with ${policy}`, () => {
    expect(rule(hook({ name: 'j', deletePolicies: ['whatever', policy] }))).toEqual({ action: 'delete', reason: `delete policy ${policy}` });
  });

  it('keeps a hook without it, saying which policies it has', () => {
    const other = ['before-hook-creation', 'hook-succeeded', 'hook-failed'].find((p) => p !== policy) as string;
    expect(rule(hook({ name: 'j', deletePolicies: [other] }))).toEqual({ action: 'keep', reason: `delete policies [${other}] do not include ${policy}` });
  });

  it('never deletes a CustomResourceDefinition', () => {
    expect(rule(crd([policy]))).toEqual({ action: 'keep', reason: 'a CustomResourceDefinition is never deleted by a hook policy' });
  });

  it('keeps a hook whose policy annotation is empty (Helm quirk: [""] disables the default)', () => {
    expect(rule(hook({ name: 'j', deletePolicies: [''] })).action).toBe('keep');
  });

  it('keeps a hook with an unknown policy value', () => {
    expect(rule(hook({ name: 'j', deletePolicies: ['hook-succeded'] })).action).toBe('keep');
  });
});

describe('the default policy (no annotation) is before-hook-creation', () => {
  const plain = hook({ name: 'j' });
  it.each([
    ['beforeCreation', beforeCreation, { action: 'delete', reason: 'delete policy before-hook-creation (the default when no policy is set)' }],
    ['afterSuccess', afterSuccess, { action: 'keep', reason: 'delete policies [before-hook-creation] do not include hook-succeeded' }],
    ['afterFailure', afterFailure, { action: 'keep', reason: 'delete policies [before-hook-creation] do not include hook-failed' }],
  ] as const)('%s', (_, rule, verdict) => expect(rule(plain)).toEqual(verdict));

  it('but not for a CRD', () => expect(beforeCreation(crd([])).action).toBe('keep'));
});

describe('event cleanup', () => {
  const a = hook({ name: 'a', index: 0, deletePolicies: ['hook-succeeded'] });
  const b = hook({ name: 'b', index: 1 });
  const c = hook({ name: 'c', index: 2, deletePolicies: ['hook-succeeded', 'hook-failed'] });
  const d = hook({ name: 'd', index: 3, deletePolicies: ['hook-failed'] });
  const e = hook({ name: 'e', index: 4, deletePolicies: ['hook-succeeded'] });
  const def = crd(['hook-succeeded', 'hook-failed']);
  const names = (hs: Hook[]) => hs.map((h) => h.name);

  it('after success: hook-succeeded hooks in reverse execution order', () => {
    expect(names(cleanupOnEventSuccess([a, b, def, c, d, e]))).toEqual(['e', 'c', 'a']);
  });

  it.each<[string, Hook[], Hook[], string[]]>([
    ['the failed hook (hook-failed) first, then earlier hook-succeeded ones forward', [a, b, c, d], [d], ['d', 'a', 'c']],
    ['a failed hook without hook-failed is kept; earlier ones still go', [a, b, e], [b], ['a', 'e']],
    ['a failed hook with hook-succeeded only is kept', [a, c, e], [e], ['a', 'c']],
    ['several failed in one group, in the given order', [a, b, c, d], [c, d], ['c', 'd', 'a']],
    ['executed may leave the failed hooks out', [a], [d], ['d', 'a']],
    ['CRDs are never deleted', [def, a], [def], ['a']],
    ['the failure of the first hook', [], [c], ['c']],
  ])('after failure: %s', (_, executed, failed, expected) => {
    expect(names(cleanupOnEventFailure(executed, failed))).toEqual(expected);
  });

  it('matches hooks by identity fields, not by object (payloads are serialised between tasks)', () => {
    const copy = (h: Hook): Hook => JSON.parse(JSON.stringify(h)) as Hook;
    expect(names(cleanupOnEventFailure([copy(a), copy(c)], [c]))).toEqual(['c', 'a']);
  });
});

describe('logsToCopy (helm.sh/hook-output-log-policy; Job and Pod only)', () => {
  it.each<[string, Partial<Hook>, 'succeeded' | 'failed', ReturnType<typeof logsToCopy>]>([
    ['a failed Job with hook-failed: its pods by job-name', { kind: 'Job', outputLogPolicies: ['hook-failed'] }, 'failed', { action: 'copy', reason: 'output-log policy hook-failed', pods: { labelSelector: 'job-name=h' } }],
    ['a succeeded Pod with hook-succeeded: the pod itself', { kind: 'Pod', outputLogPolicies: ['hook-succeeded'] }, 'succeeded', { action: 'copy', reason: 'output-log policy hook-succeeded', pods: { fieldSelector: 'metadata.name=h' } }],
    ['a succeeded Job with hook-failed only', { kind: 'Job', outputLogPolicies: ['hook-failed'] }, 'succeeded', { action: 'skip', reason: 'output-log policies do not include hook-succeeded' }],
    ['no policy', { kind: 'Job' }, 'failed', { action: 'skip', reason: 'output-log policies do not include hook-failed' }],
    ['a ConfigMap', { kind: 'ConfigMap', outputLogPolicies: ['hook-failed'] }, 'failed', { action: 'skip', reason: 'a ConfigMap has no container logs' }],
  ])('%s', (_, overrides, outcome, verdict) => expect(logsToCopy(hook({ name: 'h', ...overrides }), outcome)).toEqual(verdict));
});
