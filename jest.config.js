/**
 * @swc/jest transpiles (type-checking is `tsc`, run first by `npm test`).
 * @kubernetes/client-node is ESM-only and jest on Node 20 cannot require() it, so globalSetup
 * pre-bundles it to one CommonJS file and moduleNameMapper points the import there.
 */
const { OUT: CLIENT_NODE_CJS } = require('./test/support/bundle-esm.js');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  setupFiles: ['<rootDir>/test/support/setup-env.js'],
  globalSetup: '<rootDir>/test/support/bundle-esm.js',
  moduleNameMapper: { '^@kubernetes/client-node$': CLIENT_NODE_CJS },
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
