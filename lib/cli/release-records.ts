/** The release records of a cluster, read the way helm's read commands read them. */
import { chartProvenance } from '../core/chart-source';
import { ErrorName, HelmSfnError } from '../core/errors';
import type { HelmRelease } from '../core/release-record';
import { ReleaseStore } from '../engine/release-store';
import { localDeps } from '../local/run-locally';
import type { KubeFlags } from './kube-target';

/** Every revision of a release, oldest first. */
export async function releaseHistory(release: string, namespace: string, flags: KubeFlags): Promise<HelmRelease[]> {
  return new ReleaseStore(localDeps({ kubeconfigPath: flags.kubeconfig, kubeContext: flags.kubeContext })).history(release, namespace);
}

export const releaseNotFound = (release: string, namespace: string): HelmSfnError => new HelmSfnError(ErrorName.ReleaseNotFound, `release: not found: ${release} in ${namespace}`);

/** `<chart>-<version>`, helm's CHART column. */
export const chartName = (r: HelmRelease): string => `${r.chart.metadata?.name ?? ''}-${r.chart.metadata?.version ?? ''}`;

/** Where a registry or repository chart came from, and the digest that pinned it. */
export function provenance(r: HelmRelease): { chart_source?: string; chart_digest?: string } {
  const p = chartProvenance(r);
  return p ? { chart_source: p.source, chart_digest: p.digest } : {};
}
