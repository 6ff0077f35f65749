/**
 * What a release remembers of where its chart came from. Helm records the chart's own metadata
 * (name, version) in the release; a registry or repository chart adds the digest that pinned it
 * and the reference, as chart annotations of the stored record — `helm get metadata`, `helm show`
 * and our `status`/`history` show them, and an upgrade that gives no chart fetches that exact
 * chart again. They are added after rendering, so templates never see them.
 */
import { chartKind, type ChartSpec } from './input';
import type { HelmRelease } from './release-record';

export type { ChartSpec } from './input';

/** A remote chart pinned by digest (no credentials: at most the ARN of the secret holding them). */
export interface PinnedChart {
  readonly spec: ChartSpec;
  readonly name: string;
  readonly version: string;
  readonly digest: string;
}

/** A chart on local disk and, for a registry, repository or https:// chart, what pins it. */
export interface FetchedChart {
  readonly path: string;
  readonly pinned?: PinnedChart;
}

export const CHART_SOURCE_ANNOTATION = 'helm-sfn.io/chart-source';
export const CHART_DIGEST_ANNOTATION = 'helm-sfn.io/chart-digest';

/** The pinned spec of a resolved chart: the digest replaces the constraint (the same chart again, whatever was pushed since). */
export function pinnedSpec(spec: ChartSpec, version: string, digest: string): ChartSpec {
  const { version: _constraint, ...rest } = spec;
  return chartKind(spec) === 'repo' ? { ...rest, version, digest } : { ...rest, digest };
}

/** The record with its chart's source and digest in the chart's annotations. */
export function withPinnedChart(rel: HelmRelease, pinned: PinnedChart | undefined): HelmRelease {
  if (!pinned) return rel;
  const metadata = rel.chart.metadata ?? ({} as NonNullable<HelmRelease['chart']['metadata']>);
  const annotations = { ...(metadata.annotations ?? {}), [CHART_SOURCE_ANNOTATION]: JSON.stringify(pinned.spec), [CHART_DIGEST_ANNOTATION]: pinned.digest };
  return { ...rel, chart: { ...rel.chart, metadata: { ...metadata, annotations } } };
}

/** The pinned source a record keeps, if its chart came from a registry or repository. */
export function pinnedChartOf(rel: HelmRelease | undefined): ChartSpec | undefined {
  const text = rel?.chart.metadata?.annotations?.[CHART_SOURCE_ANNOTATION];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as ChartSpec;
  } catch {
    return undefined;
  }
}

/** How a message or `status` names a chart reference (a spec holds no credentials). */
export function describeChart(spec: ChartSpec): string {
  if (chartKind(spec) === 'repo') return `chart "${spec.name}"${spec.version ? ` version "${spec.version}"` : ''} from ${spec.repo}`;
  const ref = spec.digest ? `${spec.source}@${spec.digest}` : spec.source;
  return spec.version ? `${ref} version "${spec.version}"` : String(ref);
}

/** The registry host of an oci:// source, or the host of a repository or https:// URL. */
export function hostOf(spec: ChartSpec): string {
  return (spec.repo ?? spec.source ?? '').replace(/^[a-z][a-z0-9+.-]*:\/\//, '').split('/')[0];
}

/** What `status` and `history` show of a pinned chart: its reference (no credentials) and digest. */
export function chartProvenance(rel: HelmRelease): { source: string; digest: string } | undefined {
  const spec = pinnedChartOf(rel);
  const digest = rel.chart.metadata?.annotations?.[CHART_DIGEST_ANNOTATION];
  if (!spec || !digest) return undefined;
  const { digest: _pin, ...unpinned } = spec;
  return { source: describeChart(chartKind(spec) === 'repo' ? { ...unpinned, version: undefined } : unpinned), digest };
}
