#!/usr/bin/env node
// `npx helm-sfn`: the compiled CLI, run by plain node (`npm run build` makes dist/; `npm install` runs it).
const path = require('path');
const entry = path.join(__dirname, '..', 'dist', 'bin', 'helm-sfn.js');
if (!require('fs').existsSync(entry)) {
  process.stderr.write(`Error: ${entry} is missing: run \`npm run build\` (npm install runs it)\n`);
  process.exit(1);
}
require(entry);
