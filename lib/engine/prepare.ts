/**
 * The first tasks: validate the input, then take the release's lock (create the next
 * revision's record) with everything later tasks need stored in it — Helm's own order
 * (pkg/action/install.go, uninstall.go).
 */
import type { ReleaseContext } from '../core/contract';
import { ErrorName, HelmSfnError } from '../core/errors';
import { parseExecutionInput, type ExecutionInput } from '../core/input';
import { classifyManifest } from '../core/hooks';
import { splitManifest } from '../core/manifest';
import { describeRef, refOf, type KubeObject } from '../core/objects';
import { planRelease } from '../core/plan';
import { isPending, type HelmRelease } from '../core/release';
import type { EngineDeps } from './deps';
import { toHelmHook } from './record';
import { ReleaseStore } from './releases';

const FIELD_MANAGER = 'helm';
const CRD_WAIT_SECONDS = 60;
const MAX_WARNINGS = 20;
const MAX_WARNING_CHARS = 300;

export async function validate({ input, execution }: { input: unknown; execution?: string }, deps: EngineDeps): Promise<{ ctx: ReleaseContext }> {
  const parsed = parseExecutionInput(input, { allowLocalPaths: deps.localSources });
  return {
    ctx: {
      action: parsed.action,
      release: parsed.release,
      namespace: parsed.namespace,
      ...(parsed.cluster ? { cluster: parsed.cluster } : {}),
      options: parsed.options,
      ...(execution ? { execution } : {}),
    },
  };
}

export async function prepare({ ctx, input }: { ctx: ReleaseContext; input: unknown }, deps: EngineDeps): Promise<ReleaseContext> {
  const store = new ReleaseStore(deps);
  switch (ctx.action) {
    case 'install':
      return prepareInstall(ctx, parseExecutionInput(input, { allowLocalPaths: deps.localSources }), store, deps);
    case 'uninstall':
      return prepareUninstall(ctx, store, deps);
    default:
      throw new HelmSfnError(ErrorName.InvalidInput, `action: ${ctx.action} is not supported yet`);
  }
}

/** Helm's availableName + render + Create(pending-install): the record creation is the lock. */
async function prepareInstall(ctx: ReleaseContext, input: ExecutionInput, store: ReleaseStore, deps: EngineDeps): Promise<ReleaseContext> {
  if (ctx.recovering) return ctx; // recovery re-enters through uninstall, never here
  const history = await store.history(ctx.release, ctx.namespace);
  if (history.length) throw new HelmSfnError(ErrorName.ReleaseLocked, `cannot re-use a name that is still in use: ${ctx.release} has ${history.length} revision(s) in ${ctx.namespace}`);
  if (!input.chart) throw new HelmSfnError(ErrorName.InvalidInput, 'chart: required for install');

  const chartPath = await deps.fetch(input.chart.source);
  const valuesFiles = await Promise.all((input.valuesFrom ?? []).map((source) => deps.fetch(source)));
  const rendered = await deps.renderer.render({
    release: ctx.release,
    namespace: ctx.namespace,
    chartPath,
    values: input.values,
    valuesFiles,
    set: input.set,
    includeCrds: true,
  });
  await installCrds(rendered.manifest, deps);
  const plan = planRelease({ action: 'install', release: ctx.release, namespace: ctx.namespace, manifest: rendered.manifest, hookMode: ctx.options.hookMode });
  const now = deps.clock().toISOString();
  const record: HelmRelease = {
    name: ctx.release,
    info: { first_deployed: now, last_deployed: now, status: 'pending-install', description: 'Initial install underway' },
    chart: rendered.chart,
    ...(input.values && Object.keys(input.values).length ? { config: input.values } : {}),
    manifest: plan.releaseManifest,
    hooks: plan.releaseHooks.map(toHelmHook),
    version: 1,
    namespace: ctx.namespace,
    apply_method: 'ssa',
  };
  await store.create(record);
  deps.logger.info('release locked: revision 1 pending-install', { release: ctx.release, namespace: ctx.namespace });
  return { ...ctx, revision: 1, warnings: bounded(plan.warnings) };
}

/** Helm's uninstall start: the latest record becomes `uninstalling` (pkg/action/uninstall.go). */
async function prepareUninstall(ctx: ReleaseContext, store: ReleaseStore, deps: EngineDeps): Promise<ReleaseContext> {
  const history = await store.history(ctx.release, ctx.namespace);
  const last = history[history.length - 1];
  if (!last) throw new HelmSfnError(ErrorName.ReleaseNotFound, `uninstall: release not loaded: ${ctx.release}: release: not found`);
  if (last.info.status === 'uninstalled' && ctx.options.keepHistory) {
    throw new HelmSfnError(ErrorName.ReleaseNotFound, `release ${ctx.release} is already uninstalled`);
  }
  if (isPending(last.info.status) && !ctx.recovering) {
    throw new HelmSfnError(ErrorName.ReleaseLocked, `another operation (install/upgrade/rollback) is in progress on ${ctx.release} (revision ${last.version} is ${last.info.status})`);
  }
  const now = deps.clock().toISOString();
  await store.setStatus(last, 'uninstalling', 'Deletion in progress (or silently failed)', { deleted: now });
  return { ...ctx, revision: last.version };
}

/**
 * CRDs from the chart's crds/ directories, before anything else (pkg/action/install.go
 * installCRDs): applied, then given up to 60 s to be Established. Never upgraded or deleted.
 */
async function installCrds(manifest: string, deps: EngineDeps): Promise<void> {
  const crds = classifyManifest(splitManifest(manifest)).crds;
  for (const doc of crds) await deps.kube.apply(doc.object, { fieldManager: FIELD_MANAGER });
  const deadline = deps.clock().getTime() + CRD_WAIT_SECONDS * 1000;
  for (const doc of crds) {
    const ref = refOf(doc.object);
    while (!isEstablished(await deps.kube.get(ref))) {
      if (deps.clock().getTime() > deadline) throw new HelmSfnError(ErrorName.ApplyFailed, `${describeRef(ref)} was not established within ${CRD_WAIT_SECONDS}s`);
      await deps.sleep(250);
    }
  }
}

const isEstablished = (crd: KubeObject | undefined): boolean =>
  ((crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some(
    (c) => c.type === 'Established' && c.status === 'True',
  );

function bounded(warnings: string[]): string[] {
  return warnings.slice(0, MAX_WARNINGS).map((w) => (w.length > MAX_WARNING_CHARS ? `${w.slice(0, MAX_WARNING_CHARS - 1)}…` : w));
}
