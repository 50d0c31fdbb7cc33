/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  // One directory per run for templates several suites read (test/support/synth.ts, sharedTemplates).
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  setupFiles: ['<rootDir>/test/support/node-support.js'],
  // Longest suites first, also on a fresh clone (no cached durations yet).
  testSequencer: '<rootDir>/test/support/sequencer.js',
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
  testTimeout: 60000,
  // Three workers on two cores: with two, the workers' CPU was busy 60 % of the run, the rest spent
  // waiting on Chromium, PostgreSQL, child processes and deadlines; a third suite fills that time.
  // The suites hold their bounds under far heavier load (docs/testing.md).
  maxWorkers: 3,
};
