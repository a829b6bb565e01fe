/** Connection string of the Azurite started by the global setup. */
export function testStorageConnectionString(): string {
  const value = process.env.TEST_STORAGE_CONNECTION_STRING;
  if (!value) throw new Error('TEST_STORAGE_CONNECTION_STRING is not set: run the tests through jest (global setup starts Azurite).');
  return value;
}

let counter = 0;
/** A table-name prefix unique to this test file and call, so files running in parallel never share tables. */
export function uniqueTablePrefix(label = 't'): string {
  counter += 1;
  return `${label}${process.pid}x${Date.now().toString(36)}${counter}`.replace(/[^A-Za-z0-9]/g, '').slice(0, 40);
}
