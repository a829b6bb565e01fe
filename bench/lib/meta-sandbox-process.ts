/**
 * The Meta sandbox in a process of its own, for the reconcile benchmark: Meta is another machine,
 * so its HTTP server must not share the event loop (and the CPU time) of the service under test.
 * The parent sends the WABAs and numbers to create, gets the URL back, and asks for the call count.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createMetaSandbox } from '../../src/local/meta-sandbox';
import type { SandboxPhoneFields } from '../../src/local/meta-sandbox/state';

export interface SandboxWorld {
  latencyMs: number;
  wabas: Array<{ id: string; name: string; numbers: Array<{ phoneNumber: string; fields: SandboxPhoneFields }> }>;
}

type Request = { kind: 'world'; world: SandboxWorld } | { kind: 'calls' } | { kind: 'name-status'; phoneNumbers: string[]; nameStatus: string };
type Reply = { kind: 'ready'; url: string; phoneNumberIds: string[] } | { kind: 'calls'; total: number } | { kind: 'name-status-set' };

export interface SandboxProcess {
  url: string;
  /** Graph ids of the numbers, in the order they were given. */
  phoneNumberIds: string[];
  calls(): Promise<number>;
  /** Meta's review decision of these numbers' display names, changed (so the next reconcile writes them). */
  setNameStatus(phoneNumbers: string[], nameStatus: string): Promise<void>;
  close(): Promise<void>;
}

function ask(child: ChildProcess, request: Request, kind: Reply['kind']): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Reply) => {
      if (reply.kind !== kind) return;
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(reply);
    };
    const onExit = (code: number | null) => reject(new Error(`The Meta sandbox process exited (${code ?? 'signal'})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(request);
  });
}

export async function startSandboxProcess(world: SandboxWorld): Promise<SandboxProcess> {
  const child = fork(__filename, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = (await ask(child, { kind: 'world', world }, 'ready')) as Extract<Reply, { kind: 'ready' }>;
  return {
    url: ready.url,
    phoneNumberIds: ready.phoneNumberIds,
    calls: async () => ((await ask(child, { kind: 'calls' }, 'calls')) as Extract<Reply, { kind: 'calls' }>).total,
    setNameStatus: async (phoneNumbers, nameStatus) => {
      await ask(child, { kind: 'name-status', phoneNumbers, nameStatus }, 'name-status-set');
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

async function serve(world: SandboxWorld): Promise<Reply> {
  const sandbox = createMetaSandbox({ latencyMs: world.latencyMs, seed: false, log: () => undefined });
  const phoneNumberIds: string[] = [];
  for (const waba of world.wabas) {
    // Connected registrations' WABAs have the app subscribed (reconcile restores it otherwise).
    sandbox.state.addWaba({ id: waba.id, businessId: null, name: waba.name }).subscribedApp = true;
    for (const number of waba.numbers) phoneNumberIds.push(sandbox.state.addPhoneNumber(waba.id, number.phoneNumber, number.fields).id);
  }
  const server = await sandbox.listen(0);
  process.on('message', (request: Request) => {
    if (request.kind === 'calls') process.send?.({ kind: 'calls', total: sandbox.state.callCounts().total } satisfies Reply);
    if (request.kind === 'name-status') {
      for (const phoneNumber of request.phoneNumbers) sandbox.state.setNameStatus(phoneNumber, request.nameStatus);
      process.send?.({ kind: 'name-status-set' } satisfies Reply);
    }
  });
  return { kind: 'ready', url: server.url, phoneNumberIds };
}

if (require.main === module) {
  process.once('message', (request: Request) => {
    if (request.kind !== 'world') return;
    serve(request.world).then(
      (reply) => process.send?.(reply),
      (error: unknown) => {
        process.stderr.write(`Meta sandbox process: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
}
