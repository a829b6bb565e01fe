import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import path from 'node:path';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export const tableConnectionString = (port: number, host = '127.0.0.1'): string =>
  `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=http://${host}:${port}/${DEV_ACCOUNT};`;

export interface RunningAzurite {
  port: number;
  connectionString: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function azuriteTableBin(): string {
  // Resolve through the package so it works from src (ts) and dist (js) alike.
  const packageJson = require.resolve('azurite/package.json');
  return path.join(path.dirname(packageJson), 'dist', 'src', 'table', 'main.js');
}

/**
 * Starts Azurite's table service. `location` keeps data on disk (npm start); without it data
 * lives in memory (tests). Resolves once the port accepts connections.
 */
export async function startAzurite(options: { port?: number; location?: string; quiet?: boolean } = {}): Promise<RunningAzurite> {
  const port = options.port ?? (await freePort());
  const args = [azuriteTableBin(), '--tableHost', '127.0.0.1', '--tablePort', String(port), '--skipApiVersionCheck', '--disableTelemetry'];
  args.push(...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']));
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: options.quiet === false ? 'inherit' : 'ignore',
    detached: false,
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 30_000;
  while (!(await isListening(port))) {
    if (exited) throw new Error(`Azurite exited before listening on port ${port}`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`Azurite did not listen on port ${port} within 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    connectionString: tableConnectionString(port),
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        // Azurite closes gracefully (and saves a --location database) on SIGINT only.
        child.kill('SIGINT');
        setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 5_000).unref();
      }),
  };
}
