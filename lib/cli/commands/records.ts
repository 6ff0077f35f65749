/**
 * `status`, `history`, `list` and `unlock`: read (or free) the release records in the cluster
 * of $KUBECONFIG — the same Secrets the helm CLI reads, shown the way helm shows them.
 */
import { Command } from 'commander';
import { chartProvenance } from '../../core/chart-source';
import { ErrorName, HelmSfnError } from '../../core/errors';
import type { KubeObject } from '../../core/objects';
import { latest, releaseFromSecret, type HelmRelease } from '../../core/release-record';
import { unlockRelease, type OwnerState } from '../../engine/recover';
import { ReleaseStore, type LockHolder } from '../../engine/release-store';
import { livenessState } from '../../local/liveness';
import { EXECUTION_ARN_PREFIX, localDeps } from '../../local/run-locally';
import { outputFormat } from '../options';
import { table } from '../tables';

interface Flags {
  namespace: string;
  allNamespaces?: boolean;
  output: 'table' | 'json';
  kubeconfig?: string;
  force?: boolean;
}

export function register(program: Command): void {
  withCommon(program.command('status').description("show a release's status").argument('<release>')).action(async (release: string, flags: Flags) => {
    const last = latest(await history(release, flags));
    if (!last) throw notFound(release, flags.namespace);
    print(flags, statusJson(last), statusText(last));
  });

  withCommon(program.command('history').description("show a release's revisions").argument('<release>')).action(async (release: string, flags: Flags) => {
    const records = await history(release, flags);
    if (!records.length) throw notFound(release, flags.namespace);
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
    print(
      flags,
      rows,
      table(
        ['REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION', 'DESCRIPTION', ...(digests ? ['CHART DIGEST'] : [])],
        rows.map((r) => [String(r.revision), helmTime(r.updated), r.status, r.chart, r.app_version, r.description, ...(digests ? [r.chart_digest ?? ''] : [])]),
      ),
    );
  });

  withCommon(program.command('list').description('list releases').option('-A, --all-namespaces', 'list releases in every namespace')).action(
    async (flags: Flags) => {
      const secrets = await localDeps({ kubeconfigPath: flags.kubeconfig }).kube.list('v1', 'Secret', flags.allNamespaces ? undefined : flags.namespace, {
        labelSelector: 'owner=helm',
      });
      const byRelease = new Map<string, HelmRelease>();
      for (const record of secrets.map((s: KubeObject) => releaseFromSecret(s))) {
        const key = `${record.namespace}/${record.name}`;
        if ((byRelease.get(key)?.version ?? 0) < record.version) byRelease.set(key, record);
      }
      const rows = [...byRelease.values()]
        .filter((r) => r.info.status !== 'uninstalled')
        .sort((a, b) => a.name.localeCompare(b.name) || a.namespace.localeCompare(b.namespace))
        .map((r) => ({ name: r.name, namespace: r.namespace, revision: String(r.version), updated: r.info.last_deployed ?? '', status: r.info.status, chart: chartName(r), app_version: r.chart.metadata?.appVersion ?? '' }));
      print(
        flags,
        rows,
        table(
          ['NAME', 'NAMESPACE', 'REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION'],
          rows.map((r) => [r.name, r.namespace, r.revision, goTimeString(r.updated), r.status, r.chart, r.app_version]),
        ),
      );
    },
  );

  withCommon(
    program
      .command('unlock')
      .description('free a release left locked (pending-*, or claimed by a test) by an execution that ended, so it can move again')
      .argument('<release>')
      .option('--force', "unlock when the owner's state cannot be checked (a local run on another host, no AWS credentials); never a live owner")
      .option('--steal', 'unlock even while the owning execution runs (it is not stopped: its next writes may clash)'),
  ).action(async (release: string, flags: Flags & { steal?: boolean }) => {
    const deps = localDeps({ kubeconfigPath: flags.kubeconfig });
    const ownerState = async (holder: LockHolder): Promise<OwnerState> => {
      const state = await executionState(holder);
      return state === 'unknown' && flags.force ? 'ended' : state;
    };
    const result = await unlockRelease({ release, namespace: flags.namespace }, ownerState, deps, { steal: flags.steal });
    const freed = result.claim ? `the claim on revision ${result.revision} (${result.previousStatus}) is released` : `revision ${result.revision} was ${result.previousStatus}; it is now failed`;
    const running = result.stillRunning.length ? `; hooks still running, left alone: ${result.stillRunning.join(', ')}` : '';
    print(flags, result, `${release}: ${freed} and the release can move again${running}\n`);
  });
}

