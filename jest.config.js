/**
 * Test layers, each a jest project: `unit` (pure core and handlers, no I/O), `integration` (adapters
 * against real local servers: cosmosdb-server, Azurite), `local` (the local runtime over HTTP, crash
 * and restart), `e2e` (the dashboard in Debian's Chromium) and `faults` (fault injection).
 */
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// ESM-only packages that jest must compile to CommonJS.
const esmPackages = ['hyparquet', 'hyparquet-writer', 'lossless-json'].join('|');

const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages})/)`],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  setupFiles: ['<rootDir>/test/support/quietFunctionsTestMode.ts'],
  // The staged deployment package (npm run package) holds a second package.json.
  modulePathIgnorePatterns: ['<rootDir>/.package/'],
};

const project = (displayName, roots, extra = {}) => ({
  ...base,
  displayName,
  testMatch: roots.map((root) => `<rootDir>/${root}/**/*.test.ts`),
  ...extra,
});

module.exports = {
  // Jest's default of one worker less than the cores means none at all on a two-core machine: the
  // files would run one after another. They mostly wait (for a runtime to start, for a backlog to
  // drain, for a browser), so one file per core keeps the cores busy.
  maxWorkers: '100%',
  testSequencer: '<rootDir>/test/support/sequencer.mjs',
  projects: [
    project('unit', ['test/shared', 'test/functions', 'test/tools', 'test/infra', 'test/powerbi', 'test/architecture', 'test/support']),
    project('integration', ['test/integration']),
    project('local', ['test/local']),
    project('e2e', ['test/e2e']),
    project('faults', ['test/faults']),
  ],
};
