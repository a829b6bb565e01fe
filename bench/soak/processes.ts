/**
 * The parts the soak starts, stops and kills: Azurite on a data folder (stopped and started again on
 * the same port, once on an empty folder), and the local host as a child process (killed with
 * SIGKILL and started again over the same data). The host's output goes to one log file across
 * restarts, for the secrets scan.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startAzurite, type RunningAzurite } from '../../src/local/azurite';

export class StorageProcess {
  private running: RunningAzurite | null = null;
  private folder: string;

  private constructor(
    readonly port: number,
    private readonly root: string,
  ) {
    this.folder = path.join(root, 'data-0');
  }

  static async start(root: string): Promise<StorageProcess> {
    const storage = new StorageProcess(await freePort(), root);
    await storage.startAgain();
    return storage;
  }

  get connectionString(): string {
    return `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:${this.port}/devstoreaccount1;`;
  }

  async stop(): Promise<void> {
    await this.running?.stop();
    this.running = null;
  }

  /** Starts again on the same port: over the same data, or (`empty`) on a new, empty folder. */
  async startAgain(options: { empty?: boolean } = {}): Promise<void> {
    if (options.empty) this.folder = path.join(this.root, `data-${Date.now()}`);
    mkdirSync(this.folder, { recursive: true });
    this.running = await startAzurite({ port: this.port, location: this.folder });
  }
}

export interface HostSettings {
  env: Record<string, string>;
  logFile: string;
}

export class HostProcess {
  private child: ChildProcess | null = null;
  readonly workDir = mkdtempSync(path.join(tmpdir(), 'soak-host-'));

  private constructor(
    readonly port: number,
    private readonly settings: HostSettings,
  ) {}

  static async start(settings: HostSettings): Promise<HostProcess> {
    const host = new HostProcess(await freePort(), settings);
    await host.startAgain();
    return host;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the built local host and waits until `GET /api/health` answers 200. */
  async startAgain(): Promise<void> {
    const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'src', 'local', 'main.js')], {
      cwd: this.workDir,
      env: { PATH: process.env.PATH ?? '', ...this.settings.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = (chunk: Buffer) => appendFileSync(this.settings.logFile, chunk);
    child.stdout?.on('data', log);
    child.stderr?.on('data', log);
    this.child = child;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the local host exited (${child.exitCode}); see ${this.settings.logFile}`);
      const healthy = await fetch(`${this.url}/api/health`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (healthy) return;
      if (Date.now() > deadline) throw new Error('the local host did not become healthy within 90 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** SIGKILL: no shutdown hook runs, as when a host is lost. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGINT, as Ctrl-C: the host dispatches what it committed and stops. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGINT');
    });
  }
}
