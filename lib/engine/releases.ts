/**
 * Release records stored exactly as Helm 4 stores them: Secrets `sh.helm.release.v1.<name>.v<rev>`
 * (helm-semantics.md §7), so `helm list/history/get` read ours and we read Helm's.
 * Creating a revision's Secret is the lock: a second creator gets AlreadyExists.
 */
import { ErrorName, HelmSfnError } from '../core/errors';
import { type HelmRelease, type ReleaseInfo, type ReleaseStatus, releaseFromSecret, releaseSecret, releaseSecretName } from '../core/release';
import type { ReleaseContext } from '../core/contract';
import type { KubeObject } from '../core/objects';
import { AlreadyExistsError, type KubeClient } from '../kube/client';
import type { EngineDeps } from './deps';

const unixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** On records an execution writes: which execution holds the lock (for stuck-lock recovery). */
export const EXECUTION_ANNOTATION = 'helm-sfn.io/execution';

export class ReleaseStore {
  private readonly kube: KubeClient;

  /** @param owner the execution ARN stamped on every record this store writes */
  constructor(
    private readonly deps: EngineDeps,
    private readonly owner?: string,
  ) {
    this.kube = deps.kube;
  }

  /** Every stored revision of a release, oldest first. */
  async history(name: string, namespace: string): Promise<HelmRelease[]> {
    const secrets = await this.kube.list('v1', 'Secret', namespace, { labelSelector: `name=${name},owner=helm` });
    return secrets.map((s) => releaseFromSecret(s)).sort((a, b) => a.version - b.version);
  }

  /** The record of one revision; ReleaseNotFound when it does not exist. */
  async get(name: string, namespace: string, revision: number): Promise<HelmRelease> {
    const secret = await this.kube.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: releaseSecretName(name, revision) });
    if (!secret) throw new HelmSfnError(ErrorName.ReleaseNotFound, `release ${name} revision ${revision} not found in namespace ${namespace}`);
    return releaseFromSecret(secret);
  }

  /** Store a new revision; fails with ReleaseLocked when that revision already exists. */
  async create(rel: HelmRelease): Promise<void> {
    try {
      await this.kube.create(this.secret(rel, { createdAt: unixSeconds(this.deps.clock()) }));
    } catch (e) {
      if (e instanceof AlreadyExistsError) {
        throw new HelmSfnError(
          ErrorName.ReleaseLocked,
          `another operation (install/upgrade/rollback) is in progress: revision ${rel.version} of ${rel.name} already exists`,
        );
      }
      throw e;
    }
    await this.announce(rel);
  }

  /** Move a record to a new status (and tell `notify`). */
  async setStatus(rel: HelmRelease, status: ReleaseStatus, description: string, info: Partial<ReleaseInfo> = {}): Promise<void> {
    rel.info = { ...rel.info, ...info, status, description };
    await this.update(rel);
    await this.announce(rel);
  }

  /** Delete every revision, oldest first (Helm's purge); the release ends `uninstalled`. */
  async purge(rel: HelmRelease): Promise<void> {
    for (const old of await this.history(rel.name, rel.namespace)) await this.remove(rel.name, rel.namespace, old.version);
    rel.info = { ...rel.info, status: 'uninstalled', description: 'Uninstallation complete' };
    await this.announce(rel);
  }

  private secret(rel: HelmRelease, stamp: { createdAt?: number; modifiedAt?: number }): KubeObject {
    const secret = releaseSecret(rel, stamp);
    if (!this.owner) return secret;
    return { ...secret, metadata: { ...secret.metadata, annotations: { [EXECUTION_ANNOTATION]: this.owner } } };
  }

  private async announce(rel: HelmRelease): Promise<void> {
    if (!this.deps.notify) return;
    const change = { release: rel.name, namespace: rel.namespace, revision: rel.version, status: rel.info.status, description: rel.info.description ?? '' };
    try {
      await this.deps.notify(change);
    } catch (e) {
      this.deps.logger.warn('could not publish the status change', { ...change, error: (e as Error).message });
    }
  }

  /** Unconditional write of a revision (Helm's Secret driver does a PUT without resourceVersion). */
  async update(rel: HelmRelease): Promise<void> {
    await this.kube.replace(this.secret(rel, { modifiedAt: unixSeconds(this.deps.clock()) }));
  }

  /** The execution that wrote a revision's record, if helm-sfn wrote it. */
  async ownerOf(name: string, namespace: string, revision: number): Promise<string | undefined> {
    const secret = await this.kube.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: releaseSecretName(name, revision) });
    return secret?.metadata.annotations?.[EXECUTION_ANNOTATION];
  }

  async remove(name: string, namespace: string, revision: number): Promise<void> {
    await this.kube.delete({ apiVersion: 'v1', kind: 'Secret', namespace, name: releaseSecretName(name, revision) });
  }
}

export const storeFor = (ctx: ReleaseContext, deps: EngineDeps): ReleaseStore => new ReleaseStore(deps, ctx.execution);

/** The record this execution writes (its revision was set by `prepare`). */
export function currentRecord(ctx: ReleaseContext, deps: EngineDeps): Promise<HelmRelease> {
  if (ctx.revision === undefined) throw new HelmSfnError(ErrorName.InvalidInput, 'ctx.revision is missing: prepare did not run');
  return storeFor(ctx, deps).get(ctx.release, ctx.namespace, ctx.revision);
}
