import { Store, type KubeObject } from '../../lib/sim/storage';
import { transition } from '../../lib/sim/watch';

const obj = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', labels } });

describe('store', () => {
  it('gives every write a new global resourceVersion and lists in namespace/name order', () => {
    const store = new Store();
    const b = store.write('/configmaps', obj('b'));
    const a = store.write('/configmaps', obj('a'));
    expect(Number(a.metadata.resourceVersion)).toBe(Number(b.metadata.resourceVersion) + 1);
    expect(store.list('/configmaps').map((o) => o.metadata.name)).toEqual(['a', 'b']);
  });

  it('returns copies, so callers cannot change stored objects', () => {
    const store = new Store();
    store.write('/configmaps', obj('a'));
    store.get('/configmaps', 'ns', 'a')!.metadata.name = 'changed';
    expect(store.get('/configmaps', 'ns', 'a')!.metadata.name).toBe('a');
  });

  it('replays events after a resourceVersion and reports expiry once history was trimmed', () => {
    const store = new Store(2);
    const first = store.write('/configmaps', obj('a'));
    store.write('/configmaps', obj('b'));
    store.write('/configmaps', obj('c'));
    expect(store.eventsSince(Number(first.metadata.resourceVersion), '/configmaps')).toEqual([
      expect.objectContaining({ type: 'ADDED', object: expect.objectContaining({ metadata: expect.objectContaining({ name: 'b' }) }) }),
      expect.objectContaining({ type: 'ADDED', object: expect.objectContaining({ metadata: expect.objectContaining({ name: 'c' }) }) }),
    ]);
    expect(store.eventsSince(Number(first.metadata.resourceVersion) - 1, '/configmaps')).toBe('expired');
  });

  it('emits DELETED with the final state under a new resourceVersion', () => {
    const store = new Store();
    const seen: string[] = [];
    store.subscribe((e) => seen.push(`${e.type} ${e.object.metadata.resourceVersion}`));
    const stored = store.write('/configmaps', obj('a'));
    store.remove('/configmaps', stored);
    expect(seen).toEqual([`ADDED ${stored.metadata.resourceVersion}`, `DELETED ${Number(stored.metadata.resourceVersion) + 1}`]);
  });
});

describe('watch transitions', () => {
  const matches = (o: KubeObject) => o.metadata.labels?.keep === 'yes';
  const event = (type: 'ADDED' | 'MODIFIED' | 'DELETED', now: KubeObject, before?: KubeObject) => ({ type, typeKey: '/configmaps', object: now, previous: before, resourceVersion: 1 });

  it.each([
    ['a matching object is added', 'ADDED', 'ADDED', obj('a', { keep: 'yes' }), undefined],
    ['a non-matching object is added', undefined, 'ADDED', obj('a'), undefined],
    ['a matching object changes', 'MODIFIED', 'MODIFIED', obj('a', { keep: 'yes' }), obj('a', { keep: 'yes' })],
    ['an object starts matching', 'ADDED', 'MODIFIED', obj('a', { keep: 'yes' }), obj('a')],
    ['an object stops matching', 'DELETED', 'MODIFIED', obj('a'), obj('a', { keep: 'yes' })],
    ['a matching object is deleted', 'DELETED', 'DELETED', obj('a', { keep: 'yes' }), obj('a', { keep: 'yes' })],
    ['a non-matching object is deleted', undefined, 'DELETED', obj('a'), obj('a')],
  ] as const)('when %s the watcher sees %s', (_what, expected, type, now, before) => {
    expect(transition(event(type, now, before), matches)).toBe(expected);
  });
});
