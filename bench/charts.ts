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

/** A hook Job that runs `command` (busybox), deleted before creation and when it succeeds. */
function hookJob(name: string, events: string, weight: number, command: string): string {
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  annotations:
    "helm.sh/hook": ${events}
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
        command: ["sh", "-c", "${command}"]
`;
}

const instantJob = (name: string, events: string, weight: number) => hookJob(name, events, weight, 'echo done');

const configMap = (index: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-${index}\ndata:\n  index: "${index}"\n`;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const documents = (parts: string[]) => parts.map((p) => `---\n${p}`).join('');

/** Writes a chart of these templates to a new temporary directory; its path. */
function writeChartFiles(name: string, templates: Record<string, string>): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'helm-sfn-bench-')), name);
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
  writeFileSync(path.join(dir, 'values.yaml'), '{}\n');
  for (const [file, text] of Object.entries(templates)) writeFileSync(path.join(dir, 'templates', file), text);
  return dir;
}

/** Writes the chart to a new temporary directory and returns its path. */
export function writeHookChart(spec: HookChartSpec): string {
  return writeChartFiles('hooks', {
    'hooks.yaml': documents(range(spec.hooks).map((i) => hookJob(`hook-${i}`, 'pre-install', i % spec.weights, `sleep ${spec.hookSeconds}`))),
    'config.yaml': documents(range(spec.resources).map(configMap)),
  });
}

/** Short hooks: a pre-install, a post-install and a pre-delete Job that finish at once, and a 2-replica Deployment. */
export function writeShortHookChart(): string {
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
`;
  return writeChartFiles('short-hooks', {
    'hooks.yaml': documents([instantJob('migrate', 'pre-install', 0), instantJob('smoke', 'post-install', 0), instantJob('backup', 'pre-delete', 0)]),
    'web.yaml': documents([deployment]),
  });
}

export interface ScaleChartSpec {
  /** ConfigMaps, each with `bytesEach` bytes of data */
  readonly resources: number;
  readonly bytesEach: number;
  /** ConfigMap hooks (pre-install, pre-upgrade, pre-delete), over `weights` weights */
  readonly configMapHooks: number;
  /** instant Job hooks (post-install, post-upgrade), over `weights` weights */
  readonly jobHooks: number;
  readonly weights: number;
}

/** A large chart: many big ConfigMaps and many hooks (data repeats, so the release record compresses as real manifests do). */
export function writeScaleChart(spec: ScaleChartSpec): string {
  const filler = 'helm-sfn scale benchmark '.repeat(Math.ceil(spec.bytesEach / 25)).slice(0, spec.bytesEach);
  const cm = (i: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-${i}\ndata:\n  index: "${i}"\n  text: "${filler}"\n`;
  const cmHook = (i: number) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hook-config-${i}\n  annotations:\n    "helm.sh/hook": pre-install,pre-upgrade,pre-delete\n    "helm.sh/hook-weight": "${i % spec.weights}"\ndata:\n  index: "${i}"\n`;
  // helm refuses a template file over 5 MiB: 200 ConfigMaps per file
  const files = Object.fromEntries(range(Math.ceil(spec.resources / 200)).map((f) => [`config-${f}.yaml`, documents(range(Math.min(200, spec.resources - f * 200)).map((i) => cm(f * 200 + i)))]));
  return writeChartFiles('scale', {
    ...files,
    'hooks.yaml': documents([...range(spec.configMapHooks).map(cmHook), ...range(spec.jobHooks).map((i) => instantJob(`hook-job-${i}`, 'post-install,post-upgrade', i % spec.weights))]),
  });
}
