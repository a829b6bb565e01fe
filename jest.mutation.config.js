/**
 * The pure domain unit tests only (no Azurite, no sandbox servers): what `npm run mutation` runs
 * against every mutant of src/domain, so a run stays short on a small machine.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  roots: ['<rootDir>/test/domain'],
  testMatch: ['**/*.test.ts'],
};
