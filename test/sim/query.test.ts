/**
 * Boolean query parameters as kube-apiserver reads them (lib/sim/query.ts), and what the
 * server does with them: `watch=True` (the Python client's spelling) opens a watch.
 */
import { startSimCluster, type SimCluster } from '../../lib/sim';
import { queryBool, wantsPretty } from '../../lib/sim/query';

describe('queryBool (apimachinery Convert_Slice_string_To_bool)', () => {
  it.each([
    ['', undefined],
    ['watch=true', true],
    ['watch=True', true],
    ['watch=1', true],
    ['watch=yes', true],
    ['watch', true],
    ['watch=', true],
    ['watch=false', false],
    ['watch=FALSE', false],
    ['watch=False', false],
    ['watch=0', false],
    ['watch=0&watch=1', false],
  ])('%j is %s', (query, expected) => {
    expect(queryBool(new URLSearchParams(query), 'watch')).toBe(expected);
  });

  it('reads pretty with strconv.ParseBool and indents for curl without it', () => {
    expect(wantsPretty(new URLSearchParams('pretty=True'), 'kubectl/v1.34')).toBe(true);
    expect(wantsPretty(new URLSearchParams('pretty=yes'), 'curl/8.0')).toBe(false);
    expect(wantsPretty(new URLSearchParams(''), 'curl/8.0')).toBe(true);
    expect(wantsPretty(new URLSearchParams(''), 'Helm/4.1.4')).toBe(false);
  });
});

describe('boolean parameters on the wire', () => {
  let sim: SimCluster;
  beforeAll(async () => {
    sim = await startSimCluster({ controllers: false });
  });
  afterAll(() => sim.stop());

  const get = async (query: string) => {
    const res = await fetch(`${sim.url}/api/v1/namespaces?${query}`, { headers: { 'User-Agent': 'test' } });
    return { contentType: res.headers.get('content-type'), text: await res.text() };
  };

  /** The first `n` events of a watch stream, then the stream is dropped. */
  async function watchEvents(query: string, n: number): Promise<string[]> {
    const abort = new AbortController();
    const res = await fetch(`${sim.url}/api/v1/namespaces?${query}`, { signal: abort.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (text.split('\n').length <= n) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    return text.split('\n').slice(0, n).map((l) => {
      const e = JSON.parse(l);
      return `${e.type} ${e.object.metadata.name}`;
    });
  }

  it.each(['watch=True', 'watch=yes', 'watch'])('%s opens a watch that starts with the current objects', async (query) => {
    expect(await watchEvents(query, 4)).toEqual(['ADDED default', 'ADDED kube-node-lease', 'ADDED kube-public', 'ADDED kube-system']);
  });

  it.each(['watch=False', 'watch=0'])('%s lists', async (query) => {
    expect(JSON.parse((await get(query)).text).kind).toBe('NamespaceList');
  });

  it('indents a response for pretty=true only', async () => {
    expect((await get('pretty=true')).text).toMatch(/^{\n {2}"kind": "NamespaceList",/);
    expect((await get('pretty=yes')).text).toMatch(/^{"kind":"NamespaceList",/);
  });
});
