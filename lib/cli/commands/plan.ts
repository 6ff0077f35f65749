/**
 * `helm-sfn plan`: what a release would do — hook events and weight groups in execution order,
 * resources to apply and to delete — rendered with the real helm, without touching a cluster.
 */
import { readFileSync } from 'fs';
import { Command, Option } from 'commander';
import { ErrorName, HelmSfnError } from '../../core/errors';
import { planRelease, planToJson, RELEASE_ACTIONS, type PlanJson, type ReleaseAction } from '../../core/plan';
import { renderChart } from '../../helm/template';
import { findHelm } from '../../helm/helm-binary';
import { namespaceOf, withKubeFlags, type KubeFlags } from '../kube-target';
import { collect, hookMode, keyValue } from '../options';
import { outputOption, structured, type OutputFormat } from '../output';

interface PlanFlags extends KubeFlags {
  release: string;
  helmBinary?: string;
  action: ReleaseAction;
  previousManifest?: string;
  values: string[];
  set: string[];
  hookMode: 'weight-groups' | 'sequential';
  output: OutputFormat;
}

export function register(program: Command): void {
  withKubeFlags(
    program
      .command('plan')
      .description('show the hook phases, weight groups and resources of a release action, without a cluster (a kubeconfig is read only for its namespace)')
      .argument('<chart>', 'chart directory or .tgz')
      // required, but checked in the action: commander reports a missing required option before an unknown one
      .option('--release <name>', 'release name (required)'),
  )
    .addOption(new Option('--action <action>', 'lifecycle action').choices(RELEASE_ACTIONS).default('install'))
    .option('--previous-manifest <file>', 'upgrade/rollback: the manifest of the last revision (helm get manifest)')
    .option('-f, --values <file>', 'values file (repeatable)', collect, [])
    .option('--set <key=value>', 'set a value (repeatable)', keyValue, [])
    .option('--hook-mode <mode>', 'weight-groups or sequential', hookMode, 'weight-groups')
    .option('--helm-binary <path>', 'helm ≥ 3.13 to render with (default: $HELM_BIN, else the bundled helm 4 on linux-amd64, else helm on PATH)')
    .addOption(outputOption())
    .action(async (chart: string, flags: PlanFlags, cmd: Command) => {
      if (!flags.release) cmd.error("error: required option '--release <name>' not specified");
      const namespace = namespaceOf(flags);
      const { manifest } = await renderChart({
        helmBinary: (await findHelm({ flag: flags.helmBinary })).path,
        release: flags.release,
        namespace,
        chart,
        valuesFiles: flags.values,
        set: flags.set,
        isUpgrade: flags.action === 'upgrade',
      });
      const plan = planRelease({
        action: flags.action,
        release: flags.release,
        namespace,
        manifest,
        previousManifest: flags.previousManifest === undefined ? undefined : readManifest(flags.previousManifest),
        hookMode: flags.hookMode,
      });
      const json = planToJson(plan);
      process.stdout.write(flags.output === 'table' ? planTable(json) : structured(flags.output, json));
    });
}

function readManifest(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new HelmSfnError(ErrorName.InvalidInput, `--previous-manifest: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/** For people: one line per weight group, then the resources. */
function planTable(plan: PlanJson): string {
  const lines = [`${plan.action} ${plan.release} in ${plan.namespace} (hooks: ${plan.hookMode})`];
  for (const [event, groups] of Object.entries(plan.hooks)) {
    lines.push('', `${event}: ${groups.length ? `${groups.length} group(s)` : 'no hooks'}`);
    for (const group of groups) {
      const hooks = group.hooks.map((h) => `${h.kind}/${h.name}${h.deletePolicies.length ? ` [${h.deletePolicies.join(',')}]` : ''}`);
      lines.push(`  weight ${String(group.weight).padStart(4)}  ${hooks.join('  ')}`);
    }
  }
  const objects = (title: string, refs: PlanJson['resources']) => {
    if (!refs.length) return;
    lines.push('', `${title} (${refs.length}):`);
    for (const r of refs) lines.push(`  ${r.kind}/${r.name}${r.namespace ? ` -n ${r.namespace}` : ''}`);
  };
  objects('resources to apply', plan.resources);
  objects('resources to delete', plan.deletions);
  if (plan.warnings.length) lines.push('', 'warnings:', ...plan.warnings.map((w) => `  ! ${w}`));
  return `${lines.join('\n')}\n`;
}
