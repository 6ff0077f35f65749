import { execFile } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { ErrorName } from '../../lib/core/errors';
import { joinManifest, splitManifest } from '../../lib/core/manifest';
import { at, stream, yamlDoc } from './builders';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'helm4');
const templates = at('mychart/templates/a.yaml');

describe('splitManifest', () => {
  it('reads path, index, object and text of each document of helm template output', () => {
    const text = stream(templates({ kind: 'ConfigMap', name: 'one' }), at('mychart/templates/b.yaml')({ kind: 'Secret', name: 'two' }));
    expect(splitManifest(text)).toEqual([
      { path: 'mychart/templates/a.yaml', index: 0, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' } }, text: yamlDoc({ kind: 'ConfigMap', name: 'one' }) },
      { path: 'mychart/templates/b.yaml', index: 1, object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'two' } }, text: yamlDoc({ kind: 'Secret', name: 'two' }) },
    ]);
  });

  it('lets documents without a Source comment inherit the previous path ("" before any)', () => {
    const text = [yamlDoc({ kind: 'ConfigMap', name: 'a' }), `# Source: c/templates/x.yaml\n${yamlDoc({ kind: 'ConfigMap', name: 'b' })}`, yamlDoc({ kind: 'ConfigMap', name: 'c' })].join('\n---\n');
    expect(splitManifest(text).map((d) => [d.path, d.index])).toEqual([
      ['', 0],
      ['c/templates/x.yaml', 1],
      ['c/templates/x.yaml', 2],
    ]);
  });

  it('skips empty, blank and comment-only documents; a comment-only document still counts in the index', () => {
    const text = `\n\n---\n   \n---\n# Source: c/templates/a.yaml\n# only a comment\n---\n# Source: c/templates/b.yaml\n${yamlDoc({ kind: 'ConfigMap', name: 'b' })}\n---\n`;
    expect(splitManifest(text).map((d) => [d.path, d.index, d.object.metadata.name])).toEqual([['c/templates/b.yaml', 1, 'b']]);
    expect(splitManifest('')).toEqual([]);
    expect(splitManifest('\n  \n')).toEqual([]);
  });

  it('keeps a kind: List document as one document', () => {
    const list = 'apiVersion: v1\nkind: List\nmetadata:\n  name: l\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}';
    const [doc, ...rest] = splitManifest(`---\n# Source: c/templates/l.yaml\n${list}\n`);
    expect(rest).toHaveLength(0);
    expect(doc.object.kind).toBe('List');
    expect(doc.object.items).toHaveLength(2);
  });

  it('resolves scalars as Kubernetes (go-yaml v2, YAML 1.1) does', () => {
    const body = 'spec:\n  defaultMode: 0644\n  enabled: on\n  date: 2001-12-14\n  clock: 190:20:30\n  big: 1_000';
    const [doc] = splitManifest(yamlDoc({ kind: 'Widget', apiVersion: 'example.com/v1', name: 'w', body }));
    expect(doc.object.spec).toEqual({ defaultMode: 420, enabled: true, date: '2001-12-14', clock: '190:20:30', big: 1000 });
  });

  it('reads a null annotation as "" (Go map[string]string) and drops null labels/namespace', () => {
    const [doc] = splitManifest('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace:\n  labels:\n  annotations:\n    helm.sh/hook-delete-policy:\n');
    expect(doc.object.metadata).toEqual({ name: 'c', annotations: { 'helm.sh/hook-delete-policy': '' } });
  });

  it('round-trips a real Helm 4 release manifest byte for byte with joinManifest', () => {
    const { manifest } = JSON.parse(readFileSync(path.join(FIXTURES, 'release-r1-v1.json'), 'utf8')) as { manifest: string };
    const docs = splitManifest(manifest);
    expect(docs.map((d) => `${d.object.kind}/${d.object.metadata.name}`)).toEqual(['ServiceAccount/r1-sa', 'Secret/r1-sec', 'ConfigMap/r1-cfg', 'Service/r1-web', 'Deployment/r1-web']);
    expect(joinManifest(docs)).toBe(manifest);
  });

  const billionLaughs = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: lol',
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  ].join('\n');
  const good = yamlDoc({ kind: 'ConfigMap', name: 'ok' });
  const withBad = (bad: string) => `---\n# Source: mychart/templates/ok.yaml\n${good}\n---\n# Source: mychart/templates/job.yaml\n${good}\n---\n${bad}\n`;

  it.each([
    ['malformed YAML', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: "hunter2\n', /YAML syntax error at line \d+/],
    ['duplicate keys', 'apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata:\n  name: s', /YAML syntax error at line 3: Map keys must be unique/],
    ['a list document', '- apiVersion: v1\n  kind: ConfigMap', /must be a mapping \(a Kubernetes object\), not a list/],
    ['a scalar document', 'just text', /must be a mapping \(a Kubernetes object\), not a string/],
    ['a missing apiVersion', 'kind: ConfigMap\nmetadata:\n  name: x', /apiVersion is required/],
    ['a missing kind', 'apiVersion: v1\nmetadata:\n  name: x', /kind is required/],
    ['a missing metadata', 'apiVersion: v1\nkind: ConfigMap', /metadata is required/],
    ['a missing metadata.name', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}', /metadata.name is required/],
    ['an empty metadata.name', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ""', /metadata.name is required/],
    ['a numeric annotation', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    helm.sh/hook-weight: 5', /metadata.annotations\["helm.sh\/hook-weight"\] must be a string, not a number/],
    ['a list of labels', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [a]', /metadata.labels must be a mapping of strings/],
    ['an alias bomb (billion laughs)', billionLaughs, /YAML aliases: Excessive alias count/],
    ['an unknown alias', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: *nope', /YAML aliases: Unresolved alias/],
  ])('rejects %s, naming the template path and document index', (_, bad, rule) => {
    const run = () => splitManifest(withBad(bad));
    expect(run).toThrow(rule);
    expect(run).toThrow(expect.objectContaining({ name: ErrorName.ChartRenderFailed, message: expect.stringMatching(/^mychart\/templates\/job\.yaml \(document 2\): /) }));
  });

  it('never puts document text into an error', () => {
    expect(() => splitManifest('apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: "hunter2\n')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it.each([
    ['larger than maxBytes', { maxBytes: 1000 }, /mychart\/templates\/a\.yaml \(document 1\d\): the manifest is larger than 1000 bytes/],
    ['more documents than maxDocuments', { maxDocuments: 3 }, /mychart\/templates\/a\.yaml \(document 3\): the manifest has more than 3 documents/],
  ])('rejects a manifest %s', (_, opts, rule) => {
    const text = stream(...Array.from({ length: 30 }, (_, i) => templates({ kind: 'ConfigMap', name: `cm-${i}` })));
    expect(() => splitManifest(text, opts)).toThrow(rule);
    expect(() => splitManifest(text, opts)).toThrow(expect.objectContaining({ name: ErrorName.ChartRenderFailed }));
    expect(splitManifest(text)).toHaveLength(30);
  });

  it('counts bytes, not characters', () => {
    const text = yamlDoc({ kind: 'ConfigMap', name: 'c', body: `data:\n  a: "${'é'.repeat(600)}"` });
    expect(text.length).toBeLessThan(1000);
    expect(() => splitManifest(text, { maxBytes: 1000 })).toThrow(/larger than 1000 bytes/);
  });
});

describe('joinManifest', () => {
  it('writes Helm\'s release.manifest format', () => {
    expect(joinManifest([{ path: 'c/templates/a.yaml', text: 'a: 1' }, { path: 'c/templates/b.yaml', text: 'b: 2' }])).toBe(
      '---\n# Source: c/templates/a.yaml\na: 1\n---\n# Source: c/templates/b.yaml\nb: 2\n',
    );
    expect(joinManifest([])).toBe('');
  });
});

test('a 5 MB manifest of 2,000 documents with long quoted strings parses, twice over, within a 96 MB heap', async () => {
  // yaml's quoted scalars are V8 ropes of one node per piece until flattened: unflattened, these
  // two parses hold ~340 MB, more than the 256 MB engine function has
  const script = `
    const { splitManifest } = require(${JSON.stringify(path.resolve(__dirname, '../../lib/core/manifest'))});
    const text = 'helm-sfn '.repeat(290);
    const manifest = Array.from({ length: 2000 }, (_, i) => '---\\n# Source: c/templates/cm-' + i + '.yaml\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: cm-' + i + '\\ndata:\\n  text: "' + text + '"\\n').join('');
    const kept = [splitManifest(manifest), splitManifest(manifest)];
    process.stdout.write(String(kept[0].length + kept[1].length));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--max-old-space-size=96', '--require', require.resolve('tsx/cjs'), '-e', script]);
  expect(stdout).toBe('4000');
});
