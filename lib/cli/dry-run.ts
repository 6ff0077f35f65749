/**
 * `install|upgrade --dry-run`, locally: lib/engine/dry-run-release checks the release with the
 * API server; this prints it the way `helm install --dry-run` does (status, hooks, manifest,
 * notes), or as the release record with `-o json|yaml`. Nothing is stored, no hook runs.
 */
import type { HelmRelease } from '../core/release-record';
import { ErrorName, HelmSfnError } from '../core/errors';
import { dryRunRelease } from '../engine/dry-run-release';
import { findHelm } from '../helm/helm-binary';
import { localDeps } from '../local/run-locally';
import { helmTime } from './helm-time';
import { printOutput } from './output';
import type { ReleaseFlags } from './release-flags';
import { isRemote } from './remote/flags';
import { runAndReport, type RunFlags } from './run-execution';

/** install and upgrade: print the dry run with `--dry-run`, else run the execution. */
export async function runOrDryRun(input: Record<string, unknown>, flags: ReleaseFlags & RunFlags): Promise<void> {
  if (flags.dryRun) await printDryRun(input, flags);
  else await runAndReport(input, flags);
}

export async function printDryRun(input: Record<string, unknown>, flags: ReleaseFlags): Promise<void> {
  if (isRemote(flags)) throw new HelmSfnError(ErrorName.InvalidInput, '--dry-run: only for local runs (it starts no execution)');
  const helm = await findHelm({ flag: flags.helmBinary });
  const deps = localDeps({ kubeconfigPath: flags.kubeconfig, kubeContext: flags.kubeContext, helm });
  const { release, checked, warnings } = await dryRunRelease(input, deps);
  const shown: HelmRelease = { ...release, info: { ...release.info, description: 'Dry run complete' } };
  printOutput(flags.output, shown, () => releaseText(shown));
  for (const w of warnings) process.stderr.write(`! ${w}\n`);
  process.stderr.write(`dry run: the API server accepted ${checked} object(s); nothing was stored\n`);
}

/** helm's release printer (pkg/cmd/status.go) with hooks and manifest, as --dry-run shows them. */
function releaseText(r: HelmRelease): string {
  const lines = [
    `NAME: ${r.name}`,
    `LAST DEPLOYED: ${helmTime(r.info.last_deployed ?? '')}`,
    `NAMESPACE: ${r.namespace}`,
    `STATUS: ${r.info.status}`,
    `REVISION: ${r.version}`,
    `DESCRIPTION: ${r.info.description ?? ''}`,
    'HOOKS:',
    ...(r.hooks ?? []).map((h) => `---\n# Source: ${h.path}\n${h.manifest.trim()}`),
    'MANIFEST:',
    (r.manifest ?? '').trim(),
  ];
  if (r.info.notes?.trim()) lines.push('', 'NOTES:', r.info.notes.trim());
  return `${lines.join('\n')}\n`;
}
