import { startAzurite } from '../../src/local/azurite';

/**
 * One Azurite for the whole run, on a free port, in memory. Workers inherit the connection
 * string through the environment; each test file uses its own table-name prefix.
 */
export default async function globalSetup(): Promise<void> {
  const azurite = await startAzurite();
  process.env.TEST_STORAGE_CONNECTION_STRING = azurite.connectionString;
  process.env.TEST_AZURITE_PORT = String(azurite.port);
  (globalThis as { __AZURITE__?: typeof azurite }).__AZURITE__ = azurite;
}
