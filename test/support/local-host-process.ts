import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/local/azurite';
import { e2eApi, type E2eApi } from './e2e-api';
import { testStorageConnectionString } from './storage';
import { until } from './eventually';

export interface LocalHostProcess {
  url: string;
  /** HTTP calls to the host; answers from /api are checked against its OpenAPI document. */
  api: E2eApi;
  output: () => string;
  /**
   * Runs the reconcile timer now through the host's admin endpoint (as Core Tools does), and
   * answers the runs listed once one more has finished.
   */
  reconcileNow(): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Runs the built local host (`npm start` without the build step) as a child process on a free
 * port, against the test Azurite and, with no Meta token, its own Meta sandbox. It runs in
 * `workDir` (its `.azurite/` holds the sandboxes' worlds): by default a fresh directory removed on
 * stop, so no run inherits another's world; pass one to restart a host over the same data.
 */
export async function startLocalHostProcess(env: Record<string, string> = {}, options: { workDir?: string } = {}): Promise<LocalHostProcess> {
  const port = await freePort();
  const workDir = options.workDir ?? mkdtempSync(path.join(tmpdir(), 'local-host-'));
  const removeWorkDir = (): void => {
    if (options.workDir === undefined) rmSync(workDir, { recursive: true, force: true });
  };
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'local', 'main.js')], {
    cwd: workDir,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      REGISTRATION_STORAGE: testStorageConnectionString(),
      RECONCILE_SCHEDULE: '0 0 0 1 1 *',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      removeWorkDir();
      throw new Error(`local host exited (${child.exitCode}):\n${output}`);
    }
    const ready = await fetch(`${url}/api/health`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      removeWorkDir();
      throw new Error(`local host not ready within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const api = e2eApi(url);
  const finishedRuns = async (): Promise<Array<Record<string, unknown>>> =>
    ((await api('GET', '/api/reconcile/runs?limit=100')).json.items as Array<Record<string, unknown>>).filter((run) => run.finishedAt !== null);
  // The list is capped (newest first), so a new run is one not seen before, not one more in the count.
  const runKey = (run: Record<string, unknown>): string => `${String(run.startedAt)}|${String(run.finishedAt)}`;
  return {
    url,
    api,
    output: () => output,
    reconcileNow: async () => {
      const before = new Set((await finishedRuns()).map(runKey));
      const admin = await fetch(`${url}/admin/functions/reconcile`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });
      if (admin.status !== 202) throw new Error(`POST /admin/functions/reconcile answered ${admin.status}`);
      return until(
        finishedRuns,
        (runs) => runs.some((run) => !before.has(runKey(run))),
        'a finished reconcile run',
        () => output,
      );
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          removeWorkDir();
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}
