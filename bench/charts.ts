/** The benchmark's charts: the wordpress example, and generated charts of hook Jobs and ConfigMaps. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

export const WORDPRESS_CHART = path.resolve(__dirname, '..', 'examples', 'charts', 'wordpress');

export interface HookChartSpec {
  /** pre-install hook Jobs, weights 0 … weights-1 taken in turn */
  readonly hooks: number;
  readonly weights: number;
  /** simulated seconds each hook Job sleeps */
  readonly hookSeconds: number;
  /** regular resources: ConfigMaps */
  readonly resources: number;
}

export const hookChartName = (spec: HookChartSpec): string =>
  `${spec.hooks} hooks over ${spec.weights} weights (sleep ${spec.hookSeconds}), ${spec.resources} ConfigMaps`;

function hookJob(index: number, weight: number, seconds: number): string {
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: hook-${index}
  annotations:
    "helm.sh/hook": pre-install
    "helm.sh/hook-weight": "${weight}"
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
        command: ["sh", "-c", "sleep ${seconds}"]
`;
}

const configMap = (index: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-${index}\ndata:\n  index: "${index}"\n`;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Writes the chart to a new temporary directory and returns its path. */
export function writeHookChart(spec: HookChartSpec): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'helm-sfn-bench-')), 'hooks');
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: hooks\nversion: 0.1.0\n');
  writeFileSync(path.join(dir, 'values.yaml'), '{}\n');
  const documents = (parts: string[]) => parts.map((p) => `---\n${p}`).join('');
  writeFileSync(path.join(dir, 'templates', 'hooks.yaml'), documents(range(spec.hooks).map((i) => hookJob(i, i % spec.weights, spec.hookSeconds))));
  writeFileSync(path.join(dir, 'templates', 'config.yaml'), documents(range(spec.resources).map(configMap)));
  return dir;
}
