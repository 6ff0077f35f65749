/** `helm-sfn list`: the last revision of every release not uninstalled, as `helm list` shows them. */
import type { Command } from 'commander';
import type { KubeObject } from '../../core/objects';
import { releaseFromSecret, type HelmRelease } from '../../core/release-record';
import { localDeps } from '../../local/run-locally';
import { goTimeString } from '../helm-time';
import { namespaceOf, withKubeFlags, type KubeFlags } from '../kube-target';
import { outputOption, printOutput, type OutputFormat } from '../output';
import { chartName } from '../release-records';
import { table } from '../tables';

export function register(program: Command): void {
  withKubeFlags(program.command('list').description('list releases'))
    .option('-A, --all-namespaces', 'list releases in every namespace')
    .addOption(outputOption())
    .action(async (flags: KubeFlags & { output: OutputFormat; allNamespaces?: boolean }) => {
      const namespace = flags.allNamespaces ? undefined : namespaceOf(flags);
      const kube = localDeps({ kubeconfigPath: flags.kubeconfig, kubeContext: flags.kubeContext }).kube;
      const secrets = await kube.list('v1', 'Secret', namespace, { labelSelector: 'owner=helm' });
      const byRelease = new Map<string, HelmRelease>();
      for (const record of secrets.map((s: KubeObject) => releaseFromSecret(s))) {
        const key = `${record.namespace}/${record.name}`;
        if ((byRelease.get(key)?.version ?? 0) < record.version) byRelease.set(key, record);
      }
      const rows = [...byRelease.values()]
        .filter((r) => r.info.status !== 'uninstalled')
        .sort((a, b) => a.name.localeCompare(b.name) || a.namespace.localeCompare(b.namespace))
        .map((r) => ({ name: r.name, namespace: r.namespace, revision: String(r.version), updated: r.info.last_deployed ?? '', status: r.info.status, chart: chartName(r), app_version: r.chart.metadata?.appVersion ?? '' }));
      printOutput(flags.output, rows, () =>
        table(
          ['NAME', 'NAMESPACE', 'REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION'],
          rows.map((r) => [r.name, r.namespace, r.revision, goTimeString(r.updated), r.status, r.chart, r.app_version]),
        ),
      );
    });
}
