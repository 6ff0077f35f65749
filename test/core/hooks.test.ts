import { ErrorName } from '../../lib/core/errors';
import {
  classifyManifest,
  effectiveDeletePolicies,
  hookRef,
  isCrdFile,
  parseHookEvents,
  parseHookWeight,
  parsePolicies,
  restoreHook,
  type StoredHook,
} from '../../lib/core/hooks';
import { splitManifest } from '../../lib/core/manifest';
import { at, hook, stream, yamlDoc } from './builders';

describe('parseHookEvents (split on ",", trim, lower-case; any unknown piece ⇒ unknown)', () => {
  it.each([
    ['pre-install', { events: ['pre-install'] }],
    [' PRE-INSTALL , Post-Upgrade ', { events: ['pre-install', 'post-upgrade'] }],
    ['test-success', { events: ['test'] }],
    ['test,test-success', { events: ['test', 'test'] }],
    ['pre-install,pre-install', { events: ['pre-install', 'pre-install'] }],
    ['pre-delete,post-delete,pre-rollback,post-rollback', { events: ['pre-delete', 'post-delete', 'pre-rollback', 'post-rollback'] }],
    ['pre-install,pre-foo', { unknown: ['pre-foo'] }],
    ['test-failure', { unknown: ['test-failure'] }],
    ['constructor', { unknown: ['constructor'] }],
    ['', { unknown: [''] }],
    ['pre-install,', { unknown: [''] }],
  ])('"%s" → %j', (value, parsed) => expect(parseHookEvents(value)).toEqual(parsed));
});

describe('parseHookWeight (Go strconv.Atoi; errors ⇒ 0 with a warning)', () => {
  it.each([
    ['0', 0],
    ['-5', -5],
    ['+3', 3],
    ['007', 7],
    ['-0', 0],
    ['9223372036854775807', 9223372036854775807],
    ['-9223372036854775808', -9223372036854775808],
  ])('"%s" → %d', (value, weight) => expect(parseHookWeight(value)).toEqual({ weight }));

  it.each([
    [' 5', /not an integer/],
    ['5 ', /not an integer/],
    ['1.5', /not an integer/],
    ['abc', /not an integer/],
    ['', /not an integer/],
    ['+', /not an integer/],
    ['1_000', /not an integer/],
    ['0x10', /not an integer/],
    ['٣', /not an integer/],
    ['9223372036854775808', /out of the int64 range/],
    ['-9223372036854775809', /out of the int64 range/],
  ])('"%s" → 0 with a warning', (value, warning) => {
    const parsed = parseHookWeight(value);
    expect(parsed.weight).toBe(0);
    expect(parsed.warning).toMatch(warning);
  });
});

describe('policies (split on ",", trim, lower-case, unknown kept)', () => {
  it.each([
    [undefined, []],
    ['', ['']],
    [' Hook-Succeeded , before-hook-creation', ['hook-succeeded', 'before-hook-creation']],
    ['hook-failed,whatever', ['hook-failed', 'whatever']],
  ])('%j → %j', (value, policies) => expect(parsePolicies(value)).toEqual(policies));

  it.each([
    ['no annotation: the default', [], ['before-hook-creation']],
    ['an empty annotation: [""] is not empty, no default (Helm quirk)', [''], ['']],
    ['explicit policies as given', ['hook-succeeded'], ['hook-succeeded']],
  ])('effectiveDeletePolicies: %s', (_, deletePolicies, effective) => {
    expect(effectiveDeletePolicies({ deletePolicies })).toEqual(effective);
  });
});

test('isCrdFile recognises crds/ of the chart and of subcharts only', () => {
  expect(isCrdFile('c/crds/w.yaml')).toBe(true);
  expect(isCrdFile('c/charts/sub/crds/w.yaml')).toBe(true);
  expect(isCrdFile('c/templates/crds/w.yaml')).toBe(false);
  expect(isCrdFile('c/templates/crd.yaml')).toBe(false);
});

