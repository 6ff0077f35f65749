// jest globalSetup (both projects): client-node's CommonJS bundle, and one temporary directory for
// the whole run. Workers, helm, kubectl and the sim inherit TMPDIR, so everything the tests leave
// in a temporary directory goes when global-teardown.js removes it.
const fs = require('fs');
const os = require('os');
const path = require('path');
const bundleClientNode = require('./bundle-esm');

module.exports = async () => {
  await bundleClientNode();
  if (!process.env.HELM_SFN_TEST_TMPDIR) {
    process.env.HELM_SFN_TEST_TMPDIR = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-sfn-test-'));
    process.env.TMPDIR = process.env.HELM_SFN_TEST_TMPDIR;
  }
};
