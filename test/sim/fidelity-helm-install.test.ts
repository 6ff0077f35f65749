/**
 * Fidelity: real Helm 4.1.4 installs charts with hook Jobs against the sim; the outcome and the
 * sim's operation log must match Helm's observed behaviour (helm v4.1.4 `pkg/action/hooks.go`;
 * docs/semantics.md#observed-helm-behaviour).
 */
import * as path from 'path';

import { CHART, clientOps, opLine, simWithTools, stderrOf } from './support';

const env = simWithTools();

/** Helm's writes and watches (reads and discovery left out), as compact lines. */
const helmWrites = (from: number) =>
  clientOps(env.sim.operations, from, 'Helm/')
    .filter((o) => !['get', 'list'].includes(o.verb))
    .map(opLine);

describe('helm install with hook Jobs', () => {
  it('runs the pre-install hook, applies the resources, runs the post-install hook and records the release', async () => {
    const from = env.sim.operations.length;
    const res = await env.t.helm('install', 'r1', CHART, '-n', 'default');
    expect(stderrOf(res)).toBe('');
    expect(res.stdout).toMatch(/STATUS: deployed\nREVISION: 1\nDESCRIPTION: Install complete/);
    expect(helmWrites(from)).toEqual([
      'create Secret sh.helm.release.v1.r1.v1 created',
      'delete Job r1-pre NotFound',
      'update Secret sh.helm.release.v1.r1.v1 updated',
      'apply Job r1-pre created',
      'watch Job  watch',
      'delete Job r1-pre deleted',
      'apply ServiceAccount r1-sa created',
      'apply Secret r1-sec created',
      'apply ConfigMap r1-cfg created',
      'apply Service r1-web created',
      'apply Deployment r1-web created',
      'delete Job r1-post NotFound',
      'update Secret sh.helm.release.v1.r1.v1 updated',
      'apply Job r1-post created',
      'watch Job  watch',
      'update Secret sh.helm.release.v1.r1.v1 updated',
    ]);
    // Helm moved on only after the Job controller reported the hook Complete
    const ops = env.sim.operations.slice(from);
    const completed = ops.findIndex((o) => o.verb === 'status' && o.kind === 'Job' && o.name === 'r1-pre' && !o.userAgent && o.seq === lastStatus(ops, 'r1-pre'));
    const deleted = ops.findIndex((o) => o.verb === 'delete' && o.name === 'r1-pre' && o.outcome === 'deleted');
    expect(completed).toBeGreaterThan(-1);
    expect(completed).toBeLessThan(deleted);
    expect((env.sim.get('v1', 'Secret', 'default', 'sh.helm.release.v1.r1.v1') as any).metadata.labels).toMatchObject({ owner: 'helm', name: 'r1', status: 'deployed', version: '1' });
    expect(ops.filter((o) => o.fieldManager === 'helm').every((o) => o.verb === 'apply')).toBe(true);
  });

  it('leaves the post-install Job and its logs for kubectl', async () => {
    const logs = await env.t.kubectl('logs', 'job/r1-post');
    expect(logs).toMatchObject({ code: 0, stdout: 'done\n' });
    const job = await env.t.kubectl('get', 'job', 'r1-post', '-o', 'jsonpath={.status.conditions[?(@.type=="Complete")].status}');
    expect(job.stdout).toBe('True');
  });

  it('fails the install when the post-install hook Job fails, and marks the release failed', async () => {
    const res = await env.t.helm('install', 'r3', CHART, '-n', 'default', '--set', 'failHook=true', '--timeout', '30s');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Error: INSTALLATION FAILED: failed post-install: resource Job/default/r3-post not ready. status: Failed, message: Job Failed. failed: 1/1');
    const list = await env.t.helm('list', '-n', 'default', '--failed', '-o', 'json');
    expect(JSON.parse(list.stdout).map((r: any) => [r.name, r.status])).toEqual([['r3', 'failed']]);
    const job = env.sim.get('batch/v1', 'Job', 'default', 'r3-post') as any;
    expect(job.status.conditions.find((c: any) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded' });
  });

  it('runs pre-upgrade hooks one at a time and on failure deletes by policy in Helm\'s order', async () => {
    const chart = path.join(__dirname, 'fixtures', 'failing-hooks-chart');
    expect((await env.t.helm('install', 'e7', chart, '-n', 'default')).code).toBe(0);
    const from = env.sim.operations.length;
    const res = await env.t.helm('upgrade', 'e7', chart, '-n', 'default', '--set', 'revision=2');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Error: UPGRADE FAILED: pre-upgrade hooks failed: resource Job/default/b2 not ready. status: Failed, message: Job Failed. failed: 1/1');
    expect(res.stderr).toContain('b2 failing'); // hook-output-log-policy: hook-failed copies the failed hook's log
    const lines = helmWrites(from)
      .filter((l) => !l.startsWith('watch'))
      .map((l) => l.replace(/^log Pod b2-[a-z0-9]{5} /, 'log Pod b2-* '));
    expect(lines).toEqual([
      'create Secret sh.helm.release.v1.e7.v2 created',
      'update Secret sh.helm.release.v1.e7.v2 updated',
      'apply Job b1 created',
      'update Secret sh.helm.release.v1.e7.v2 updated',
      'apply Job b2 created',
      'log Pod b2-* ok', // the hook-failed log copy, before any deletion
      'delete Job b2 deleted',
      'delete Job b1 deleted',
      'update Secret sh.helm.release.v1.e7.v2 updated',
    ]);
    expect(env.sim.get('batch/v1', 'Job', 'default', 'b3')).toBeUndefined();
    expect((env.sim.get('v1', 'Secret', 'default', 'sh.helm.release.v1.e7.v2') as any).metadata.labels.status).toBe('failed');
    expect(env.sim.controllerErrors).toEqual([]);
  });
});

describe('helm install with a CRD in crds/', () => {
  it('creates the CRD, which registers its kind in time for the chart\'s custom resource', async () => {
    const chart = path.join(__dirname, 'fixtures', 'crd-chart');
    expect((await env.t.helm('install', 'w1', chart, '-n', 'default')).code).toBe(0);
    const res = await env.t.kubectl('get', 'widgets');
    expect(res.stdout).toMatch(/^NAME +SIZE +AGE\nw1-widget +3 +\d+s\n$/);
    expect((await env.t.helm('upgrade', 'w1', chart, '-n', 'default', '--set', 'size=5', '--wait')).code).toBe(0);
    expect((env.sim.get('example.com/v1', 'Widget', 'default', 'w1-widget') as any).spec.size).toBe(5);
    expect((await env.t.helm('uninstall', 'w1', '-n', 'default', '--wait')).code).toBe(0);
    expect(env.sim.get('example.com/v1', 'Widget', 'default', 'w1-widget')).toBeUndefined();
    expect(env.sim.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'widgets.example.com')).toBeDefined(); // Helm never deletes CRDs
  });
});

describe('helm without server-side apply', () => {
  it('creates with POST, force-replaces with PUT and rolls back with a strategic merge patch', async () => {
    const verbsFor = (from: number) => [...new Set(clientOps(env.sim.operations, from, 'Helm/').filter((o) => o.kind === 'ConfigMap' && o.name === 'csa-cfg' && o.verb !== 'get').map((o) => `${o.verb} ${o.code}`))];
    let from = env.sim.operations.length;
    expect((await env.t.helm('install', 'csa', CHART, '-n', 'default', '--server-side=false')).code).toBe(0);
    expect(verbsFor(from)).toEqual(['create 201']);
    from = env.sim.operations.length;
    expect((await env.t.helm('upgrade', 'csa', CHART, '-n', 'default', '--server-side=false', '--force-replace', '--set', 'greeting=hi')).code).toBe(0);
    expect(verbsFor(from)).toEqual(['update 200']);
    expect((env.sim.get('v1', 'ConfigMap', 'default', 'csa-cfg') as any).data).toEqual({ greeting: 'hi' });
    from = env.sim.operations.length;
    expect((await env.t.helm('rollback', 'csa', '1', '-n', 'default')).code).toBe(0);
    expect(verbsFor(from)).toEqual(['patch 200']);
    expect((env.sim.get('v1', 'ConfigMap', 'default', 'csa-cfg') as any).data).toEqual({ greeting: 'hello' });
    expect((env.sim.get('v1', 'Service', 'default', 'csa-web') as any).spec.clusterIP).toMatch(/^10\.96\./); // kept across the PUT
  });
});

function lastStatus(ops: typeof env.sim.operations, job: string): number {
  const statuses = ops.filter((o) => o.verb === 'status' && o.kind === 'Job' && o.name === job && !o.userAgent);
  return statuses[statuses.length - 1]?.seq ?? -1;
}