test('hookRef puts a hook in its own namespace, else the release namespace; cluster-scoped hooks in none', () => {
  expect(hookRef(hook({ name: 'j' }), 'ns1').namespace).toBe('ns1');
  expect(hookRef(hook({ name: 'j', namespace: 'other' }), 'ns1').namespace).toBe('other');
  expect(hookRef(hook({ name: 'n', kind: 'Namespace', apiVersion: 'v1' }), 'ns1').namespace).toBeUndefined();
});

describe('classifyManifest', () => {
  const hooksFile = at('c/templates/hooks.yaml');
  const classify = (text: string) => classifyManifest(splitManifest(text));

  it('a document without helm.sh/hook is a resource, even with other annotations', () => {
    const { hooks, resources } = classify(stream(hooksFile({ kind: 'ConfigMap', name: 'plain', annotations: { 'example.com/x': 'y' } })));
    expect(hooks).toEqual([]);
    expect(resources.map((d) => d.object.metadata.name)).toEqual(['plain']);
  });

  it('builds a hook with every field', () => {
    const spec = {
      kind: 'Job',
      apiVersion: 'batch/v1',
      name: 'migrate',
      namespace: 'db',
      annotations: {
        'helm.sh/hook': ' PRE-INSTALL , Post-Upgrade ',
        'helm.sh/hook-weight': '-5',
        'helm.sh/hook-delete-policy': ' Hook-Succeeded , before-hook-creation',
        'helm.sh/hook-output-log-policy': 'hook-failed',
        'helm-sfn.io/hook-timeout': '1h30m',
      },
    };
    const { hooks, warnings } = classify(stream(hooksFile(spec)));
    expect(warnings).toEqual([]);
    expect(hooks).toEqual([
      {
        name: 'migrate',
        kind: 'Job',
        apiVersion: 'batch/v1',
        namespace: 'db',
        path: 'c/templates/hooks.yaml',
        index: 0,
        manifest: yamlDoc(spec),
        events: ['pre-install', 'post-upgrade'],
        weight: -5,
        deletePolicies: ['hook-succeeded', 'before-hook-creation'],
        outputLogPolicies: ['hook-failed'],
        timeoutSeconds: 5400,
      },
    ]);
  });

  it('drops documents with an unknown or empty event, with a warning naming path, name and value', () => {
    const { hooks, resources, warnings } = classify(
      stream(
        hooksFile({ kind: 'ConfigMap', name: 'h-unknown', annotations: { 'helm.sh/hook': 'pre-install,pre-foo' } }),
        hooksFile({ kind: 'ConfigMap', name: 'h-empty', annotations: { 'helm.sh/hook': '' } }),
      ),
    );
    expect([hooks, resources]).toEqual([[], []]);
    expect(warnings).toEqual([
      'c/templates/hooks.yaml (document 0) ConfigMap/h-unknown: helm.sh/hook "pre-install,pre-foo" has unknown event "pre-foo"; the document is dropped, as Helm does',
      'c/templates/hooks.yaml (document 1) ConfigMap/h-empty: helm.sh/hook "" has unknown event ""; the document is dropped, as Helm does',
    ]);
  });

  it.each([
    ['a bad weight', { 'helm.sh/hook-weight': 'abc' }, /ConfigMap\/h: hook-weight "abc" is not an integer; Helm uses 0/],
    ['an invalid timeout', { 'helm-sfn.io/hook-timeout': '5 minutes' }, /ConfigMap\/h: helm-sfn.io\/hook-timeout "5 minutes" is not a positive duration/],
    ['a zero timeout', { 'helm-sfn.io/hook-timeout': '0s' }, /is not a positive duration/],
    ['an event listed twice', { 'helm.sh/hook': 'pre-install,pre-install' }, /lists pre-install twice; it runs twice/],
  ])('keeps a hook with %s and warns', (_, annotations, warning) => {
    const { hooks, warnings } = classify(stream(hooksFile({ kind: 'ConfigMap', name: 'h', annotations: { 'helm.sh/hook': 'pre-install', ...annotations } })));
    expect(hooks).toHaveLength(1);
    expect(hooks[0].weight).toBe(0);
    expect(hooks[0].timeoutSeconds).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(warning)]);
  });

  it('a missing weight is 0 without a warning', () => {
    const { hooks, warnings } = classify(stream(hooksFile({ kind: 'ConfigMap', name: 'h', annotations: { 'helm.sh/hook': 'pre-install' } })));
    expect([hooks[0].weight, warnings]).toEqual([0, []]);
  });

  it('orders files by path, documents in file order, then stable by kind in InstallOrder (Helm\'s stored order)', () => {
    const pre = { 'helm.sh/hook': 'pre-install' };
    const text = stream(
      at('c/templates/z.yaml')({ kind: 'Job', apiVersion: 'batch/v1', name: 'z-job', annotations: pre }),
      at('c/templates/z.yaml')({ kind: 'ConfigMap', name: 'z-cm', annotations: pre }),
      at('c/charts/sub/templates/a.yaml')({ kind: 'Job', apiVersion: 'batch/v1', name: 'sub-job', annotations: pre }),
      at('c/templates/a.yaml')({ kind: 'Gizmo', apiVersion: 'example.com/v1', name: 'gizmo', annotations: pre }),
      at('c/templates/a.yaml')({ kind: 'Deployment', apiVersion: 'apps/v1', name: 'app' }),
      at('c/templates/a.yaml')({ kind: 'Alpha', apiVersion: 'example.com/v1', name: 'alpha', annotations: pre }),
      at('c/templates/a.yaml')({ kind: 'ConfigMap', name: 'a-cm', annotations: pre }),
      at('c/templates/a.yaml')({ kind: 'Service', name: 'svc' }),
      at('c/crds/w.yaml')({ kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1', name: 'w.example.com' }),
    );
    const { hooks, resources, crds } = classify(text);
    expect(hooks.map((h) => h.name)).toEqual(['a-cm', 'z-cm', 'sub-job', 'z-job', 'alpha', 'gizmo']);
    expect(resources.map((d) => d.object.metadata.name)).toEqual(['svc', 'app']);
    expect(crds.map((d) => d.object.metadata.name)).toEqual(['w.example.com']);
  });
});

