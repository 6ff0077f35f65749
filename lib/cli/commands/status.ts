/** `helm-sfn status`: the last revision of a release and its hooks' last runs, as `helm status` shows them. */
import type { Command } from 'commander';
import { latest, type HelmRelease } from '../../core/release-record';
import { helmTime } from '../helm-time';
import { namespaceOf, withKubeFlags, type KubeFlags } from '../kube-target';
import { outputOption, printOutput, type OutputFormat } from '../output';
import { chartName, provenance, releaseHistory, releaseNotFound } from '../release-records';

export function register(program: Command): void {
  withKubeFlags(program.command('status').description("show a release's status").argument('<release>', 'release name'))
    .addOption(outputOption())
    .action(async (release: string, flags: KubeFlags & { output: OutputFormat }) => {
      const namespace = namespaceOf(flags);
      const last = latest(await releaseHistory(release, namespace, flags));
      if (!last) throw releaseNotFound(release, namespace);
      const status = statusOf(last);
      printOutput(flags.output, status, () => statusText(status));
    });
}

/** What `status` shows: never values or manifests (they may hold secrets). */
function statusOf(r: HelmRelease) {
  return {
    name: r.name,
    namespace: r.namespace,
    revision: r.version,
    status: r.info.status,
    description: r.info.description ?? '',
    first_deployed: r.info.first_deployed,
    last_deployed: r.info.last_deployed,
    chart: chartName(r),
    ...provenance(r),
    hooks: (r.hooks ?? []).filter((h) => h.last_run.phase).map((h) => ({ name: h.name, kind: h.kind, events: h.events, ...h.last_run })),
  };
}

function statusText(s: ReturnType<typeof statusOf>): string {
  const lines = [
    `NAME: ${s.name}`,
    `LAST DEPLOYED: ${helmTime(s.last_deployed ?? '')}`,
    `NAMESPACE: ${s.namespace}`,
    `STATUS: ${s.status}`,
    `REVISION: ${s.revision}`,
    `CHART: ${s.chart}`,
    ...(s.chart_source ? [`CHART SOURCE: ${s.chart_source}`, `CHART DIGEST: ${s.chart_digest}`] : []),
    `DESCRIPTION: ${s.description}`,
  ];
  const tests = s.hooks.filter((h) => h.events.includes('test'));
  for (const t of tests) lines.push(`TEST SUITE:     ${t.name}`, `Last Started:   ${t.started_at ?? ''}`, `Last Completed: ${t.completed_at ?? ''}`, `Phase:          ${t.phase}`);
  return `${lines.join('\n')}\n`;
}
