/**
 * The as-deployed harness in `npm test`: synthesize the app, run every scenario of ./scenarios.ts
 * (the wordpress lifecycle, event starter, recovery, EKS path, token rotation, stalled connection,
 * memory headroom, a 5 MB release, S3 credential error) on the bundles in Lambda-like sandboxes.
 * ~2 minutes.
 */
import { DeployedHarness } from './harness';
import { SCENARIOS } from './scenarios';

let harness: DeployedHarness | undefined;

beforeAll(async () => {
  harness = await DeployedHarness.start();
}, 240_000);

afterAll(async () => harness?.stop(), 60_000);

describe('as deployed', () => {
  for (const scenario of SCENARIOS) {
    test(scenario.name, async () => {
      if (!harness) throw new Error('the harness did not start');
      await scenario.run(harness);
    }, scenario.timeoutMs ?? 120_000);
  }
});
