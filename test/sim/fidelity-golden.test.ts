/**
 * Golden traces: the requests real Helm 4.1.4 made against the research prototype
 * (test/fixtures/helm4/05-helm-lifecycle.log, recorded from that run, chart "demo") are the order Helm must also
 * follow against the sim. Our hooks chart renders the same objects, so the write sequences of
 * install, upgrade --wait, rollback --wait and uninstall --wait must match request for request.
 */
import * as fs from 'fs';
import * as path from 'path';

import { CHART, clientOps, simWithTools } from './support';

const TRACE = path.join(__dirname, '..', 'fixtures', 'helm4', '05-helm-lifecycle.log');

const KINDS: Record<string, string> = {
  jobs: 'Job',
  secrets: 'Secret',
  serviceaccounts: 'ServiceAccount',
  configmaps: 'ConfigMap',
  services: 'Service',
  deployments: 'Deployment',
};
const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'apply', DELETE: 'delete' };

/** The Helm writes of one `=== <command>` section of the trace, as `verb Kind name code`. */
function traceWrites(command: string): string[] {
  const sections = fs.readFileSync(TRACE, 'utf8').split(/^=== /m);
  const section = sections.find((s) => s.startsWith(command));
  if (!section) throw new Error(`no section "${command}" in ${TRACE}`);
  return section
    .split('\n')
    .filter((line) => line.includes('ua=Helm/'))
    .map((line) => [line, /^(\d{3}) (POST|PUT|PATCH|DELETE) (\S+) /.exec(line)] as const)
    .filter((pair): pair is readonly [string, RegExpExecArray] => pair[1] !== null)
    .map(([line, [, code, method, url]]) => {
      const segs = new URL(url, 'http://x').pathname.split('/');
      const collectionAt = segs.findIndex((s) => s in KINDS);
      const name = segs[collectionAt + 1] ?? /"name":"([^"]+)"/.exec(line)?.[1];
      return `${VERBS[method]} ${KINDS[segs[collectionAt]]} ${name} ${code}`;
    });
}

const env = simWithTools();

async function simWrites(...args: string[]): Promise<string[]> {
  const from = env.sim.operations.length;
  const res = await env.t.helm(...args);
  if (res.code !== 0) throw new Error(`helm ${args.join(' ')}: ${res.stderr}`);
  return clientOps(env.sim.operations, from, 'Helm/')
    .filter((o) => ['create', 'update', 'apply', 'delete'].includes(o.verb))
    .map((o) => `${o.verb} ${o.kind} ${o.name} ${o.code}`);
}

describe('Helm request order matches the recorded golden trace', () => {
  it('install', async () => {
    expect(await simWrites('install', 'r1', CHART, '-n', 'default')).toEqual(traceWrites('helm install r1 ./demo -n default'));
  });

  it('upgrade --wait', async () => {
    expect(await simWrites('upgrade', 'r1', CHART, '-n', 'default', '--set', 'replicas=3', '--wait', '--timeout', '30s')).toEqual(
      traceWrites('helm upgrade r1 ./demo -n default --set replicas=3 --wait --timeout 30s'),
    );
  });

  it('rollback --wait', async () => {
    expect(await simWrites('rollback', 'r1', '1', '-n', 'default', '--wait', '--timeout', '30s')).toEqual(traceWrites('helm rollback r1 1 -n default --wait --timeout 30s'));
  });

  it('uninstall --wait', async () => {
    expect(await simWrites('uninstall', 'r1', '-n', 'default', '--wait', '--timeout', '30s')).toEqual(traceWrites('helm uninstall r1 -n default --wait --timeout 30s'));
  });
});
