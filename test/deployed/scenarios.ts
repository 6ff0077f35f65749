/**
 * What the as-deployed harness runs, in order (later scenarios build on earlier ones): the
 * wordpress example's lifecycle, the event starter, recovery, the EKS path, and the failures only
 * a deployment shows. Plain `node:assert`, so both `npm run e2e:deployed` and jest run them.
 */
import * as assert from 'node:assert/strict';
import type { KubeObject } from '../../lib/core/objects';
import { releaseFromSecret, type HelmRelease } from '../../lib/core/release';
import type { Json } from '../../lib/local/asl';
import { DEPLOYER_ROLE, type DeployedHarness, type Execution } from './harness';

export interface Scenario {
  readonly name: string;
  /** Resolves to a short note for the report, or void. */
  run(h: DeployedHarness): Promise<string | void>;
}

const NS = 'wp';
const RELEASE = 'blog';
/** A thrown error must leave this share of a function's memory free (issue 16: source maps ate it). */
const MAX_RSS_SHARE = 0.6;
/** The stall the adapter's request timeout must cut short (and the workflow retry). */
const STALL_MS = 30_000;

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

const retriedErrors = (e: Execution) => e.events.filter((ev) => ev.type === 'StateRetried').map((ev) => `${ev.state.name}`);

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
];

/** Scenario list of the full run; `npm test` runs the same list. */
export const ALL = SCENARIOS;
export { upgrade, history, records, succeeded, retriedErrors, NS, RELEASE, MAX_RSS_SHARE, STALL_MS, DEPLOYER_ROLE };
