/**
 * The real helm (v4.1.4) as oracle: `helm template` output classified and ordered by lib/core must
 * be exactly what Helm printed (docs/semantics.md#rendering-the-hook-chart and #weight-parsing).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { classifyManifest, type Hook } from '../../lib/core/hooks';
import { joinManifest, splitManifest } from '../../lib/core/manifest';
import { groupHooks, hooksForEvent } from '../../lib/core/ordering';
import { planRelease } from '../../lib/core/plan';
import { binaries } from '../../lib/helm/binaries';
import { yamlDoc } from './builders';

const HOOKCHART = path.join(__dirname, '..', 'fixtures', 'charts', 'hookchart');

interface Rendered {
  stdout: string;
  stderr: string;
}

let home: string;
function helmTemplate(chart: string, ...flags: string[]): Rendered {
  const run = spawnSync(binaries().helm, ['template', 'rel', chart, '--namespace', 'ns1', ...flags], {
    env: { PATH: process.env.PATH, HOME: home },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`helm template ${flags.join(' ')} failed: ${run.stderr}`);
  return { stdout: run.stdout, stderr: run.stderr };
}

/** The weight chart (docs/semantics.md#weight-parsing): six pre-install ConfigMaps whose weights test strconv.Atoi. */
function writeWeightChart(dir: string): string {
  const weights: [string, string | undefined][] = [
    ['a-space', ' 5'],
    ['b-abc', 'abc'],
    ['c-plus', '+3'],
    ['d-neg', '-5'],
    ['e-none', undefined],
    ['f-empty', ''],
  ];
  const docs = weights.map(([name, weight]) =>
    yamlDoc({ kind: 'ConfigMap', name, annotations: { 'helm.sh/hook': 'pre-install', ...(weight === undefined ? {} : { 'helm.sh/hook-weight': weight }) } }),
  );
  const chart = path.join(dir, 'wchart');
  fs.mkdirSync(path.join(chart, 'templates'), { recursive: true });
  fs.writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: wchart\nversion: 0.1.0\n');
  fs.writeFileSync(path.join(chart, 'templates', 'hooks.yaml'), docs.join('\n---\n') + '\n');
  return chart;
}

const names = (items: { kind: string; name: string }[]) => items.map((i) => `${i.kind}/${i.name}`);
const docNames = (docs: { object: { kind: string; metadata: { name: string } } }[]) => docs.map((d) => `${d.object.kind}/${d.object.metadata.name}`);

const E1_RESOURCES = ['Namespace/extra-ns', 'ConfigMap/keepme', 'ConfigMap/annotated-not-hook', 'Service/svc', 'Deployment/app', 'Gadget/g1', 'Widget/w1'];
const E1_HOOKS = [
  'ServiceAccount/h-plus',
  'Secret/h-a-w0',
  'ConfigMap/h-b-w0',
  'ConfigMap/h-neg',
  'ConfigMap/h-badweight',
  'ConfigMap/h-spaceweight',
  'Pod/t-legacy',
  'Job/h-a-w0',
  'Widget/h-a-w0',
];

