/**
 * The Meta sandbox in a process of its own for the soak: Meta is another system, so killing the
 * local host must not take Meta's world with it. The parent gets the URL back and drives the world
 * through the sandbox's control routes over HTTP.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createMetaSandbox } from '../../src/local/meta-sandbox';

export interface MetaProcess {
  url: string;
  close(): Promise<void>;
}

type Request = { kind: 'start'; app: { id: string; secret: string } };
type Reply = { kind: 'ready'; url: string };

export async function startMetaProcess(app: { id: string; secret: string }): Promise<MetaProcess> {
  const child: ChildProcess = fork(__filename, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (reply: Reply) => resolve(reply.url));
    child.once('exit', (code) => reject(new Error(`The Meta sandbox process exited (${code ?? 'signal'})`)));
    child.send({ kind: 'start', app } satisfies Request);
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

if (require.main === module) {
  process.once('message', (request: Request) => {
    // The sandbox's console stays quiet: the soak reads its world over HTTP.
    const sandbox = createMetaSandbox({ app: request.app, log: () => undefined });
    void sandbox.listen(0).then((server) => process.send?.({ kind: 'ready', url: server.url } satisfies Reply));
  });
  process.on('disconnect', () => process.exit(0));
}
