/** Small builders for core tests: manifests and hooks without big literals. */
import type { Hook } from '../../lib/core/hooks';

export interface DocSpec {
  kind: string;
  name: string;
  apiVersion?: string;
  namespace?: string;
  annotations?: Record<string, string>;
  /** Extra top-level YAML lines, e.g. `data:\n  a: "1"`. */
  body?: string;
}

/** One document's YAML (annotation values double-quoted, as charts write them). */
export function yamlDoc({ kind, name, apiVersion = 'v1', namespace, annotations, body }: DocSpec): string {
  const lines = [`apiVersion: ${apiVersion}`, `kind: ${kind}`, 'metadata:', `  name: ${name}`];
  if (namespace) lines.push(`  namespace: ${namespace}`);
  if (annotations) {
    lines.push('  annotations:');
    for (const [k, v] of Object.entries(annotations)) lines.push(`    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  }
  if (body) lines.push(body);
  return lines.join('\n');
}

/** A `helm template`-style stream: `---\n# Source: <path>\n<doc>\n` per document. */
export function stream(...docs: { path: string; spec: DocSpec }[]): string {
  return docs.map(({ path, spec }) => `---\n# Source: ${path}\n${yamlDoc(spec)}\n`).join('');
}

export const at = (path: string) => (spec: DocSpec) => ({ path, spec });

export function hook(overrides: Partial<Hook> & Pick<Hook, 'name'>): Hook {
  return {
    kind: 'Job',
    apiVersion: 'batch/v1',
    path: 'chart/templates/hooks.yaml',
    index: 0,
    manifest: '',
    events: ['pre-install'],
    weight: 0,
    deletePolicies: [],
    outputLogPolicies: [],
    ...overrides,
  };
}
