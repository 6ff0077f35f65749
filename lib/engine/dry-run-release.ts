/**
 * `install|upgrade --dry-run`: what Prepare would store, checked by the API server, with nothing
 * written. Helm's `--dry-run=server` renders against the cluster (lookups, capabilities) and
 * stops there; here every object of the release — resources and hooks — is also sent as a
 * server-side apply with `dryRun=All`, so admission and schema errors show before a real run,
 * and an object another owner holds is refused as the run would refuse it. No lock, no record,
 * no hook runs.
 */
import { ErrorName, HelmSfnError } from '../core/errors';
import { BEFORE_HOOK_CREATION, effectiveDeletePolicies, hookRef } from '../core/hooks';
import type { ExecutionInput } from '../core/input';
import type { KubeObject } from '../core/objects';
import { lastDeployed, latest, type HelmRelease } from '../core/release-record';
import type { EngineDeps } from './deps';
import { assertAdoptable, chartRequest, validate } from './prepare';
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
  // as Helm's server dry run does (pkg/action/install.go, upgrade.go: existingResourceConflict), and the real run would
  await assertAdoptable(ctx, upgrade ? 'update' : 'install', rendered.release, current?.manifest ?? '', deps);
  const warnings = [...rendered.warnings];
  const resources = resourcesOf(rendered.release).map((doc) => withOwnership(doc.object, ctx));
  const hooks = ctx.options.noHooks ? [] : hooksOf(rendered.release);
  let checked = 0;
  const check = async (obj: KubeObject, send: (obj: KubeObject) => Promise<unknown>) => {
    // the API server refuses a dry run into a namespace that does not exist yet
    if (namespaceMissing && obj.metadata.namespace === ctx.namespace) return;
    if (!(await deps.kube.resourceFor(obj.apiVersion, obj.kind))) {
      warnings.push(`${obj.kind}/${obj.metadata.name}: not checked, the cluster does not serve ${obj.apiVersion} ${obj.kind} (yet: a CRD of this chart?)`);
      return;
    }
    await send(obj);
    checked++;
  };
  const apply = (obj: KubeObject) => deps.kube.apply(obj, { fieldManager: FIELD_MANAGER, force: ctx.options.forceConflicts, dryRun: true });
  for (const obj of resources) await check(obj, apply);
  for (const hook of hooks) {
    const obj = hookObject(hook, ctx.namespace);
    // a hook the run deletes before creating it again (a Job's template is immutable) is checked as a new object
    const replaced = effectiveDeletePolicies(hook).includes(BEFORE_HOOK_CREATION) && (await deps.kube.get(hookRef(hook, ctx.namespace))) !== undefined;
    await check(obj, replaced ? (o) => deps.kube.create(asNewObject(o), { fieldManager: FIELD_MANAGER, dryRun: true }) : apply);
  }
  if (namespaceMissing) warnings.push(`namespace ${ctx.namespace} would be created; the objects in it were not checked by the API server`);
  return { release: rendered.release, checked, warnings };
}

/** The same object under a name the server picks, so a dry-run create does not meet the live one. */
function asNewObject(obj: KubeObject): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, name: '', generateName: `${obj.metadata.name.slice(0, 57)}-` } };
}
