/**
 * Release records stored exactly as Helm 4 stores them: Secrets `sh.helm.release.v1.<name>.v<rev>`
 * (helm v4.1.4 `pkg/storage/driver/secrets.go`; docs/semantics.md#release-records), so
 * `helm list/history/get` read ours and we read Helm's.
 *
 * The release lock lives on these records and nowhere else, so helm reads every state a lock
 * leaves behind:
 * - install, upgrade and rollback create the next revision's record (pending-*): a second creator
 *   gets AlreadyExists;
 * - uninstall moves the latest record to `uninstalling` — Helm's own status for it — by a
 *   conditional write (the resourceVersion it read): a second writer gets a conflict;
 * - test, and upgrade/rollback before they create the next revision, *claim* the latest record
 *   with the same conditional write, adding the annotation {@link LOCK_ANNOTATION}. Helm has no
 *   status for "a test is running" and a made-up one would break `helm list`, so this lock is an
 *   annotation: Helm's Secret driver ignores annotations (and drops them when it writes). The
 *   claim is what serializes an upgrade with an uninstall or a test: both write the same record.
 * Every record an execution writes names it in {@link EXECUTION_ANNOTATION}; a local execution
 * also leaves {@link LIVENESS_ANNOTATION}, so `unlock` can tell a dead owner from a live one;
 * the write before a hook group's creation carries {@link HOOK_GROUP_ANNOTATION}, so a retried
 * task recognises the hooks its earlier attempt created.
 */
import { ErrorName, HelmSfnError } from '../core/errors';
import { isPending, type HelmRelease, type ReleaseInfo, type ReleaseStatus, type RevisionInfo, releaseFromSecret, releaseSecret, releaseSecretName } from '../core/release-record';
import type { ReleaseContext } from '../core/contract';
import type { KubeObject } from '../core/objects';
import { AlreadyExistsError, type KubeClient } from '../kube/client';
import type { EngineDeps } from './deps';

const unixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** On records an execution writes: which execution wrote it (holds the lock while it is pending). */
export const EXECUTION_ANNOTATION = 'helm-sfn.io/execution';
/** On a record an execution claimed without changing its status: the execution holding the release. */
export const LOCK_ANNOTATION = 'helm-sfn.io/lock';
/** On records a local execution writes: its process (see lib/local/liveness.ts). */
export const LIVENESS_ANNOTATION = 'helm-sfn.io/liveness';
/**
 * On the record write made right before a hook group's objects are created, when none of them
 * was there (`<event>/<group>`): a retried applyHookGroup that finds it — and itself as the
 * writer — knows the hooks it finds were created by its earlier attempt. Every other write drops it.
 */
export const HOOK_GROUP_ANNOTATION = 'helm-sfn.io/hook-group';

/** Statuses that hold the release: Helm's pending-* and, for helm-sfn, `uninstalling` too. */
export const holdsLock = (status: ReleaseStatus): boolean => isPending(status) || status === 'uninstalling';

/** Who holds a release, read from its latest record. */
export interface LockHolder {
  /** The execution's ARN; absent when a helm CLI holds it (a pending record helm-sfn did not write). */
  readonly execution?: string;
  readonly liveness?: string;
  /** `status`: the record's pending status is the lock; `claim`: the lock annotation is. */
  readonly by: 'status' | 'claim';
}

interface SecretMeta {
  readonly resourceVersion?: string;
  readonly annotations: Record<string, string>;
}

/**
 * What each record was stored with when it was last read or written here: the resourceVersion a
 * conditional write needs, and its annotations. Kept beside the record (tasks read a record
 * through one store and write it through another), not in it: HelmRelease is Helm's JSON.
 */
const stored = new WeakMap<HelmRelease, SecretMeta>();
const versionOf = (o: KubeObject): string | undefined => (typeof o.metadata.resourceVersion === 'string' ? o.metadata.resourceVersion : undefined);
const remember = (rel: HelmRelease, secret: KubeObject): void => {
  stored.set(rel, { resourceVersion: versionOf(secret), annotations: { ...secret.metadata.annotations } });
};

