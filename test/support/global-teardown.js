// jest globalTeardown: the run's temporary directory (global-setup.js), with whatever tests left.
const fs = require('fs');

module.exports = async () => {
  const dir = process.env.HELM_SFN_TEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
