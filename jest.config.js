/**
 * @swc/jest transpiles (type-checking is `tsc`, run first by `npm test`).
 * @kubernetes/client-node is ESM-only and jest on Node 20 cannot require() it, so globalSetup
 * pre-bundles it to one CommonJS file and moduleNameMapper points the import there. globalSetup
 * also gives the run one TMPDIR, removed by globalTeardown: tests leave nothing in /tmp.
 *
 * Two projects, both run by `npm test` and CI: `unit` (pure code, the engine on an in-memory
 * cluster, adapters against the sim in-process: `npm run test:unit`, ~1.5 min) and `slow`
 * (processes of real helm/kubectl/helm-sfn, the local Step Functions runner end to end, the
 * conformance corpus, `cdk synth`: `npm run test:slow`).
 */
const { OUT: CLIENT_NODE_CJS } = require('./test/support/bundle-esm.js');

/** Test files of the `slow` project, as regular expressions over their paths. */
const SLOW = [
  '/test/(acceptance|conformance|deployed|cli)/.*\\.test\\.ts$',
  '/test/sim/fidelity-[^/]*\\.test\\.ts$',
  '/test/workflow/synth\\.test\\.ts$',
  '/test/bench/bench\\.test\\.ts$',
];

const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  setupFiles: ['<rootDir>/test/support/setup-env.js'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  moduleNameMapper: { '^@kubernetes/client-node$': CLIENT_NODE_CJS },
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...SLOW] },
    { ...common, displayName: 'slow', testRegex: SLOW },
  ],
  // jest's default is one worker less than the cores: a single worker on a 2-core machine, where
  // most tests wait on helm, kubectl and the sim rather than compute
  maxWorkers: '100%',
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
