// jest globalSetup: bundle the ESM-only @kubernetes/client-node into one CommonJS file, once per
// installed version (~1 s); jest.config.js maps the import to it.
const path = require('path');
const fs = require('fs');
const { version } = require('@kubernetes/client-node/package.json');

const OUT = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'jest-esm', `client-node-${version}.cjs`);

module.exports = async () => {
  if (fs.existsSync(OUT)) return;
  await require('esbuild').build({
    entryPoints: [require.resolve('@kubernetes/client-node')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: OUT,
    logLevel: 'warning',
  });
};
module.exports.OUT = OUT;
