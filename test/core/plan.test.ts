import { ErrorName } from '../../lib/core/errors';
import { classifyManifest, type Hook } from '../../lib/core/hooks';
import { joinManifest, splitManifest } from '../../lib/core/manifest';
import type { ObjectRef } from '../../lib/core/objects';
import { planRelease, planToJson, type PlanInput } from '../../lib/core/plan';
import { at, stream, type DocSpec } from './builders';

const tpl = at('web/templates/all.yaml');
const hooksTpl = at('web/templates/hooks.yaml');
const cm = (name: string, annotations?: Record<string, string>): DocSpec => ({ kind: 'ConfigMap', name, annotations });
const hookSpec = (kind: string, name: string, hookValue: string, extra: Record<string, string> = {}): DocSpec => ({
  kind,
  name,
  apiVersion: kind === 'Job' ? 'batch/v1' : 'v1',
  annotations: { 'helm.sh/hook': hookValue, ...extra },
});

const chart = stream(
  tpl({ kind: 'Deployment', apiVersion: 'apps/v1', name: 'web' }),
  tpl(cm('cfg')),
  tpl({ kind: 'Namespace', name: 'extra' }),
  tpl({ kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', name: 'reader' }),
  tpl({ kind: 'Service', name: 'web', namespace: 'edge' }),
  hooksTpl(hookSpec('Job', 'migrate', 'pre-install,pre-upgrade', { 'helm.sh/hook-weight': '-1', 'helm.sh/hook-delete-policy': 'hook-succeeded' })),
  hooksTpl(hookSpec('ServiceAccount', 'migrate', 'pre-install')),
  hooksTpl(hookSpec('ConfigMap', 'seed', 'pre-install')),
  hooksTpl(hookSpec('Job', 'smoke', 'post-install', { 'helm.sh/hook-delete-policy': '' })),
  hooksTpl(hookSpec('Pod', 'check', 'test', { 'helm.sh/hook-output-log-policy': 'hook-failed' })),
);
const base = { release: 'web', namespace: 'prod' };
const refs = (rs: ObjectRef[]) => rs.map((r) => [r.kind, r.name, r.namespace].filter(Boolean).join('/'));
const hookNames = (groups: { hooks: Hook[] }[] | undefined) => groups?.map((g) => g.hooks.map((h) => `${h.kind}/${h.name}`));

describe('planRelease: install', () => {
  const plan = planRelease({ ...base, action: 'install', manifest: chart });

  it('runs pre-install then post-install hooks, grouped by weight', () => {
    expect(Object.keys(plan.hooks)).toEqual(['pre-install', 'post-install']);
    expect(hookNames(plan.hooks['pre-install'])).toEqual([['Job/migrate'], ['ServiceAccount/migrate', 'ConfigMap/seed']]);
    expect(hookNames(plan.hooks['post-install'])).toEqual([['Job/smoke']]);
  });

  it('applies resources in InstallOrder, in the release namespace unless cluster-scoped or explicit', () => {
    expect(refs(plan.resources)).toEqual(['Namespace/extra', 'ConfigMap/cfg/prod', 'ClusterRole/reader', 'Service/web/edge', 'Deployment/web/prod']);
    expect([plan.deletions, plan.kept, plan.crds, plan.warnings]).toEqual([[], [], [], []]);
  });

  it('carries what the new record stores: the manifest of regular resources and every hook in stored order', () => {
    const classified = classifyManifest(splitManifest(chart));
    expect(plan.releaseManifest).toBe(joinManifest(classified.resources));
    expect(plan.releaseManifest).not.toContain('helm.sh/hook');
    expect(plan.releaseHooks.map((h) => `${h.kind}/${h.name}`)).toEqual(['ServiceAccount/migrate', 'ConfigMap/seed', 'Pod/check', 'Job/migrate', 'Job/smoke']);
  });

  it('sequential mode gives every hook its own group', () => {
    const sequential = planRelease({ ...base, action: 'install', manifest: chart, hookMode: 'sequential' });
    expect(hookNames(sequential.hooks['pre-install'])).toEqual([['Job/migrate'], ['ServiceAccount/migrate'], ['ConfigMap/seed']]);
  });

  it('noHooks runs no hook event but still records the hooks', () => {
    const noHooks = planRelease({ ...base, action: 'install', manifest: chart, noHooks: true });
    expect(noHooks.hooks).toEqual({});
    expect(noHooks.releaseHooks).toHaveLength(5);
  });

  it('applies CRDs from crds/ first, on install only', () => {
    const withCrd = stream(at('web/crds/w.yaml')({ kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1', name: 'widgets.example.com' })) + chart;
    const install = planRelease({ ...base, action: 'install', manifest: withCrd });
    expect(refs(install.crds)).toEqual(['CustomResourceDefinition/widgets.example.com']);
    expect(refs(install.resources)).not.toContain('CustomResourceDefinition/widgets.example.com');
    expect(install.releaseManifest).not.toContain('widgets.example.com');
    const upgrade = planRelease({ ...base, action: 'upgrade', manifest: withCrd, previousManifest: '' });
    expect(upgrade.crds).toEqual([]);
    expect(upgrade.warnings).toEqual([expect.stringMatching(/1 CRD document\(s\) from crds\/ ignored/)]);
  });

  it('warns about an object that appears twice', () => {
    const twice = planRelease({ ...base, action: 'install', manifest: stream(tpl(cm('a')), at('web/templates/b.yaml')({ ...cm('a'), namespace: 'prod' })) });
    expect(twice.warnings).toEqual(['ConfigMap/prod/a appears more than once in the manifest; the last one wins']);
  });
});

describe('planRelease: upgrade and rollback delete what left the chart', () => {
  const previous = stream(
    tpl({ kind: 'Deployment', apiVersion: 'apps/v1beta2', name: 'web' }),
    tpl(cm('gone')),
    tpl(cm('keepme', { 'helm.sh/resource-policy': 'keep' })),
    tpl(cm('almost', { 'helm.sh/resource-policy': ' Keep ' })),
    tpl(cm('moved', { 'helm.sh/resource-policy': 'delete' })),
    tpl({ kind: 'Secret', name: 'cfg' }),
    tpl({ kind: 'ConfigMap', name: 'cfg', namespace: 'prod' }),
  );
  const next = stream(tpl({ kind: 'Deployment', apiVersion: 'apps/v1', name: 'web' }), tpl(cm('cfg')));

  it.each(['upgrade', 'rollback'] as const)('%s: previous objects absent from the target, in the stored (InstallOrder) order; exact "keep" kept', (action) => {
    const plan = planRelease({ ...base, action, manifest: next, previousManifest: previous });
    expect(refs(plan.resources)).toEqual(['ConfigMap/cfg/prod', 'Deployment/web/prod']);
    expect(refs(plan.deletions)).toEqual(['Secret/cfg/prod', 'ConfigMap/gone/prod', 'ConfigMap/almost/prod', 'ConfigMap/moved/prod']);
    expect(refs(plan.kept)).toEqual(['ConfigMap/keepme/prod']);
    expect(plan.warnings).toEqual([
      'ConfigMap/prod/keepme left the chart but is kept (helm.sh/resource-policy: keep)',
      'ConfigMap/prod/almost: helm.sh/resource-policy " Keep " is not exactly "keep", so an upgrade deletes it (as Helm does)',
    ]);
  });

  it('upgrade runs the new chart\'s pre-upgrade/post-upgrade hooks', () => {
    const plan = planRelease({ ...base, action: 'upgrade', manifest: chart, previousManifest: '' });
    expect(Object.keys(plan.hooks)).toEqual(['pre-upgrade', 'post-upgrade']);
    expect(hookNames(plan.hooks['pre-upgrade'])).toEqual([['Job/migrate']]);
    expect(plan.hooks['post-upgrade']).toEqual([]);
  });

  it('rollback runs the target revision\'s stored hooks', () => {
    const stored = classifyManifest(splitManifest(stream(hooksTpl(hookSpec('Job', 'undo', 'pre-rollback')), hooksTpl(hookSpec('Job', 'after', 'post-rollback'))))).hooks;
    const plan = planRelease({ ...base, action: 'rollback', manifest: next, hooks: stored, previousManifest: previous });
    expect(hookNames(plan.hooks['pre-rollback'])).toEqual([['Job/undo']]);
    expect(hookNames(plan.hooks['post-rollback'])).toEqual([['Job/after']]);
    expect(plan.releaseHooks).toEqual(stored);
  });

  it.each(['upgrade', 'rollback'] as const)('%s without previousManifest is refused', (action) => {
    expect(() => planRelease({ ...base, action, manifest: next })).toThrow(
      expect.objectContaining({ name: ErrorName.InvalidInput, message: `previousManifest: required for ${action} (the last revision's manifest)` }),
    );
  });
});

describe('planRelease: uninstall', () => {
  const stored = stream(
    tpl({ kind: 'Namespace', name: 'extra' }),
    tpl(cm('keep1', { 'helm.sh/resource-policy': ' KEEP ' })),
    tpl(cm('odd', { 'helm.sh/resource-policy': 'delete' })),
    tpl(cm('cfg')),
    tpl({ kind: 'Service', name: 'web' }),
    tpl({ kind: 'Deployment', apiVersion: 'apps/v1', name: 'web' }),
    tpl({ kind: 'ValidatingWebhookConfiguration', apiVersion: 'admissionregistration.k8s.io/v1', name: 'hook' }),
    tpl({ kind: 'Widget', apiVersion: 'example.com/v1', name: 'w' }),
  );
  const hooks = classifyManifest(splitManifest(stream(hooksTpl(hookSpec('Job', 'bye', 'pre-delete')), hooksTpl(hookSpec('Job', 'done', 'post-delete'))))).hooks;
  const plan = planRelease({ ...base, action: 'uninstall', manifest: stored, hooks });

  it('deletes every resource in UninstallOrder (webhooks first, custom kinds last) and applies nothing', () => {
    expect(refs(plan.deletions)).toEqual(['ValidatingWebhookConfiguration/hook', 'Service/web/prod', 'Deployment/web/prod', 'ConfigMap/cfg/prod', 'Namespace/extra', 'Widget/w/prod']);
    expect(plan.resources).toEqual([]);
  });

  it('keeps resource-policy keep (trimmed, case-insensitive) and, like Helm, any other value too — reported', () => {
    expect(refs(plan.kept)).toEqual(['ConfigMap/keep1/prod', 'ConfigMap/odd/prod']);
    expect(plan.warnings).toEqual([
      'ConfigMap/prod/keep1 is kept (helm.sh/resource-policy: keep)',
      'ConfigMap/prod/odd is kept: Helm neither deletes nor reports an object whose helm.sh/resource-policy is "delete"',
    ]);
  });

  it('runs pre-delete then post-delete hooks of the stored release', () => {
    expect(Object.keys(plan.hooks)).toEqual(['pre-delete', 'post-delete']);
    expect(hookNames(plan.hooks['pre-delete'])).toEqual([['Job/bye']]);
  });
});

describe('planRelease: test', () => {
  it('runs only test hooks (test-success included), touching no resource', () => {
    const manifest = stream(tpl(cm('cfg')));
    const hooks = classifyManifest(splitManifest(stream(hooksTpl(hookSpec('Pod', 't1', 'test-success')), hooksTpl(hookSpec('Pod', 't2', 'test'))))).hooks;
    const plan = planRelease({ ...base, action: 'test', manifest, hooks });
    expect(Object.keys(plan.hooks)).toEqual(['test']);
    expect(hookNames(plan.hooks.test)).toEqual([['Pod/t1', 'Pod/t2']]);
    expect([plan.resources, plan.deletions]).toEqual([[], []]);
  });
});

describe('planRelease: bad input', () => {
  it.each<[string, Partial<PlanInput>, RegExp]>([
    ['hooks given and hook documents in the manifest', { action: 'rollback', manifest: chart, hooks: [], previousManifest: '' }, /manifest: holds hook documents while hooks were given separately/],
    ['an invalid manifest', { action: 'install', manifest: stream(tpl({ kind: '', name: 'x' })) }, /web\/templates\/all\.yaml \(document 0\): kind is required/],
    ['an invalid previous manifest', { action: 'upgrade', manifest: '', previousManifest: '- a' }, /\(no source\) \(document 0\): a document must be a mapping/],
    ['a manifest over the limit', { action: 'install', manifest: chart, limits: { maxDocuments: 2 } }, /more than 2 documents/],
  ])('%s', (_, input, message) => {
    expect(() => planRelease({ ...base, action: 'install', manifest: '', ...input })).toThrow(message);
  });
});

describe('planToJson', () => {
  it('produces the CLI shape: namespaces resolved, effective delete policies', () => {
    const plan = planRelease({ ...base, action: 'install', manifest: chart });
    const json = planToJson(plan);
    expect(Object.keys(json)).toEqual(['action', 'release', 'namespace', 'hookMode', 'hooks', 'resources', 'deletions', 'warnings']);
    expect(json).toEqual({
      action: 'install',
      release: 'web',
      namespace: 'prod',
      hookMode: 'weight-groups',
      hooks: {
        'pre-install': [
          { weight: -1, hooks: [{ kind: 'Job', name: 'migrate', namespace: 'prod', path: 'web/templates/hooks.yaml', deletePolicies: ['hook-succeeded'], outputLogPolicies: [] }] },
          {
            weight: 0,
            hooks: [
              { kind: 'ServiceAccount', name: 'migrate', namespace: 'prod', path: 'web/templates/hooks.yaml', deletePolicies: ['before-hook-creation'], outputLogPolicies: [] },
              { kind: 'ConfigMap', name: 'seed', namespace: 'prod', path: 'web/templates/hooks.yaml', deletePolicies: ['before-hook-creation'], outputLogPolicies: [] },
            ],
          },
        ],
        'post-install': [{ weight: 0, hooks: [{ kind: 'Job', name: 'smoke', namespace: 'prod', path: 'web/templates/hooks.yaml', deletePolicies: [''], outputLogPolicies: [] }] }],
      },
      resources: [
        { kind: 'Namespace', name: 'extra' },
        { kind: 'ConfigMap', name: 'cfg', namespace: 'prod' },
        { kind: 'ClusterRole', name: 'reader' },
        { kind: 'Service', name: 'web', namespace: 'edge' },
        { kind: 'Deployment', name: 'web', namespace: 'prod' },
      ],
      deletions: [],
      warnings: [],
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('adds crds only when the install applies some', () => {
    const withCrd = stream(at('web/crds/w.yaml')({ kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1', name: 'widgets.example.com' }));
    expect(planToJson(planRelease({ ...base, action: 'install', manifest: withCrd })).crds).toEqual([{ kind: 'CustomResourceDefinition', name: 'widgets.example.com' }]);
  });
});
