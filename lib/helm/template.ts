/** `helm template` for the `plan` command: the real helm renders the chart, no cluster involved. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { binaries } from './binaries';
import { helmEnv, runHelm, valueArgs } from './process';

export interface RenderOptions {
  release: string;
  namespace: string;
  /** A chart directory or a packaged chart (.tgz) on the local disk. */
  chart: string;
  /** Values files, merged in order (`-f`). */
  valuesFiles?: string[];
  /** `--set key=value` items, applied last. */
  set?: string[];
  includeCrds?: boolean;
  kubeVersion?: string;
  noHooks?: boolean;
  isUpgrade?: boolean;
  /** Default 60 s. */
  timeoutMs?: number;
  /** The helm executable; default: the one unpacked by {@link binaries}. */
  helmBinary?: string;
}

export interface ChartSummary {
  name: string;
  version: string;
  appVersion?: string;
}

export interface RenderResult {
  /** `helm template` stdout, unchanged. */
  manifest: string;
  chart: ChartSummary;
  /** What helm printed on stderr while succeeding (deprecation notices and the like). */
  warnings: string[];
}


/**
 * `helm template RELEASE CHART --namespace NS [-f f]… [--set k=v]… [--include-crds]
 * [--kube-version V] [--is-upgrade] [--no-hooks]`, without a shell, with a throw-away HOME and
 * Helm directories so the user's repositories, plugins and registry logins never take part.
 */
export async function renderChart(opts: RenderOptions): Promise<RenderResult> {
  const home = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'helm-sfn-render-'));
  try {
    // `--flag=value` and `--` keep values and paths that start with '-' from being read as flags.
    const args = [
      'template',
      `--namespace=${opts.namespace}`,
      ...valueArgs(opts),
      ...(opts.includeCrds ? ['--include-crds'] : []),
      ...(opts.kubeVersion ? [`--kube-version=${opts.kubeVersion}`] : []),
      ...(opts.isUpgrade ? ['--is-upgrade'] : []),
      ...(opts.noHooks ? ['--no-hooks'] : []),
      '--',
      opts.release,
      opts.chart,
    ];
    const helm = opts.helmBinary ?? binaries().helm;
    const rendered = await runHelm(helm, args, helmEnv(home), opts.timeoutMs);
    const chart = parse((await runHelm(helm, ['show', 'chart', '--', opts.chart], helmEnv(home), opts.timeoutMs)).stdout) as ChartSummary;
    const summary = { name: chart.name, version: chart.version, ...(chart.appVersion ? { appVersion: chart.appVersion } : {}) };
    return { manifest: rendered.stdout, chart: summary, warnings: lines(rendered.stderr) };
  } finally {
    await fs.promises.rm(home, { recursive: true, force: true });
  }
}

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
