/** `helm-sfn history`: a release's revisions, as `helm history` shows them. */
import type { Command } from 'commander';
import { helmTime } from '../helm-time';
import { namespaceOf, withKubeFlags, type KubeFlags } from '../kube-target';
import { outputOption, printOutput, type OutputFormat } from '../output';
import { chartName, provenance, releaseHistory, releaseNotFound } from '../release-records';
import { table } from '../tables';

export function register(program: Command): void {
  withKubeFlags(program.command('history').description("show a release's revisions").argument('<release>', 'release name'))
    .addOption(outputOption())
    .action(async (release: string, flags: KubeFlags & { output: OutputFormat }) => {
      const namespace = namespaceOf(flags);
      const records = await releaseHistory(release, namespace, flags);
      if (!records.length) throw releaseNotFound(release, namespace);
      const rows = records.map((r) => ({
        revision: r.version,
        updated: r.info.last_deployed ?? '',
        status: r.info.status,
        chart: chartName(r),
        app_version: r.chart.metadata?.appVersion ?? '',
        description: r.info.description ?? '',
        ...provenance(r),
      }));
      // helm's columns; a CHART DIGEST column only when a revision came from a registry or repository
      const digests = rows.some((r) => r.chart_digest);
      printOutput(flags.output, rows, () =>
        table(
          ['REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION', 'DESCRIPTION', ...(digests ? ['CHART DIGEST'] : [])],
          rows.map((r) => [String(r.revision), helmTime(r.updated), r.status, r.chart, r.app_version, r.description, ...(digests ? [r.chart_digest ?? ''] : [])]),
        ),
      );
    });
}
