/**
 * Which documents are hooks, and their events, weights and policies — Helm's rules from
 * `pkg/release/v1/util/manifest_sorter.go` and `pkg/release/v1/hook.go`.
 */
import { parseDuration } from './duration';
import { ErrorName, HelmSfnError } from './errors';
import { parseObject, type ManifestDocument } from './manifest';
import { annotationOf, refOf, type KubeObject, type ObjectRef } from './objects';
import { compareStrings, INSTALL_ORDER, sortByKind } from './ordering';
import type { HelmHook } from './release-record';

export const HOOK_ANNOTATION = 'helm.sh/hook';
export const HOOK_WEIGHT_ANNOTATION = 'helm.sh/hook-weight';
export const HOOK_DELETE_POLICY_ANNOTATION = 'helm.sh/hook-delete-policy';
export const HOOK_OUTPUT_LOG_POLICY_ANNOTATION = 'helm.sh/hook-output-log-policy';
/** Ours (docs/semantics.md#timeouts): a Go duration bounding this hook's wait instead of the action's. */
export const HOOK_TIMEOUT_ANNOTATION = 'helm-sfn.io/hook-timeout';

export const HOOK_EVENTS = [
  'pre-install',
  'post-install',
  'pre-delete',
  'post-delete',
  'pre-upgrade',
  'post-upgrade',
  'pre-rollback',
  'post-rollback',
  'test',
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/** Event names by annotation value; `test-success` is Helm 2's name for `test`, still accepted (`manifest_sorter.go` `events`). */
const EVENTS_BY_NAME: ReadonlyMap<string, HookEvent> = new Map([...HOOK_EVENTS.map((e) => [e, e] as const), ['test-success', 'test']]);

export const BEFORE_HOOK_CREATION = 'before-hook-creation';
export const HOOK_SUCCEEDED = 'hook-succeeded';
export const HOOK_FAILED = 'hook-failed';
const DELETE_POLICIES = [BEFORE_HOOK_CREATION, HOOK_SUCCEEDED, HOOK_FAILED];
const OUTPUT_LOG_POLICIES = [HOOK_SUCCEEDED, HOOK_FAILED];

export interface Hook {
  name: string;
  kind: string;
  apiVersion: string;
  /** `metadata.namespace` as written; absent means the release namespace. */
  namespace?: string;
  path: string;
  index: number;
  /** The document text, as Helm stores it in the release record. */
  manifest: string;
  events: HookEvent[];
  weight: number;
  /** As annotated (trimmed, lower-cased, unknown values kept); see {@link effectiveDeletePolicies}. */
  deletePolicies: string[];
  outputLogPolicies: string[];
  timeoutSeconds?: number;
}

const toEvent = (piece: string): HookEvent | undefined => EVENTS_BY_NAME.get(piece);

/**
 * `helm.sh/hook`: comma-separated, each piece trimmed and lower-cased; duplicates kept. One
 * unknown piece makes the whole value unknown (Helm then drops the document); "" is unknown.
 */
export function parseHookEvents(value: string): { events: HookEvent[] } | { unknown: string[] } {
  const pieces = value.split(',').map((p) => p.trim().toLowerCase());
  const unknown = pieces.filter((p) => toEvent(p) === undefined);
  if (unknown.length > 0) return { unknown };
  return { events: pieces.map((p) => toEvent(p) as HookEvent) };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * `helm.sh/hook-weight` with Go's `strconv.Atoi` (`calculateHookWeight`): no trimming, an
 * optional sign, ASCII digits, int64 range; any error gives 0. Weights are JS numbers: exact up
 * to ±2^53, far beyond any real chart; larger in-range values are rounded, which can only
 * merge the order of two weights that differ by less than one part in 2^53.
 */
export function parseHookWeight(value: string): { weight: number; warning?: string } {
  if (!/^[+-]?[0-9]+$/.test(value)) return { weight: 0, warning: `hook-weight "${value}" is not an integer; Helm uses 0` };
  const weight = BigInt(value);
  if (weight < INT64_MIN || weight > INT64_MAX) {
    return { weight: 0, warning: `hook-weight "${value}" is out of the int64 range; Helm uses 0` };
  }
  return { weight: Number(weight) };
}

/** Delete and output-log policies (`operateAnnotationValues`): absent → []; "" → [""]. */
export function parsePolicies(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((p) => p.trim().toLowerCase());
}

/**
 * `execHookWithDelayedShutdown`: an empty list means `before-hook-creation`. An annotation with an
 * empty value gives `[""]`, which is not empty, so such a hook is never deleted (Helm quirk).
 */
export function effectiveDeletePolicies(hook: Pick<Hook, 'deletePolicies'>): string[] {
  return hook.deletePolicies.length === 0 ? [BEFORE_HOOK_CREATION] : hook.deletePolicies;
}

/** The hook's object: in its own namespace or the release's; cluster-scoped kinds have none. */
export const hookRef = (hook: Pick<Hook, 'apiVersion' | 'kind' | 'name' | 'namespace'>, releaseNamespace: string): ObjectRef =>
  refOf({ apiVersion: hook.apiVersion, kind: hook.kind, metadata: { name: hook.name, namespace: hook.namespace } }, releaseNamespace);

/** Identifies one hook document of a release (stable across serialisation). */
export const hookId = (hook: Pick<Hook, 'path' | 'index' | 'kind' | 'name'>): string =>
  `${hook.path}#${hook.index}:${hook.kind}/${hook.name}`;

const where = (doc: Pick<ManifestDocument, 'path' | 'index' | 'object'>): string =>
  `${doc.path || '(no source)'} (document ${doc.index}) ${doc.object.kind}/${doc.object.metadata.name}`;

/** `helm-sfn.io/hook-timeout`; an invalid value is reported and ignored. */
function hookTimeout(object: KubeObject): { timeoutSeconds?: number; warning?: string } {
  const value = annotationOf(object, HOOK_TIMEOUT_ANNOTATION);
  if (value === undefined) return {};
  try {
    const timeoutSeconds = parseDuration(value);
    if (timeoutSeconds > 0) return { timeoutSeconds };
  } catch {
    // reported below, as for a zero timeout
  }
  return { warning: `${HOOK_TIMEOUT_ANNOTATION} "${value}" is not a positive duration (e.g. "90s", "2h"); ignored` };
}

function hookOf(doc: ManifestDocument, events: HookEvent[], weight: number, warnings: string[]): Hook {
  const { object } = doc;
  const timeout = hookTimeout(object);
  if (timeout.warning) warnings.push(`${where(doc)}: ${timeout.warning}`);
  const duplicated = events.filter((e, i) => events.indexOf(e) !== i);
  if (duplicated.length > 0) warnings.push(`${where(doc)}: ${HOOK_ANNOTATION} lists ${duplicated.join(', ')} twice; it runs twice, as in Helm`);
  const deletePolicies = parsePolicies(annotationOf(object, HOOK_DELETE_POLICY_ANNOTATION));
  const outputLogPolicies = parsePolicies(annotationOf(object, HOOK_OUTPUT_LOG_POLICY_ANNOTATION));
  for (const [annotation, policies] of [[HOOK_DELETE_POLICY_ANNOTATION, deletePolicies], [HOOK_OUTPUT_LOG_POLICY_ANNOTATION, outputLogPolicies]] as const) {
    const known: readonly string[] = annotation === HOOK_DELETE_POLICY_ANNOTATION ? DELETE_POLICIES : OUTPUT_LOG_POLICIES;
    const unknown = policies.filter((p) => p !== '' && !known.includes(p)); // "" is Helm's quirk of an empty annotation (see effectiveDeletePolicies)
    // Helm compares policies by name and silently ignores the others; a typo then never deletes the hook
    if (unknown.length > 0) warnings.push(`${where(doc)}: ${annotation} has unknown ${unknown.map((p) => `"${p}"`).join(', ')}; ignored, as Helm does (known: ${known.join(', ')})`);
  }
  return {
    name: object.metadata.name,
    kind: object.kind,
    apiVersion: object.apiVersion,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    path: doc.path,
    index: doc.index,
    manifest: doc.text,
    events,
    weight,
    deletePolicies,
    outputLogPolicies,
    ...(timeout.timeoutSeconds !== undefined ? { timeoutSeconds: timeout.timeoutSeconds } : {}),
  };
}

/** Chart files are templated unless they are `crds/` files, which Helm only installs, never templates. */
export const isCrdFile = (path: string): boolean => /^[^/]+\/(?:charts\/[^/]+\/)*crds\//.test(path);

export interface ClassifiedManifest {
  /** Helm's stored order: stable-sorted by kind in InstallOrder. */
  hooks: Hook[];
  /** Regular resources in InstallOrder (what `release.manifest` holds). */
  resources: ManifestDocument[];
  /** Documents from `crds/` directories (only `helm template --include-crds` prints them), stream order. */
  crds: ManifestDocument[];
  warnings: string[];
}

/**
 * Sorts rendered documents into hooks and regular resources (`SortManifests`): files in path
 * order, documents in file order; no `helm.sh/hook` key ⇒ resource; an unknown event ⇒ the
 * document is dropped, as Helm does, with a warning.
 */
export function classifyManifest(docs: readonly ManifestDocument[]): ClassifiedManifest {
  const hooks: Hook[] = [];
  const resources: ManifestDocument[] = [];
  const crds: ManifestDocument[] = [];
  const warnings: string[] = [];
  const inFileOrder = [...docs].sort((a, b) => compareStrings(a.path, b.path) || a.index - b.index);
  for (const doc of inFileOrder) {
    const hookValue = annotationOf(doc.object, HOOK_ANNOTATION);
    if (isCrdFile(doc.path)) crds.push(doc);
    else if (hookValue === undefined) resources.push(doc);
    else {
      const parsed = parseHookEvents(hookValue);
      if ('unknown' in parsed) {
        const pieces = parsed.unknown.map((p) => `"${p}"`).join(', ');
        warnings.push(`${where(doc)}: ${HOOK_ANNOTATION} "${hookValue}" has unknown event ${pieces}; the document is dropped, as Helm does`);
        continue;
      }
      const weightValue = annotationOf(doc.object, HOOK_WEIGHT_ANNOTATION);
      const { weight, warning } = weightValue === undefined ? { weight: 0 } : parseHookWeight(weightValue);
      if (warning) warnings.push(`${where(doc)}: ${warning}`);
      hooks.push(hookOf(doc, parsed.events, weight, warnings));
    }
  }
  return {
    hooks: sortByKind(hooks, INSTALL_ORDER, (h) => h.kind),
    resources: sortByKind(resources, INSTALL_ORDER, (d) => d.object.kind),
    crds: crds.sort((a, b) => a.index - b.index),
    warnings,
  };
}

/** A hook as Helm 4 stores it in a release record (`pkg/release/v1/hook.go`), its last run aside. */
export type StoredHook = Omit<HelmHook, 'last_run'>;

/**
 * Rebuilds a {@link Hook} from a stored record's hook, for the actions that run stored hooks
 * (rollback, uninstall, test). `index` is its position in the record's (already ordered) list.
 * @throws HelmSfnError ChartRenderFailed when the stored manifest or an event is invalid
 */
export function restoreHook(stored: StoredHook, index: number): { hook: Hook; warnings: string[] } {
  const object = parseObject(stored.manifest, stored.path, index);
  const fail = (rule: string) => new HelmSfnError(ErrorName.ChartRenderFailed, `stored hook ${stored.kind}/${stored.name} (${stored.path}): ${rule}`);
  if (!object) throw fail('its manifest is empty');
  const events: HookEvent[] = [];
  for (const name of stored.events) {
    const event = toEvent(name);
    if (!event) throw fail(`unknown event "${name}"`);
    events.push(event);
  }
  const warnings: string[] = [];
  const doc: ManifestDocument = { path: stored.path, index, object, text: stored.manifest };
  const hook = hookOf(doc, events, stored.weight ?? 0, warnings);
  return {
    hook: {
      ...hook,
      // the record's values win: Helm may have written the default policy into it
      name: stored.name,
      kind: stored.kind,
      deletePolicies: stored.delete_policies ?? [],
      outputLogPolicies: stored.output_log_policies ?? [],
    },
    warnings,
  };
}
