/**
 * CustomResourceDefinitions: a new CRD gets NamesAccepted and Established conditions and its
 * served versions become kinds in the registry (discovery, OpenAPI hashes and the URL space
 * change with it); a removed CRD takes its custom resources and kinds with it.
 */
import type { ResourceType } from '../registry';
import type { StoreEvent } from '../storage';
import { condition, ControllerClient, isType, mergeConditions, WorkQueue, type Controller, type ControllerContext, type Loose } from './runtime';

/** The registry entries a CRD defines (one per served version). */
export function customTypes(crd: Loose): ResourceType[] {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  return (spec.versions ?? [])
    .filter((v: Loose) => v.served !== false)
    .map(
      (v: Loose): ResourceType => ({
        group: spec.group,
        version: v.name,
        plural: names.plural,
        singular: names.singular ?? String(names.kind).toLowerCase(),
        kind: names.kind,
        namespaced: spec.scope !== 'Cluster',
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        subresources: [...(v.subresources?.status ? ['status' as const] : []), ...(v.subresources?.scale ? ['scale' as const] : [])],
        generation: true,
        custom: true,
        printerColumns: v.additionalPrinterColumns,
      }),
    );
}

export class CrdController implements Controller {
  private readonly client: ControllerClient;
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.client = new ControllerClient(ctx, 'kube-apiserver');
    this.queue = new WorkQueue(ctx);
  }

  onEvent(e: StoreEvent): void {
    if (!isType(e, 'apiextensions.k8s.io', 'customresourcedefinitions')) return;
    const crd = e.object as Loose;
    if (e.type === 'DELETED') {
      this.removeKinds(crd);
      return;
    }
    const name = crd.metadata.name as string;
    this.queue.add(name, () => this.reconcile(name));
  }

  private reconcile(name: string): void {
    const type = this.client.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    const crd = this.client.get(type, undefined, name) as Loose | undefined;
    if (!crd || crd.metadata.deletionTimestamp) return;
    const types = customTypes(crd);
    if (types.some((t) => !t.group || !t.plural || !t.kind)) return;
    this.ctx.registry.registerCustom(types);
    const now = new Date(this.ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const storage = (crd.spec.versions ?? []).find((v: Loose) => v.storage)?.name ?? types[0]?.version;
    this.client.setStatus(type, crd as never, {
      conditions: mergeConditions(crd.status?.conditions, [
        condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found', now),
        condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted', now),
      ]),
      acceptedNames: crd.spec.names,
      storedVersions: [...new Set([...(crd.status?.storedVersions ?? []), storage])],
    });
  }

  private removeKinds(crd: Loose): void {
    const group = crd.spec?.group as string;
    const plural = crd.spec?.names?.plural as string;
    for (const t of this.ctx.registry.all().filter((x) => x.custom && x.group === group && x.plural === plural)) {
      for (const o of this.ctx.api.list(t, undefined)) this.ctx.store.remove(`${group}/${plural}`, o);
    }
    this.ctx.registry.unregisterCustom(group, plural);
  }
}
