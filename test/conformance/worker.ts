/**
 * A worker process of runCorpus (./run.ts): runs one tool's lifecycle of each chart it is sent,
 * one at a time, and sends back the observation.
 */
import type { CorpusChart } from './corpus';
import { runLifecycle, toWire, type LifecycleOptions, type Tool } from './lifecycle';

process.on('message', (message) => {
  const { chart, tool, opts } = message as { chart: CorpusChart; tool: Tool; opts: LifecycleOptions };
  runLifecycle(chart, tool, opts).then(
    (observation) => process.send!({ observation: toWire(observation) }),
    (e: unknown) => process.send!({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
// the parent went away: nothing left to report to
process.on('disconnect', () => process.exit(0));