/** A revision as listed, before its record is decoded (ReleaseStore.revisions). */
export interface StoredRevision extends RevisionInfo {
  readonly annotations: Readonly<Record<string, string>>;
  /** The record, decoded now. */
  read(): HelmRelease;
}

export class ReleaseStore {
  private readonly kube: KubeClient;

  /** @param owner the execution ARN stamped on every record this store writes */
  constructor(
    private readonly deps: EngineDeps,
    private readonly owner?: string,
  ) {
    this.kube = deps.kube;
  }

  /** Every stored revision of a release, decoded, oldest first. */
  async history(name: string, namespace: string): Promise<HelmRelease[]> {
    return (await this.revisions(name, namespace)).map((r) => r.read());
  }

  /**
   * Every stored revision of a release, oldest first, as its Secret's labels say (Helm's storage
   * driver writes `version` and `status` with every record), each decoded on demand: a big
   * chart's record is tens of MB decoded, and a 256 MB function cannot hold ten of them.
   */
  async revisions(name: string, namespace: string): Promise<StoredRevision[]> {
    const secrets = await this.kube.list('v1', 'Secret', namespace, { labelSelector: `name=${name},owner=helm` });
    return secrets
      .map((secret): StoredRevision => {
        const { version, status } = secret.metadata.labels ?? {};
        const read = () => this.read(secret);
        // a record without Helm's labels (written by hand) is read to learn them
        const info = /^\d+$/.test(version ?? '') && status ? { version: Number(version), info: { status: status as ReleaseStatus } } : read();
        return { version: info.version, info: { status: info.info.status }, annotations: { ...secret.metadata.annotations }, read };
      })
      .sort((a, b) => a.version - b.version);
  }

  /** Might this store's execution hold or have claimed `revision` (its writer or claimer)? */
  mayBeMine(revision: StoredRevision): boolean {
    return this.owner !== undefined && (revision.annotations[EXECUTION_ANNOTATION] === this.owner || revision.annotations[LOCK_ANNOTATION] === this.owner);
  }

  /** The record of one revision; ReleaseNotFound when it does not exist. */
  async get(name: string, namespace: string, revision: number): Promise<HelmRelease> {
    const secret = await this.secretOf(name, namespace, revision);
    if (!secret) throw new HelmSfnError(ErrorName.ReleaseNotFound, `release ${name} revision ${revision} not found in namespace ${namespace}`);
    return this.read(secret);
  }

  /** Who holds the release whose latest record is `rel`, if anyone. */
  lockOf(rel: HelmRelease): LockHolder | undefined {
    const annotations = stored.get(rel)?.annotations ?? {};
    const liveness = annotations[LIVENESS_ANNOTATION];
    const withLiveness = liveness ? { liveness } : {};
    if (holdsLock(rel.info.status)) return { by: 'status', ...(annotations[EXECUTION_ANNOTATION] ? { execution: annotations[EXECUTION_ANNOTATION] } : {}), ...withLiveness };
    if (annotations[LOCK_ANNOTATION]) return { by: 'claim', execution: annotations[LOCK_ANNOTATION], ...withLiveness };
    return undefined;
  }

  /** Is the release whose latest record is `rel` held by this store's execution? */
  isMine(rel: HelmRelease): boolean {
    return this.owner !== undefined && this.lockOf(rel)?.execution === this.owner;
  }

  /** Did this store's execution claim `rel` (the lock annotation)? */
  claimedByMe(rel: HelmRelease): boolean {
    return this.owner !== undefined && stored.get(rel)?.annotations[LOCK_ANNOTATION] === this.owner;
  }

