/**
 * `install|upgrade --dry-run`: what Prepare would store, checked by the API server, with nothing
 * written. Helm's `--dry-run=server` renders against the cluster (lookups, capabilities) and
 * stops there; here every object of the release — resources and hooks — is also sent as a
 * server-side apply with `dryRun=All`, so admission and schema errors show before a real run.
 * No lock, no record, no hook runs.
 */
import type { ReleaseContext } from '../core/contract';
import { ErrorName, HelmSfnError } from '../core/errors';
import type { ExecutionInput } from '../core/input';
import type { KubeObject } from '../core/objects';
import { lastDeployed, latest, type HelmRelease } from '../core/release-record';
import type { EngineDeps } from './deps';
import { chartRequest, validate } from './prepare';
import { FIELD_MANAGER, hookObject, hooksOf, resourcesOf } from './record-contents';
import { storeFor } from './release-store';
import { withOwnership } from './resources';

export interface DryRunResult {
  /** The release helm rendered, as it would be stored (status pending-install or pending-upgrade). */
  readonly release: HelmRelease;
  /** Objects the API server accepted in a dry-run apply. */
  readonly checked: number;
  readonly warnings: string[];
}

export async function dryRunRelease(input: unknown, deps: EngineDeps): Promise<DryRunResult> {
  const { ctx, source } = await validate({ input }, deps);
  if (ctx.action !== 'install' && ctx.action !== 'upgrade') throw new HelmSfnError(ErrorName.InvalidInput, `--dry-run: only for install and upgrade, not ${ctx.action}`);
  const parsed = { action: ctx.action, release: ctx.release, namespace: ctx.namespace, options: ctx.options, ...source } as ExecutionInput;
  const history = await storeFor(ctx, deps).history(ctx.release, ctx.namespace);
  const last = latest(history);
  const upgrade = ctx.action === 'upgrade' && last !== undefined && last.info.status !== 'uninstalled';
  if (ctx.action === 'upgrade' && !upgrade && !ctx.options.installIfMissing) throw new HelmSfnError(ErrorName.ReleaseNotFound, `"${ctx.release}" has no deployed releases`);
  if (ctx.action === 'install' && last) throw new HelmSfnError(ErrorName.ReleaseLocked, `cannot re-use a name that is still in use: ${ctx.release} has ${history.length} revision(s) in ${ctx.namespace}`);
  const namespaceMissing = !(await deps.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ctx.namespace }));
  if (namespaceMissing && !ctx.options.createNamespace) throw new HelmSfnError(ErrorName.InvalidInput, `namespace ${ctx.namespace} does not exist (--create-namespace creates it)`);
  const chart = await chartRequest(ctx, parsed, deps);
  const current = upgrade ? (lastDeployed(history) ?? last) : undefined;
  const rendered = await deps.renderer.render({
    ...chart,
    ...(upgrade ? { history: [...new Set([current!, last!])], reuseValues: ctx.options.reuseValues, resetValues: ctx.options.resetValues } : {}),
    serverSide: ctx.options.serverSide ?? (upgrade ? 'auto' : true),
  });
  const warnings = [...rendered.warnings];
  const objects = releaseObjects(rendered.release, ctx);
  let checked = 0;
  for (const obj of objects) {
    // the API server refuses a dry run into a namespace that does not exist yet
    if (namespaceMissing && obj.metadata.namespace === ctx.namespace) continue;
    if (!(await deps.kube.resourceFor(obj.apiVersion, obj.kind))) {
      warnings.push(`${obj.kind}/${obj.metadata.name}: not checked, the cluster does not serve ${obj.apiVersion} ${obj.kind} (yet: a CRD of this chart?)`);
      continue;
    }
    await deps.kube.apply(obj, { fieldManager: FIELD_MANAGER, force: ctx.options.forceConflicts, dryRun: true });
    checked++;
  }
  if (namespaceMissing) warnings.push(`namespace ${ctx.namespace} would be created; the objects in it were not checked by the API server`);
  return { release: rendered.release, checked, warnings };
}

/** Every object a real run applies: the resources, then the hooks (unless --no-hooks). */
function releaseObjects(rel: HelmRelease, ctx: ReleaseContext): KubeObject[] {
  const resources = resourcesOf(rel).map((doc) => withOwnership(doc.object, ctx));
  const hooks = ctx.options.noHooks ? [] : hooksOf(rel).map((h) => hookObject(h, ctx.namespace));
  return [...resources, ...hooks];
}