/**
 * Whether a lock's owner still runs. An AWS execution: DescribeExecution (with the caller's
 * credentials). A local execution runs inside a helm-sfn process: the record names it (host,
 * pid, start time), and on the same host that process can be looked at.
 */
async function executionState(holder: LockHolder): Promise<OwnerState> {
  const arn = holder.execution ?? '';
  if (arn.startsWith(EXECUTION_ARN_PREFIX)) return livenessState(holder.liveness);
  try {
    const region = arn.split(':')[3];
    // the AWS SDK loads only when a remote execution is asked about (test/cli/startup.test.ts)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DescribeExecutionCommand, SFNClient } = require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn');
    const { status } = await new SFNClient({ region }).send(new DescribeExecutionCommand({ executionArn: arn }));
    return status === 'RUNNING' || status === 'PENDING_REDRIVE' ? 'running' : 'ended';
  } catch {
    return 'unknown';
  }
}

const withCommon = (cmd: Command) =>
  cmd
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-o, --output <format>', 'table or json', outputFormat, 'table')
    .option('--kubeconfig <file>', 'cluster to use (default: $KUBECONFIG)');

async function history(release: string, flags: Flags): Promise<HelmRelease[]> {
  return new ReleaseStore(localDeps({ kubeconfigPath: flags.kubeconfig })).history(release, flags.namespace);
}

const notFound = (release: string, namespace: string) => new HelmSfnError(ErrorName.ReleaseNotFound, `release: not found: ${release} in ${namespace}`);

/** Where a registry or repository chart came from, and the digest that pinned it. */
function provenance(r: HelmRelease): { chart_source?: string; chart_digest?: string } {
  const p = chartProvenance(r);
  return p ? { chart_source: p.source, chart_digest: p.digest } : {};
}

const chartName = (r: HelmRelease) => `${r.chart.metadata?.name ?? ''}-${r.chart.metadata?.version ?? ''}`;

/** helm history's time format: "Mon Jan  2 15:04:05 2006". */
/** Go's time.ANSIC in local time, as `helm history` and `helm status` print dates. */
function helmTime(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return '';
  const [weekday, month] = [d.toLocaleString('en-US', { weekday: 'short' }), d.toLocaleString('en-US', { month: 'short' })];
  return `${weekday} ${month} ${String(d.getDate()).padStart(2)} ${clock(d)} ${d.getFullYear()}`;
}

/** Go's Time.String() in local time ("2006-01-02 15:04:05.999999999 -0700 MST"), as `helm list` prints dates. */
function goTimeString(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return '';
  const fraction = (/\.(\d+)/.exec(rfc3339)?.[1] ?? '').replace(/0+$/, '');
  const offset = -d.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  const name = d.toLocaleString('en-US', { timeZoneName: 'short' }).split(' ').pop();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(d)}${fraction ? `.${fraction}` : ''} ${zone} ${name}`;
}

const pad = (n: number) => String(n).padStart(2, '0');
const clock = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

function print(flags: Flags, json: unknown, text: string): void {
  process.stdout.write(flags.output === 'json' ? `${JSON.stringify(json, null, 2)}\n` : text);
}

/** What `status` shows: never values or manifests (they may hold secrets). */
function statusJson(r: HelmRelease) {
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

function statusText(r: HelmRelease): string {
  const s = statusJson(r);
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
