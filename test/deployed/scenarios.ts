/**
 * What the as-deployed harness runs, in order (later scenarios build on earlier ones): the
 * wordpress example's lifecycle, the event starter, recovery, the EKS path, and the failures only
 * a deployment shows. Plain `node:assert`, so both `npm run e2e:deployed` and jest run them.
 */
import * as assert from 'node:assert/strict';
import type { KubeObject } from '../../lib/core/objects';
import { releaseFromSecret, type HelmRelease } from '../../lib/core/release-record';
import type { Json } from '../../lib/local/asl';
import { writeChart } from '../support/charts';
import { DEPLOYER_ROLE, type DeployedHarness, type Execution } from './harness';

export interface Scenario {
  readonly name: string;
  /** For jest: a scenario that runs longer than the default 2 minutes on a loaded machine. */
  readonly timeoutMs?: number;
  /** Resolves to a short note for the report, or void. */
  run(h: DeployedHarness): Promise<string | void>;
}

const NS = 'wp';
const RELEASE = 'blog';
/** A thrown error must leave this share of a function's memory free (issue 16: source maps ate it). */
const MAX_RSS_SHARE = 0.6;
/** A 5 MB release may use at most this share of each function's memory (measured: the engine's 79 % on Node 20, 88 % on Node 22). */
const MAX_BIG_RELEASE_SHARE = 0.9;
/** The stall the adapter's request timeout must cut short (and the workflow retry). */
const STALL_MS = 30_000;
/** More than the starter's clock-skew allowance (a redelivery follows a retry delay). */
const REDELIVERY_DELAY_MS = 1500;

function records(h: DeployedHarness, namespace = NS, release = RELEASE): HelmRelease[] {
  return (h.sim.list('v1', 'Secret', namespace) as KubeObject[])
    .filter((s) => s.metadata.labels?.owner === 'helm' && s.metadata.labels?.name === release)
    .map((s) => releaseFromSecret(s as never))
    .sort((a, b) => a.version - b.version);
}
const history = (h: DeployedHarness, namespace = NS, release = RELEASE) => records(h, namespace, release).map((r) => `${r.version}:${r.info.status}`);

function succeeded(e: Execution): void {
  assert.equal(e.status, 'SUCCEEDED', `execution ${e.name} ended ${e.status}: ${e.error?.error}: ${e.error?.cause}`);
}

const upgrade = (h: DeployedHarness, values: Record<string, Json> = {}, options: Record<string, Json> = {}, cluster = 'sim', namespace = NS) =>
  h.execute({ action: 'upgrade', release: RELEASE, namespace, cluster, chart: { source: h.chartSource }, values, options: { wait: true, timeoutSeconds: 120, ...options } });