  /**
   * Store a new revision; ReleaseLocked when that revision already exists — unless this
   * execution wrote it: a create whose answer was lost and is retried finds its own record.
   */
  async create(rel: HelmRelease): Promise<void> {
    try {
      await this.kube.create(this.secret(rel, { createdAt: unixSeconds(this.deps.clock()) }, false));
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
      const existing = await this.secretOf(rel.name, rel.namespace, rel.version);
      if (!this.owner || existing?.metadata.annotations?.[EXECUTION_ANNOTATION] !== this.owner) {
        throw new HelmSfnError(ErrorName.ReleaseLocked, `another operation (install/upgrade/rollback) is in progress: revision ${rel.version} of ${rel.name} already exists`, { cause: e });
      }
    }
    await this.announce(rel);
  }

  /**
   * Take the release by a conditional write of its latest record `rel` (as read through this
   * store): `status` for uninstall, the lock annotation otherwise. Whoever wrote the record since
   * we read it wins, and we get ReleaseLocked (ReleaseNotFound if it is gone). When the write's
   * answer is lost, the record read back tells whether it was ours.
   */
  async claim(rel: HelmRelease, change: { status?: ReleaseStatus; description?: string; info?: Partial<ReleaseInfo> } = {}): Promise<void> {
    const claimed: HelmRelease = change.status ? { ...rel, info: { ...rel.info, ...change.info, status: change.status, description: change.description ?? '' } } : rel;
    const resourceVersion = stored.get(rel)?.resourceVersion;
    const secret = this.secret(claimed, { modifiedAt: unixSeconds(this.deps.clock()) }, !change.status);
    try {
      remember(rel, await this.kube.replace({ ...secret, metadata: { ...secret.metadata, ...(resourceVersion ? { resourceVersion } : {}) } }));
    } catch (e) {
      const now = await this.secretOf(rel.name, rel.namespace, rel.version);
      if (!now) throw new HelmSfnError(ErrorName.ReleaseNotFound, `release: not found: ${rel.name} revision ${rel.version} is gone`, { cause: e });
      const current = this.read(now);
      const mine = change.status ? current.info.status === change.status && now.metadata.annotations?.[EXECUTION_ANNOTATION] === this.owner : this.claimedByMe(current);
      if (!mine) {
        if (versionOf(now) === resourceVersion) throw e; // nothing changed: the write itself failed
        const holder = this.lockOf(current)?.execution;
        throw new HelmSfnError(
          ErrorName.ReleaseLocked,
          `another operation is in progress: revision ${rel.version} of ${rel.name} changed while this one was taking the lock${holder ? ` (held by ${holder})` : ''}`,
          { cause: e },
        );
      }
      remember(rel, now);
    }
    rel.info = claimed.info;
    if (change.status) await this.announce(rel);
  }

  /**
   * Was the last write of `rel` (as read through a store) this execution's write before creating
   * hook group `group` of `event`, none of its hooks being there? See {@link HOOK_GROUP_ANNOTATION}.
   */
  wroteHookGroup(rel: HelmRelease, event: string, group: number): boolean {
    const annotations = stored.get(rel)?.annotations ?? {};
    return this.owner !== undefined && annotations[EXECUTION_ANNOTATION] === this.owner && annotations[HOOK_GROUP_ANNOTATION] === `${event}/${group}`;
  }

  /** Drop this execution's claim on `rel` (unconditional: only the holder writes a claimed record). */
  async releaseClaim(rel: HelmRelease): Promise<void> {
    const annotations = { ...stored.get(rel)?.annotations };
    delete annotations[LOCK_ANNOTATION];
    stored.set(rel, { ...stored.get(rel), annotations });
    await this.update(rel);
  }

  /**
   * Move a record to a new status (and tell `notify`). `keepClaim` keeps (or takes) this
   * execution's claim: an atomic operation's failed record stays locked until its recovery ran.
   */
  async setStatus(rel: HelmRelease, status: ReleaseStatus, description: string, info: Partial<ReleaseInfo> = {}, opts: { keepClaim?: boolean } = {}): Promise<void> {
    rel.info = { ...rel.info, ...info, status, description };
    const annotations = { ...stored.get(rel)?.annotations };
    if (opts.keepClaim && this.owner) annotations[LOCK_ANNOTATION] = this.owner;
    else if (!holdsLock(status)) delete annotations[LOCK_ANNOTATION];
    stored.set(rel, { ...stored.get(rel), annotations });
    await this.update(rel);
    await this.announce(rel);
  }

