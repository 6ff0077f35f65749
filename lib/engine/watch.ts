/**
 * Watched polls: between two looks (get/list) a poll task watches the objects it waits for and
 * returns as soon as they settle, as Helm's watches see a hook finish. The watch never gives the
 * verdict — the caller looks again afterwards — so a dropped watch (reset, 410 Expired, an ERROR
 * event, a refused watch verb) costs at most the rest of the window, never a missed completion.
 */
import { refKey, type KubeObject, type ObjectRef } from '../core/objects';
import type { EngineDeps } from './deps';

/** The live objects by refKey; undefined = it does not exist. */
export type LiveObjects = ReadonlyMap<string, KubeObject | undefined>;

export type WatchOutcome = 'settled' | 'window' | 'dropped';

/**
 * Watch `refs` for up to `seconds` until `settled(live)` holds. One watch per collection
 * (apiVersion, kind, namespace), narrowed to the name when it is the only one; `settled` is
 * asked once every collection has reported its current objects, then after each change.
 */
export async function watchUntil(refs: readonly ObjectRef[], seconds: number, settled: (live: LiveObjects) => boolean, deps: EngineDeps): Promise<WatchOutcome> {
  if (seconds <= 0 || refs.length === 0) return 'window';
  const collections = new Map<string, ObjectRef[]>();
  for (const ref of refs) {
    const key = `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}`;
    const collection = collections.get(key);
    if (collection) collection.push(ref);
    else collections.set(key, [ref]);
  }
  const live = new Map<string, KubeObject | undefined>(refs.map((r) => [refKey(r), undefined]));
  const abort = new AbortController();
  let synced = 0;
  let outcome: WatchOutcome | undefined;
  const end = (why: WatchOutcome) => {
    outcome ??= why;
    abort.abort();
  };
  const timer = setTimeout(() => end('window'), seconds * 1000);

  const watchCollection = async ([first, ...rest]: ObjectRef[]) => {
    const wanted = new Set([first, ...rest].map((r) => r.name));
    const keyOf = (name: string) => refKey({ ...first, name });
    await deps.kube.watch(
      first.apiVersion,
      first.kind,
      first.namespace,
      { timeoutSeconds: seconds, signal: abort.signal, ...(rest.length === 0 ? { fieldSelector: `metadata.name=${first.name}` } : {}) },
      (e) => {
        if (e.type === 'SYNCED') synced++;
        else if (wanted.has(e.object.metadata.name)) live.set(keyOf(e.object.metadata.name), e.type === 'DELETED' ? undefined : e.object);
        else return;
        if (synced === collections.size && settled(live)) end('settled');
      },
    );
  };
  try {
    await Promise.all([...collections.values()].map(watchCollection));
    end('window'); // the server ended the streams
  } catch (e) {
    deps.logger.debug('watch dropped; looking again instead', { error: e instanceof Error ? e.message : String(e) });
    end('dropped');
  } finally {
    clearTimeout(timer);
  }
  return outcome!;
}