export const SCENARIOS: Scenario[] = [
  {
    name: 'install: the wordpress chart from S3, on the endpoint cluster (token from Secrets Manager, TLS)',
    async run(h) {
      await h.createNamespace(NS);
      const e = await h.execute({ action: 'install', release: RELEASE, namespace: NS, cluster: 'sim', chart: { source: h.chartSource }, values: { replicaCount: 1 }, options: { wait: true, timeoutSeconds: 120 } });
      succeeded(e);
      assert.deepEqual(history(h), ['1:deployed']);
      await h.settled();
      const statuses = h.aws.calls.filter((c) => c.action === 'PutEvents').map((c) => JSON.parse(String((c.params.Entries as { Detail: string }[])[0].Detail)).status);
      assert.deepEqual(statuses.slice(-2), ['pending-install', 'deployed']);
      return `${e.taskCalls.length} task invocations`;
    },
  },
  {
    name: 'upgrade: pre-upgrade backup and post-upgrade smoke test hooks run',
    async run(h) {
      const e = await upgrade(h, { image: { tag: '6.7-apache' } });
      succeeded(e);
      assert.deepEqual(history(h), ['1:superseded', '2:deployed']);
      assert.deepEqual((e.output as { hooks: { event: string }[] }).hooks.map((x) => x.event).filter((v, i, a) => a.indexOf(v) === i), ['pre-upgrade', 'post-upgrade']);
    },
  },
  {
    name: 'atomic upgrade whose smoke test fails: rolled back, the execution fails RolledBack',
    async run(h) {
      const e = await upgrade(h, { smokeTest: { fail: true } }, { atomic: true });
      assert.equal(e.status, 'FAILED');
      assert.equal(e.error?.error, 'RolledBack');
      assert.deepEqual(history(h), ['1:superseded', '2:superseded', '3:failed', '4:deployed']);
      assert.equal(records(h).at(-1)?.info.description, 'Rollback to 2');
    },
  },
  {
    name: 'rollback to revision 1 (post-rollback restore hook)',
    async run(h) {
      succeeded(await h.execute({ action: 'rollback', release: RELEASE, namespace: NS, cluster: 'sim', revision: 1 }));
      assert.equal(records(h).at(-1)?.info.description, 'Rollback to 1');
      assert.equal(records(h).at(-1)?.info.status, 'deployed');
    },
  },
  {
    name: 'test: the chart\'s test hook passes',
    async run(h) {
      succeeded(await h.execute({ action: 'test', release: RELEASE, namespace: NS, cluster: 'sim' }));
    },
  },
  {
    name: 'event starter: a "Helm Release Requested" event starts an upgrade; its redelivery starts nothing and logs "execution started" once',
    async run(h) {
      const before = h.executions.size;
      const detail = { action: 'upgrade', release: RELEASE, namespace: NS, cluster: 'sim', chart: { source: h.chartSource }, options: { reuseValues: true } };
      const id = 'b1d5e0c4-7a0e-4e0c-9f55-000000000016';
      h.putEvent('Helm Release Requested', detail, { id });
      await until(() => h.executions.size > before);
      // EventBridge delivers at least once: the same event again, after a retry delay, while the execution runs
      await new Promise((r) => setTimeout(r, REDELIVERY_DELAY_MS));
      h.putEvent('Helm Release Requested', detail, { id });
      await h.settled();
      assert.equal(h.executions.size, before + 1, 'one execution for one event');
      const execution = await [...h.executions.values()].at(-1)!;
      succeeded(execution);
      assert.equal(execution.name, `event-${id}`);
      const started = h.logs('StartFromEvent').filter((l) => l.includes('"execution started"') && l.includes(id));
      assert.equal(started.length, 1, `"execution started" logged ${started.length} times`);
      assert.deepEqual(h.deliveryErrors, []);
    },
  },
  {
    name: 'token rotation: the next execution re-reads the secret after the cluster refuses the cached token, and succeeds',
    async run(h) {
      const refusedBefore = h.proxy.refused;
      const readsBefore = h.aws.count('secretsmanager', 'GetSecretValue');
      h.token = 'sim-token-2';
      h.aws.putSecret('helm-sfn/sim-token', h.token);
      h.proxy.setToken(h.token);
      succeeded(await h.execute({ action: 'test', release: RELEASE, namespace: NS, cluster: 'sim' }));
      assert.ok(h.proxy.refused > refusedBefore, 'the warm containers still held the old token');
      assert.ok(h.aws.count('secretsmanager', 'GetSecretValue') > readsBefore, 'the secret was read again');
      return `${h.proxy.refused - refusedBefore} request(s) refused and repeated with the new token`;
    },
  },
  {
    name: 'S3 credential error: ChartFetchFailed, before the lock (no record written)',
    async run(h) {
      const prepare = h.fn('Render');
      await prepare.recycle();
      prepare.lambdaEnvironmentOverride = { AWS_ACCESS_KEY_ID: 'AKIAREVOKEDREVOKED00' };
      try {
        const before = history(h);
        const e = await upgrade(h, { image: { tag: '6.8-apache' } });
        assert.equal(e.status, 'FAILED');
        assert.equal(e.error?.error, 'ChartFetchFailed', `${e.error?.error}: ${e.error?.cause}`);
        assert.match(String(e.error?.cause), /InvalidAccessKeyId/);
        assert.deepEqual(history(h), before);
      } finally {
        prepare.lambdaEnvironmentOverride = {};
        await prepare.recycle();
      }
    },
  },
  {
    name: 'an unreachable chart registry or URL fails Prepare with ChartFetchFailed before the lock',
    async run(h) {
      const before = history(h);
      const charts: Record<string, string | boolean>[] = [{ source: 'oci://127.0.0.1:1/charts/wordpress', version: '1.0.0', plainHttp: true }, { source: 'https://127.0.0.1:1/wordpress-1.0.0.tgz' }];
      for (const chart of charts) {
        const e = await h.execute({ action: 'upgrade', release: RELEASE, namespace: NS, cluster: 'sim', chart });
        assert.equal(e.error?.error, 'ChartFetchFailed', `${e.error?.error}: ${e.error?.cause}`);
        assert.match(String(e.error?.cause), /127\.0\.0\.1:1/);
      }
      assert.deepEqual(history(h), before);
    },
  },
  {
    name: `thrown-error memory headroom: a 256 MB function stays under ${MAX_RSS_SHARE * 100} % after throwing`,
    async run(h) {
      const validate = h.fn('Engine');
      await validate.recycle(); // measure a container from its cold start through its first thrown error
      const e = await h.execute({ action: 'install', release: 'Not_Valid', namespace: NS, cluster: 'sim' });
      assert.equal(e.error?.error, 'InvalidInput');
      const last = validate.invocations.at(-1)!;
      assert.equal(last.errorType, 'InvalidInput');
      const limit = validate.spec.memoryMB * MAX_RSS_SHARE;
      assert.ok(last.peakRssMB <= limit, `peak RSS ${last.peakRssMB.toFixed(0)} MB > ${limit.toFixed(0)} MB`);
      return `peak RSS ${last.peakRssMB.toFixed(0)} MB of ${validate.spec.memoryMB} MB`;
    },
  },
  {
    name: `stalled API connection (${STALL_MS / 1000} s without an answer): the request times out and is sent again (by the adapter, or the task is retried), the release completes`,
    async run(h) {
      // the first read of a hook Job while the pre-upgrade group is polled
      h.proxy.stall((method, url) => method === 'GET' && /\/jobs\/[^/?]+/.test(url), STALL_MS);
      const e = await upgrade(h, { image: { tag: '6.9-apache' } });
      succeeded(e);
      const [stall] = h.proxy.stalls.slice(-1);
      assert.ok(stall, 'a request was stalled');
      assert.ok(stall.abandonedByClient, `the client waited the whole ${STALL_MS / 1000} s for ${stall.method} ${stall.path}: the kube adapter has no request timeout`);
    },
  },
  {
    name: 'recovery: an aborted execution holds the lock; the status-change rule runs the recovery function, which frees it',
    async run(h) {
      const abort = new AbortController();
      const e = await h.execute(
        { action: 'upgrade', release: RELEASE, namespace: NS, cluster: 'sim', chart: { source: h.chartSource }, options: { reuseValues: true } },
        // aborted between tasks: a task still running when its execution is stopped is another story (see the report)
        { signal: abort.signal, onEvent: (ev) => ev.type === 'StateEntered' && ev.state.name === 'Pre-upgrade: wait' && abort.abort() },
      );
      assert.equal(e.status, 'ABORTED');
      assert.match(String(records(h).at(-1)?.info.status), /^pending-/);
      await h.settled(); // EventBridge delivers the status change to the recovery function
      assert.equal(records(h).at(-1)?.info.status, 'failed');
      assert.deepEqual(h.deliveryErrors, []);
      succeeded(await upgrade(h, {}, { reuseValues: true }));
    },
  },
  {
    name: 'EKS token path: install and uninstall through an assumed role; one AssumeRole per container, its session named after the container',
    async run(h) {
      await h.createNamespace('eks');
      const before = h.aws.calls.filter((c) => c.action === 'AssumeRole').length;
      const installed = await h.execute({ action: 'install', release: RELEASE, namespace: 'eks', cluster: 'sim-eks', chart: { source: h.chartSource } });
      succeeded(installed);
      succeeded(await h.execute({ action: 'uninstall', release: RELEASE, namespace: 'eks', cluster: 'sim-eks' }));
      const assumed = h.aws.calls.filter((c) => c.action === 'AssumeRole').slice(before);
      const sessions = assumed.map((c) => String(c.params.RoleSessionName));
      assert.ok(assumed.length > 0);
      assert.ok(assumed.every((c) => c.params.RoleArn === DEPLOYER_ROLE && c.params.ExternalId === 'helm-sfn-e2e'));
      assert.equal(new Set(sessions).size, sessions.length, `a container assumed the role twice: ${sessions.join(', ')}`);
      const containers = new Set([...h.functions.values()].flatMap((f) => f.containers.map((c) => `helm-sfn-${c.id}`)));
      assert.ok(sessions.every((s) => containers.has(s)), 'each session name is a container (its log stream id)');
      // CloudTrail shows the session; the function's log joins it to the execution
      const lines = [...h.functions.values()].flatMap((f) => f.logs).filter((l) => l.includes('"cluster connection"') && l.includes(installed.arn));
      assert.ok(sessions.some((s) => lines.some((l) => l.includes(`"roleSession":"${s}"`))), 'a log line names the session and the execution');
      assert.deepEqual(history(h, 'eks'), []);
      return `${assumed.length} AssumeRole calls for ${new Set(sessions).size} containers`;
    },
  },
  {
    name: 'uninstall: pre-delete hook, resources and records removed',
    async run(h) {
      succeeded(await h.execute({ action: 'uninstall', release: RELEASE, namespace: NS, cluster: 'sim' }));
      assert.deepEqual(history(h), []);
    },
  },
  {
    name: 'a 5 MB release (2,000 ConfigMaps of 2.6 KB) installs, upgrades and uninstalls within the functions\' memory',
    timeoutMs: 360_000,
    async run(h) {
      // quoted values, as charts quote them: the yaml parser's rope strings once held 170 MB per parse of this manifest
      const text = 'helm-sfn as deployed '.repeat(124);
      const templates = Object.fromEntries(
        Array.from({ length: 10 }, (_, f) => [`cm-${f}.yaml`, Array.from({ length: 200 }, (_, i) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big-${f * 200 + i}\ndata:\n  text: "${text}{{ .Values.revision }}"\n`).join('')]),
      );
      const chart = { source: await h.uploadChart(writeChart({ name: 'big', templates, values: 'revision: 1\n' })) };
      await h.createNamespace('big');
      const base = { release: 'big', namespace: 'big', cluster: 'sim', chart };
      const before = new Map([...h.functions].map(([id, f]) => [id, f.invocations.length]));
      succeeded(await h.execute({ ...base, action: 'install' }));
      // a history of three: tasks decode the records they use, not every revision
      for (const revision of [2, 3]) succeeded(await h.execute({ ...base, action: 'upgrade', values: { revision } }));
      assert.equal((h.sim.list('v1', 'ConfigMap', 'big') as KubeObject[]).filter((cm) => String((cm.data as Record<string, string> | undefined)?.text).endsWith(' 3')).length, 2000);
      assert.deepEqual(history(h, 'big', 'big'), ['1:superseded', '2:superseded', '3:deployed']);
      succeeded(await h.execute({ action: 'uninstall', release: 'big', namespace: 'big', cluster: 'sim' }));
      assert.deepEqual(history(h, 'big', 'big'), []);
      const peaks = [...h.functions].flatMap(([id, f]) => {
        const peak = Math.max(0, ...f.invocations.slice(before.get(id)).map((i) => i.peakRssMB));
        return peak ? [{ id, peak, memoryMB: f.spec.memoryMB }] : [];
      });
      for (const p of peaks) assert.ok(p.peak <= p.memoryMB * MAX_BIG_RELEASE_SHARE, `${p.id}: peak RSS ${p.peak.toFixed(0)} MB > ${MAX_BIG_RELEASE_SHARE * 100} % of ${p.memoryMB} MB`);
      return `peak RSS: ${peaks.map((p) => `${p.id} ${p.peak.toFixed(0)} of ${p.memoryMB} MB`).join(', ')}`;
    },
  },
  {
    name: 'no deprecation warning (DEP0040 punycode) and no unexpected error in any function log',
    async run(h) {
      const lines = [...h.functions.values()].flatMap((f) => f.logs);
      assert.deepEqual(lines.filter((l) => /DEP0\d{3}|DeprecationWarning/.test(l)), []);
      return `${[...h.functions.values()].reduce((n, f) => n + f.containers.length, 0)} containers, ${[...h.functions.values()].reduce((n, f) => n + f.invocations.length, 0)} invocations`;
    },
  },
];

async function until(condition: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

