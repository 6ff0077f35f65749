/** `npm start` runs this: the whole story must end well on a fresh machine. */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';

const ROOT = path.resolve(__dirname, '..', '..');

test('the demo tells the story: install, upgrade, a failed upgrade rolled back, test, uninstall', async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'helm-sfn.js'), 'demo', '--time-scale', '0.05'], { cwd: ROOT });
  expect(stderr).toMatch(/Release deployed/);
  expect(stderr).toMatch(/Error: RolledBack: post-upgrade hook Job\/my-website-smoke-test failed/);
  expect(stderr).toMatch(/Tests passed/);
  expect(stderr).toMatch(/Release uninstalled/);
  // the real helm's history of the release helm-sfn wrote
  expect(stdout).toMatch(/3\s+.*failed\s+wordpress-1\.0\.0.*Upgrade "my-website" failed/);
  expect(stdout).toMatch(/4\s+.*deployed\s+wordpress-1\.0\.0.*Rollback to 2/);
}, 120_000);
