#!/usr/bin/env node
// Executable shim for `npx helm-sfn`: run the TypeScript entry through tsx.
require('tsx/cjs');
require('./helm-sfn.ts');