  /**
   * Helm's purge, so that it never stops half-way in an inconsistent state: the release's own
   * record becomes `uninstalled` first (one write: from then on the history is what
   * `--keep-history` leaves, which helm reads), then every other revision goes, oldest first, and
   * this one last. A purge cut short is finished by running it again.
   */
  async purge(rel: HelmRelease): Promise<void> {
    if (rel.info.status !== 'uninstalled') {
      rel.info = { ...rel.info, status: 'uninstalled', description: 'Uninstallation complete' };
      await this.update(rel);
    }
    for (const old of await this.revisions(rel.name, rel.namespace)) {
      if (old.version !== rel.version) await this.remove(rel.name, rel.namespace, old.version);
    }
    await this.remove(rel.name, rel.namespace, rel.version);
    await this.announce(rel);
  }

  private read(secret: KubeObject): HelmRelease {
    const rel = releaseFromSecret(secret as never);
    remember(rel, secret);
    return rel;
  }

  private secretOf(name: string, namespace: string, revision: number): Promise<KubeObject | undefined> {
    return this.kube.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: releaseSecretName(name, revision) });
  }

  /**
   * The Secret of `rel` with our annotations: this execution as writer (and its liveness), and
   * the claim the record carries — kept on every write while it is ours, so writes by the holder
   * (hook phases during a test) do not drop it.
   */
  private secret(rel: HelmRelease, stamp: { createdAt?: number; modifiedAt?: number }, claim: boolean | 'keep' = 'keep', hookGroup?: string): KubeObject {
    const secret = releaseSecret(rel, stamp);
    const previous = stored.get(rel)?.annotations ?? {};
    const lock = claim === true ? this.owner : claim === 'keep' ? previous[LOCK_ANNOTATION] : undefined;
    const annotations: Record<string, string> = {
      ...(this.owner ? { [EXECUTION_ANNOTATION]: this.owner } : previous[EXECUTION_ANNOTATION] ? { [EXECUTION_ANNOTATION]: previous[EXECUTION_ANNOTATION] } : {}),
      ...(this.owner && this.deps.liveness ? { [LIVENESS_ANNOTATION]: this.deps.liveness } : {}),
      ...(lock ? { [LOCK_ANNOTATION]: lock } : {}),
      ...(hookGroup && this.owner ? { [HOOK_GROUP_ANNOTATION]: hookGroup } : {}),
    };
    return Object.keys(annotations).length ? { ...secret, metadata: { ...secret.metadata, annotations } } : secret;
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

  /**
   * Unconditional write of a revision (Helm's Secret driver does a PUT without resourceVersion).
   * `hookGroup`: this write precedes the creation of that hook group (see {@link HOOK_GROUP_ANNOTATION}).
   */
  async update(rel: HelmRelease, opts: { hookGroup?: string } = {}): Promise<void> {
    remember(rel, await this.kube.replace(this.secret(rel, { modifiedAt: unixSeconds(this.deps.clock()) }, 'keep', opts.hookGroup)));
  }

  async remove(name: string, namespace: string, revision: number): Promise<void> {
    await this.kube.delete({ apiVersion: 'v1', kind: 'Secret', namespace, name: releaseSecretName(name, revision) });
  }
}

export const storeFor = (ctx: ReleaseContext, deps: EngineDeps): ReleaseStore => new ReleaseStore(deps, ctx.execution);

/** The record this execution writes (its revision was set by `prepare`). */
export function currentRecord(ctx: ReleaseContext, deps: EngineDeps, store = storeFor(ctx, deps)): Promise<HelmRelease> {
  if (ctx.revision === undefined) throw new HelmSfnError(ErrorName.InvalidInput, 'ctx.revision is missing: prepare did not run');
  return store.get(ctx.release, ctx.namespace, ctx.revision);
}