describe('restoreHook (from a stored Helm record)', () => {
  const manifest = yamlDoc({
    kind: 'Job',
    apiVersion: 'batch/v1',
    name: 'r1-pre',
    annotations: { 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '-5', 'helm-sfn.io/hook-timeout': '2h' },
  });
  const stored: StoredHook = { name: 'r1-pre', kind: 'Job', path: 'demo/templates/hooks.yaml', manifest, events: ['pre-install', 'pre-upgrade'], weight: -5, delete_policies: ['before-hook-creation', 'hook-succeeded'] };

  it('takes events, weight and policies from the record, apiVersion/namespace/timeout from the manifest', () => {
    expect(restoreHook(stored, 3)).toEqual({
      hook: {
        name: 'r1-pre',
        kind: 'Job',
        apiVersion: 'batch/v1',
        path: 'demo/templates/hooks.yaml',
        index: 3,
        manifest,
        events: ['pre-install', 'pre-upgrade'],
        weight: -5,
        deletePolicies: ['before-hook-creation', 'hook-succeeded'],
        outputLogPolicies: [],
        timeoutSeconds: 7200,
      },
      warnings: [],
    });
  });

  it('reads omitted weight and policies as Helm does (0, [])', () => {
    const { hook: h } = restoreHook({ name: 'x', kind: 'Job', path: 'p', manifest, events: ['test'] }, 0);
    expect([h.weight, h.deletePolicies, h.outputLogPolicies]).toEqual([0, [], []]);
  });

  it.each([
    ['an unknown event', { ...stored, events: ['pre-foo'] }, /stored hook Job\/r1-pre \(demo\/templates\/hooks.yaml\): unknown event "pre-foo"/],
    ['an empty manifest', { ...stored, manifest: '' }, /its manifest is empty/],
    ['an invalid manifest', { ...stored, manifest: 'kind: Job' }, /apiVersion is required/],
  ])('fails on %s', (_, bad, rule) => {
    expect(() => restoreHook(bad, 0)).toThrow(rule);
    expect(() => restoreHook(bad, 0)).toThrow(expect.objectContaining({ name: ErrorName.ChartRenderFailed }));
  });
});
