/**
 * Small chart builders for tests (Helm's `buildChart(withName(…))` idea): a chart is a name,
 * some templates and values, written to a temp directory.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

export interface ChartSpec {
  name?: string;
  version?: string;
  templates: Record<string, string>;
  /** Files of the chart's crds/ directory. */
  crds?: Record<string, string>;
  values?: string;
}

export function writeChart(spec: ChartSpec): string {
  const name = spec.name ?? 'testchart';
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'chart-')), name);
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: ${spec.version ?? '0.1.0'}\n`);
  writeFileSync(path.join(dir, 'values.yaml'), spec.values ?? '{}\n');
  for (const [file, text] of Object.entries(spec.templates)) writeFileSync(path.join(dir, 'templates', file), text);
  if (spec.crds) mkdirSync(path.join(dir, 'crds'));
  for (const [file, text] of Object.entries(spec.crds ?? {})) writeFileSync(path.join(dir, 'crds', file), text);
  return dir;
}

export interface HookSpec {
  name: string;
  kind?: 'Job' | 'Pod' | 'ConfigMap' | 'ServiceAccount';
  events: string;
  weight?: string;
  deletePolicy?: string;
  outputLogPolicy?: string;
  timeout?: string;
  /** busybox-style script the simulated kubelet runs */
  script?: string;
  backoffLimit?: number;
  ttlSecondsAfterFinished?: number;
}

/** One hook document; Jobs and Pods run `sh -c script`. */
export function hook(h: HookSpec): string {
  const kind = h.kind ?? 'Job';
  const annotations = [
    `    "helm.sh/hook": "${h.events}"`,
    h.weight !== undefined ? `    "helm.sh/hook-weight": "${h.weight}"` : '',
    h.deletePolicy !== undefined ? `    "helm.sh/hook-delete-policy": "${h.deletePolicy}"` : '',
    h.outputLogPolicy !== undefined ? `    "helm.sh/hook-output-log-policy": "${h.outputLogPolicy}"` : '',
    h.timeout !== undefined ? `    "helm-sfn.io/hook-timeout": "${h.timeout}"` : '',
  ].filter(Boolean);
  const head = `apiVersion: ${kind === 'Job' ? 'batch/v1' : 'v1'}\nkind: ${kind}\nmetadata:\n  name: ${h.name}\n  annotations:\n${annotations.join('\n')}\n`;
  const container = `      - name: main\n        image: busybox:1.36\n        command: ["sh", "-c", ${JSON.stringify(h.script ?? 'echo ok')}]\n`;
  switch (kind) {
    case 'Job':
      return (
        head +
        `spec:\n  backoffLimit: ${h.backoffLimit ?? 0}\n` +
        (h.ttlSecondsAfterFinished !== undefined ? `  ttlSecondsAfterFinished: ${h.ttlSecondsAfterFinished}\n` : '') +
        `  template:\n    spec:\n      restartPolicy: Never\n      containers:\n${container}`
      );
    case 'Pod':
      return head + `spec:\n  restartPolicy: Never\n  containers:\n${container.replace(/^ {2}/gm, '')}`;
    case 'ConfigMap':
      return head + 'data:\n  ran: "yes"\n';
    case 'ServiceAccount':
      return head;
  }
}

export const configMap = (name: string, extra = ''): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}data:\n  k: v\n`;

export const docs = (...parts: string[]): string => parts.map((p) => `---\n${p}`).join('\n');
