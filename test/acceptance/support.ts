/** A simulated cluster plus the local workflow runner, for whole-lifecycle tests. */
import { startSimCluster, type SimCluster, type SimOperation } from '../../lib/sim';
import { ClientNodeKubeClient, loadKubeConfig } from '../../lib/kube/client-node';
import { runReleaseLocally, type LocalReleaseOptions } from '../../lib/local/run-locally';
import type { LocalRunResult } from '../../lib/local/runner';

/** Step Functions allows 256 KiB per state; we promise far less: identifiers only. */
export const MAX_STATE_BYTES = 8 * 1024;

export interface Harness {
  readonly sim: SimCluster;
  /** A fresh namespace, so tests never see each other's objects. */
  namespace(): Promise<string>;
  run(input: Record<string, unknown>, opts?: LocalReleaseOptions): Promise<LocalRunResult>;
}

export function useSim(timeScale = 0.02): Harness {
  let sim: SimCluster | undefined;
  beforeAll(async () => {
    sim = await startSimCluster({ timeScale });
  });
  afterAll(async () => sim?.stop());
  let namespaces = 0;
  return {
    async namespace() {
      const name = `t${++namespaces}`;
      await new ClientNodeKubeClient(loadKubeConfig({ kubeconfigPath: this.sim.kubeconfigPath })).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
    get sim() {
      if (!sim) throw new Error('the simulated cluster is not started');
      return sim;
    },
    async run(input, opts = {}) {
      const result = await runReleaseLocally(input, {
        kubeconfigPath: this.sim.kubeconfigPath,
        waitScale: 0.01,
        deps: { sleep: (ms: number) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) },
        ...opts,
      });
      expect(result.maxPayloadBytes.bytes).toBeLessThanOrEqual(MAX_STATE_BYTES);
      return result;
    },
  };
}

/** Writes to objects of the given kinds, as "verb Kind/name" lines in order. */
export function writes(ops: readonly SimOperation[], kinds: string[], since = 0): string[] {
  return ops
    .filter((o) => o.seq > since && kinds.includes(o.kind) && ['create', 'apply', 'delete', 'update'].includes(o.verb) && o.userAgent && !o.subresource)
    .filter((o) => o.code < 400)
    .map((o) => `${o.verb} ${o.kind}/${o.name}`);
}

export const lastSeq = (ops: readonly SimOperation[]): number => ops[ops.length - 1]?.seq ?? 0;
