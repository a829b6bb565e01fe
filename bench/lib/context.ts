import { runLocalHost, type RunningLocalHost } from '../../src/local/main';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import type { Metric } from './report';

/** What each benchmark gets from the runner. */
export interface BenchContext {
  /** Progress on stderr; the results table goes to stdout at the end. */
  log(line: string): void;
}

export interface BenchResult {
  metrics: Metric[];
  sizes: Record<string, unknown>;
  notes: string[];
  details: Record<string, unknown>;
}

const cleanups = new Set<() => Promise<void>>();

/**
 * Everything a benchmark starts is registered here as well as stopped in its own `finally`, so a
 * watchdog or Ctrl+C can stop Azurite children and servers before the process exits.
 */
export function registerCleanup(step: () => Promise<void>): () => void {
  let done = false;
  const once = async (): Promise<void> => {
    if (done) return;
    done = true;
    cleanups.delete(once);
    await step();
  };
  cleanups.add(once);
  return () => void cleanups.delete(once);
}

export async function runAllCleanups(): Promise<void> {
  for (const step of [...cleanups].reverse()) {
    await step().catch(() => undefined);
  }
}

/** Runs `body` with its own in-memory Azurite on a free port, stopped afterwards whatever happens. */
export async function withAzurite<T>(body: (azurite: RunningAzurite) => Promise<T>): Promise<T> {
  const azurite = await startAzurite();
  const forget = registerCleanup(() => azurite.stop());
  try {
    return await body(azurite);
  } finally {
    forget();
    await azurite.stop();
  }
}

/**
 * The local host in-process (`npm start` without timers and without output) on a free port,
 * against `storage`; with no META_ACCESS_TOKEN it mounts the Meta sandbox, which these
 * benchmarks do not call.
 */
export async function withLocalHost<T>(storage: string, body: (host: RunningLocalHost) => Promise<T>): Promise<T> {
  const host = await runLocalHost(
    { PORT: '0', REGISTRATION_STORAGE: storage, REGISTRATION_PIN_SECRET: 'bench-pin-secret', RECONCILE_SCHEDULE: '0 0 0 1 1 *' },
    { log: () => undefined, timers: false },
  );
  const forget = registerCleanup(() => host.close());
  try {
    return await body(host);
  } finally {
    forget();
    await host.close();
  }
}

/** Reads and drops a response body, failing on an unexpected status. */
export async function expectStatus(response: Response, status: number, what: string): Promise<string> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${response.status}: ${text.slice(0, 300)}`);
  return text;
}