let plain: Rendered, withCrds: Rendered, noHooks: Rendered, skipTests: Rendered, weights: Rendered;
beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-oracle-'));
  plain = helmTemplate(HOOKCHART);
  withCrds = helmTemplate(HOOKCHART, '--include-crds');
  noHooks = helmTemplate(HOOKCHART, '--no-hooks');
  skipTests = helmTemplate(HOOKCHART, '--skip-tests');
  weights = helmTemplate(writeWeightChart(home));
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe('helm template hookchart', () => {
  it('prints regular resources in InstallOrder (Gadget before Widget), then hooks in stored kind order — as we classify them', () => {
    const docs = splitManifest(plain.stdout);
    const { resources, hooks, crds } = classifyManifest(docs);
    expect(docNames(resources)).toEqual(E1_RESOURCES);
    expect(names(hooks)).toEqual(E1_HOOKS);
    expect(docNames(docs)).toEqual([...E1_RESOURCES, ...E1_HOOKS]);
    expect(crds).toEqual([]);
  });

  it('round-trips helm\'s output byte for byte: resources, then hooks, in Helm\'s manifest format', () => {
    const { resources, hooks } = classifyManifest(splitManifest(plain.stdout));
    expect(joinManifest(resources) + joinManifest(hooks.map((h) => ({ path: h.path, text: h.manifest })))).toBe(plain.stdout);
  });

  it('drops h-unknown and h-empty as helm does, and says so where helm only logs', () => {
    expect(plain.stdout).not.toMatch(/h-unknown|h-empty/);
    expect(plain.stderr).toContain('msg="skipping unknown hooks" hookTypes=pre-install,pre-foo');
    expect(plain.stderr).toContain('msg="skipping unknown hooks" hookTypes=""');

    // templates/hooks.yaml has no template directives: its text is what Helm rendered before dropping
    const rawHooks = fs.readFileSync(path.join(HOOKCHART, 'templates', 'hooks.yaml'), 'utf8');
    const { resources, hooks } = classifyManifest(splitManifest(plain.stdout));
    const raw = classifyManifest(splitManifest(`${joinManifest(resources)}---\n# Source: hookchart/templates/hooks.yaml\n${rawHooks}`));
    const comparable = (h: Hook) => ({ ...h, index: 0 });
    expect(raw.hooks.map(comparable)).toEqual(hooks.map(comparable));
    expect(raw.warnings.filter((w) => /unknown event/.test(w))).toEqual([
      expect.stringMatching(/^hookchart\/templates\/hooks\.yaml \(document \d+\) ConfigMap\/h-unknown: helm\.sh\/hook "pre-install,pre-foo" has unknown event "pre-foo"/),
      expect.stringMatching(/^hookchart\/templates\/hooks\.yaml \(document \d+\) ConfigMap\/h-empty: helm\.sh\/hook "" has unknown event ""/),
    ]);
  });

  it('reads events, weights and policies as Helm does', () => {
    const { hooks, warnings } = classifyManifest(splitManifest(plain.stdout));
    const byName = (kind: string, name: string) => hooks.find((h) => h.kind === kind && h.name === name) as Hook;
    expect(byName('ConfigMap', 'h-neg')).toMatchObject({ events: ['pre-install', 'post-upgrade'], weight: -5, deletePolicies: ['hook-succeeded', 'before-hook-creation'] });
    expect(byName('Pod', 't-legacy')).toMatchObject({ events: ['test'], outputLogPolicies: ['hook-failed'] });
    expect(byName('ServiceAccount', 'h-plus').weight).toBe(3);
    expect([byName('ConfigMap', 'h-badweight').weight, byName('ConfigMap', 'h-spaceweight').weight]).toEqual([0, 0]);
    expect(warnings).toEqual([expect.stringMatching(/h-badweight: hook-weight "abc" is not an integer/), expect.stringMatching(/h-spaceweight: hook-weight " 5" is not an integer/)]);
  });

  it('runs pre-install hooks by weight, then name, then kind (SA/Secret/Job/Widget of one name in kind order)', () => {
    const { hooks } = classifyManifest(splitManifest(plain.stdout));
    expect(names(hooksForEvent(hooks, 'pre-install'))).toEqual([
      'ConfigMap/h-neg',
      'Secret/h-a-w0',
      'Job/h-a-w0',
      'Widget/h-a-w0',
      'ConfigMap/h-b-w0',
      'ConfigMap/h-badweight',
      'ConfigMap/h-spaceweight',
      'ServiceAccount/h-plus',
    ]);
  });
});

describe('--include-crds', () => {
  it('prints the CRD first; we plan it apart from the resources, for install', () => {
    const docs = splitManifest(withCrds.stdout);
    expect([docs[0].path, docs[0].object.kind]).toEqual(['hookchart/crds/crd.yaml', 'CustomResourceDefinition']);
    const plan = planRelease({ action: 'install', release: 'rel', namespace: 'ns1', manifest: withCrds.stdout });
    expect(names(plan.crds)).toEqual(['CustomResourceDefinition/widgets.example.com']);
    expect(names(plan.resources)).toEqual(E1_RESOURCES);
    expect(plan.releaseManifest).toBe(joinManifest(classifyManifest(splitManifest(plain.stdout)).resources));
  });
});

describe('--no-hooks and --skip-tests', () => {
  it('--no-hooks prints no hook; the resources are unchanged', () => {
    const { hooks, resources } = classifyManifest(splitManifest(noHooks.stdout));
    expect(noHooks.stdout).not.toContain('helm.sh/hook');
    expect(hooks).toEqual([]);
    expect(docNames(resources)).toEqual(E1_RESOURCES);
  });

  it('--skip-tests removes exactly the hooks we read as test hooks (test-success is test)', () => {
    const all = classifyManifest(splitManifest(plain.stdout)).hooks;
    const { hooks } = classifyManifest(splitManifest(skipTests.stdout));
    expect(names(hooks)).toEqual(names(all.filter((h) => !h.events.includes('test'))));
    expect(names(all.filter((h) => h.events.includes('test')))).toEqual(['Pod/t-legacy']);
  });
});

describe('weights parsed with strconv.Atoi', () => {
  it('keeps the chart\'s file order as stored order', () => {
    const { hooks } = classifyManifest(splitManifest(weights.stdout));
    expect(hooks.map((h) => [h.name, h.weight])).toEqual([
      ['a-space', 0],
      ['b-abc', 0],
      ['c-plus', 3],
      ['d-neg', -5],
      ['e-none', 0],
      ['f-empty', 0],
    ]);
  });

  it.each([
    ['weight-groups', [[-5, ['d-neg']], [0, ['a-space', 'b-abc', 'e-none', 'f-empty']], [3, ['c-plus']]]],
    ['sequential', [[-5, ['d-neg']], [0, ['a-space']], [0, ['b-abc']], [0, ['e-none']], [0, ['f-empty']], [3, ['c-plus']]]],
  ] as const)('runs d-neg, a-space, b-abc, e-none, f-empty, c-plus (as Helm applied them) in %s mode', (mode, groups) => {
    const { hooks } = classifyManifest(splitManifest(weights.stdout));
    expect(groupHooks(hooksForEvent(hooks, 'pre-install'), mode).map((g) => [g.weight, g.hooks.map((h) => h.name)])).toEqual(groups);
  });
});
