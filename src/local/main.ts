/**
 * `npm start` (docs/design.md §8): fills in what a developer machine lacks (Azurite, the Meta sandbox, a PIN
 * secret), then serves the app's functions on the local host and prints them like `func start`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { isDevelopmentStorage, loadConfig } from '../adapters/config';
import { createApp } from '../app';
import type { PublishedEvent } from '../domain/ports';
import type { FunctionDefinition } from '../functions/definitions';
import { freePort, isListening, startAzurite, tableConnectionString, type RunningAzurite } from './azurite';
import { EVENT_GRID_WEBHOOK_PATH } from './event-grid-endpoint';
import { startLocalHost, type LocalHost, type Mount } from './host';
import { describeError, type LogLine } from './invocation';
import { createMetaSandbox, DEFAULT_SANDBOX_APP_ID, metaSandboxWorldSchema } from './meta-sandbox';
import { acsSandboxConnectionString, acsSandboxWorldSchema, createAcsSandbox, type SandboxSms } from './acs-sandbox';
import { persistWorld } from './sandbox-world';
import type { z } from 'zod';

const DEFAULT_PORT = 7071;
const AZURITE_TABLE_PORT = 10002;
const SANDBOX_PREFIX = '/meta-sandbox';
const SANDBOX_TOKEN = 'sandbox-token';
const SANDBOX_BUSINESS_ID = '100000000000001';
const SANDBOX_WABA_ID = '200000000000001';
const SMS_FUNCTION = 'smsEvents';
const ACCOUNT_FUNCTION = 'accountEvents';
const ACS_SANDBOX_PREFIX = '/acs-sandbox';
/** A real SMS arrives a moment after Meta accepts request_code; the sandbox keeps that order of events. */
const SANDBOX_SMS_DELAY_MS = 200;
const SANDBOX_SMS_REDELIVERIES = 3;
const SANDBOX_SMS_REDELIVERY_DELAY_MS = 2_000;

export interface RunningLocalHost {
  url: string;
  port: number;
  runFunction: LocalHost['runFunction'];
  close(): Promise<void>;
}

export interface RunLocalHostOptions {
  log?: LogLine;
  /** Fire timers on their schedules (default true). */
  timers?: boolean;
  /**
   * Where local data lives: Azurite's database when this process starts it, and the sandboxes'
   * worlds (default `.azurite` in the working directory).
   */
  dataDir?: string;
}

/** Empty and blank values count as unset, as in src/adapters/config.ts. */
const setting = (env: Record<string, string | undefined>, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

async function resolvePort(env: Record<string, string | undefined>): Promise<number> {
  const text = setting(env, 'PORT');
  if (text === undefined) return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer from 0 to 65535, got "${text}"`);
  // The sandbox's URL must be known before the host listens, so "any port" is settled up front.
  return port === 0 ? freePort() : port;
}

function banner(lines: string[]): string {
  const width = Math.max(...lines.map((line) => line.length)) + 4;
  const edge = '!'.repeat(width + 2);
  return [edge, `!${' '.repeat(width)}!`, ...lines.map((line) => `!  ${line.padEnd(width - 2)}!`), `!${' '.repeat(width)}!`, edge].join('\n');
}

const LOCAL_ACS_TOPIC =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/local/providers/microsoft.communication/communicationservices/local-sandbox';

/** An ACS SMS event as Event Grid delivers it, from the sandbox's own Communication resource. */
function acsSmsEvent(eventType: string, id: string, digits: string, now: string, data: Record<string, unknown>): Record<string, unknown> {
  return {
    id,
    topic: LOCAL_ACS_TOPIC,
    subject: `/phonenumber/${digits}`,
    data,
    eventType: `Microsoft.Communication.${eventType}`,
    dataVersion: '1.0',
    metadataVersion: '1',
    eventTime: now,
  };
}

function smsDeliveryReportEvent(sms: SandboxSms, report: { status: string; details: string | null }): Record<string, unknown> {
  const now = new Date().toISOString();
  const delivered = report.status === 'Delivered';
  return acsSmsEvent('SMSDeliveryReportReceived', `Outgoing_${randomUUID()}`, sms.to.replace(/\D/g, ''), now, {
    messageId: sms.messageId,
    from: sms.from,
    to: sms.to,
    deliveryStatus: report.status,
    deliveryStatusDetails: report.details,
    deliveryAttempts: [{ timestamp: now, segmentsSucceeded: delivered ? 1 : 0, segmentsFailed: delivered ? 0 : 1 }],
    receivedTimestamp: now,
    tag: sms.tag,
  });
}

function smsReceivedEvent(phoneNumber: string, code: string): Record<string, unknown> {
  const digits = phoneNumber.replace(/\D/g, '');
  const shown = /^\d{6}$/.test(code) ? `${code.slice(0, 3)}-${code.slice(3)}` : code;
  const messageId = `Incoming_${randomUUID()}`;
  const now = new Date().toISOString();
  return acsSmsEvent('SMSReceived', messageId, digits, now, {
    messageId,
    from: '32665',
    to: `+${digits}`,
    message: `Your WhatsApp Business code ${shown}\nDon't share this code with others`,
    receivedTimestamp: now,
    segmentCount: 1,
  });
}

function describeFunction(fn: FunctionDefinition, base: string): string {
  switch (fn.kind) {
    case 'http':
      return `  ${fn.name}: [${fn.methods.join(',')}] ${base}/api/${fn.route}`;
    case 'eventGrid':
      return `  ${fn.name}: eventGridTrigger ${base}${EVENT_GRID_WEBHOOK_PATH}?functionName=${fn.name}`;
    case 'timer':
      return `  ${fn.name}: timerTrigger (${fn.schedule})`;
  }
}

/** Starts everything `npm start` starts; e2e tests call it in-process (PORT=0 picks a free port). */
export async function runLocalHost(sourceEnv: Record<string, string | undefined>, options: RunLocalHostOptions = {}): Promise<RunningLocalHost> {
  const log: LogLine = options.log ?? ((line) => console.log(line));
  const env: Record<string, string | undefined> = { ...sourceEnv };
  const port = await resolvePort(env);
  env.PORT = String(port);
  const dataDir = path.resolve(options.dataDir ?? '.azurite');
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) {
      await step().catch((error: unknown) => log(`Shutdown step failed: ${describeError(error)}`));
    }
  };

  try {
    // Storage: the development default means Azurite on its usual table port, started here if absent.
    const storage = setting(env, 'REGISTRATION_STORAGE') ?? setting(env, 'AzureWebJobsStorage') ?? 'UseDevelopmentStorage=true';
    if (isDevelopmentStorage(storage)) {
      // @azure/data-tables does not reliably understand the UseDevelopmentStorage shorthand.
      env.REGISTRATION_STORAGE = tableConnectionString(AZURITE_TABLE_PORT);
      if (await isListening(AZURITE_TABLE_PORT)) {
        log(`Storage: using the table service already listening on 127.0.0.1:${AZURITE_TABLE_PORT}`);
      } else {
        mkdirSync(dataDir, { recursive: true });
        const azurite: RunningAzurite = await startAzurite({ port: AZURITE_TABLE_PORT, location: dataDir });
        cleanups.push(() => azurite.stop());
        log(`Storage: started Azurite on 127.0.0.1:${AZURITE_TABLE_PORT} (data in ${dataDir})`);
      }
    } else {
      log('Storage: using the configured connection');
    }

    // Meta: without a token, the local sandbox imitates the Graph API and "sends" verification SMS.
    const mounts: Mount[] = [];
    /** A sandbox served under `prefix`, its world kept in `<dataDir>/<name>.json` across restarts. */
    const persistedMount = <TWorld>(
      prefix: string,
      name: string,
      sandbox: { state: { world(): TWorld; restoreWorld(world: TWorld): void }; handle: Mount['handle'] },
      schema: z.ZodType<TWorld>,
    ): Mount => {
      const world = persistWorld({
        file: path.join(dataDir, `${name}.json`),
        schema,
        read: () => sandbox.state.world(),
        restore: (saved) => sandbox.state.restoreWorld(saved),
        log: (line) => log(`[${name}] ${line}`),
      });
      return { prefix, handle: world.wrap((req, res, subPath) => sandbox.handle(req, res, subPath)) };
    };
    // Bound once the host listens: the SMS goes to the host's own Event Grid endpoint.
    const sms: { deliver?: (event: Record<string, unknown>) => void } = {};
    if (!setting(env, 'META_ACCESS_TOKEN')) {
      // Embedded Signup's code exchange needs the app's id and secret: the sandbox plays that app.
      env.META_APP_ID = setting(env, 'META_APP_ID') ?? DEFAULT_SANDBOX_APP_ID;
      env.META_APP_SECRET = setting(env, 'META_APP_SECRET') ?? randomBytes(32).toString('hex');
      const sandbox = createMetaSandbox({
        app: { id: env.META_APP_ID, secret: env.META_APP_SECRET },
        seed: true,
        log: (line) => log(`[meta-sandbox] ${line}`),
        onVerificationCode: (message) => {
          // A VOICE code is spoken, not texted: only SMS codes arrive as SMSReceived events.
          if (message.method === 'SMS') sms.deliver?.(smsReceivedEvent(message.phoneNumber, message.code));
        },
      });
      // Meta keeps its world while this service restarts: so does the sandbox, beside the storage.
      mounts.push(persistedMount(SANDBOX_PREFIX, 'meta-sandbox', sandbox, metaSandboxWorldSchema));
      env.META_GRAPH_URL = `http://127.0.0.1:${port}${SANDBOX_PREFIX}`;
      env.META_ACCESS_TOKEN = SANDBOX_TOKEN;
      log(
        banner([
          'META SANDBOX: META_ACCESS_TOKEN is not set.',
          `Meta Graph calls go to the LOCAL SANDBOX at ${env.META_GRAPH_URL},`,
          'NOT to Meta. Nothing here touches a real WhatsApp Business Account.',
          `Seeded business id: ${SANDBOX_BUSINESS_ID}   WABA id: ${SANDBOX_WABA_ID}`,
          `Verification codes for ACS numbers arrive as SMSReceived events at '${SMS_FUNCTION}'.`,
          `Embedded Signup: POST ${SANDBOX_PREFIX}/_sandbox/embedded-signup plays the popup (app id ${env.META_APP_ID}).`,
          'Set META_ACCESS_TOKEN (and META_GRAPH_URL) to use the real Graph API.',
        ]),
      );
    }

    // ACS: without a connection, the ACS sandbox answers the SMS and channel routes, and each SMS
    // sent with a delivery report comes back as an SMSDeliveryReportReceived event.
    if (!setting(env, 'ACS_CONNECTION_STRING') && !setting(env, 'ACS_ENDPOINT')) {
      const acs = createAcsSandbox({
        log: (line) => log(`[acs-sandbox] ${line}`),
        onSmsSent: (sent) => {
          if (sent.deliveryReport) sms.deliver?.(smsDeliveryReportEvent(sent, sent.deliveryReport));
        },
      });
      mounts.push(persistedMount(ACS_SANDBOX_PREFIX, 'acs-sandbox', acs, acsSandboxWorldSchema));
      env.ACS_CONNECTION_STRING = acsSandboxConnectionString(`http://127.0.0.1:${port}${ACS_SANDBOX_PREFIX}`);
      log(
        `ACS SANDBOX: no ACS_CONNECTION_STRING or ACS_ENDPOINT; SMS and channel calls go to the local sandbox at http://127.0.0.1:${port}${ACS_SANDBOX_PREFIX}`,
      );
    }

    if (!setting(env, 'REGISTRATION_PIN_SECRET')) {
      env.REGISTRATION_PIN_SECRET = randomBytes(32).toString('hex');
      log('REGISTRATION_PIN_SECRET is not set: generated a random one for this process (two-step PINs change on restart).');
    }

    const config = loadConfig(env);
    // docs/design.md §5.1: a developer must know whether the principal header counts.
    log(
      config.auth.trustPrincipalHeader
        ? 'AUTH: X-MS-CLIENT-PRINCIPAL is trusted (AUTH_TRUST_PRINCIPAL_HEADER=true): API calls without a principal answer 401, without the role 403.'
        : banner([
            'AUTH: X-MS-CLIENT-PRINCIPAL is NOT trusted: the header is ignored and EVERY caller',
            'acts as Registrations.Ops with caller id "anonymous" (owner of what it creates).',
            'Set AUTH_TRUST_PRINCIPAL_HEADER=true to identify callers by that header.',
          ]),
    );
    // docs/design.md §8: without a topic, WhatsApp.* events are delivered to the local accountEvents
    // function (parsing, logging and all), as Event Grid would deliver them in Azure.
    const toFunction: { deliver?: (name: string, event: unknown) => Promise<void> } = {};
    const localTopic = config.eventGrid.topicEndpoint
      ? {}
      : {
          accountEventSink: {
            publish: async (events: PublishedEvent[]) => {
              for (const event of events) await toFunction.deliver?.(ACCOUNT_FUNCTION, { specversion: '1.0', datacontenttype: 'application/json', ...event });
            },
          },
        };
    const { functions, shutdown } = createApp(config, { services: localTopic });
    // Cleanups run last first: the host stops taking requests, then what it committed is sent, then storage stops.
    cleanups.push(shutdown);
    const host = await startLocalHost({ functions, port, mounts, log, ...(options.timers === undefined ? {} : { timers: options.timers }) });
    cleanups.push(() => host.close());
    toFunction.deliver = (name, event) => host.runFunction(name, event);

    const smsFunction = functions.find((fn) => fn.kind === 'eventGrid' && fn.name === SMS_FUNCTION);
    sms.deliver = (event) => {
      if (!smsFunction) {
        log(`[meta-sandbox] no '${SMS_FUNCTION}' function: the verification SMS is dropped`);
        return;
      }
      // Like Event Grid, a delivery answered 500 is tried again (a few times, after a pause).
      const attempt = (remaining: number) =>
        setTimeout(
          () => {
            fetch(`${host.url}${EVENT_GRID_WEBHOOK_PATH}?functionName=${SMS_FUNCTION}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
              body: JSON.stringify([event]),
            })
              .then((response) => {
                if (response.status === 202) return;
                log(`[meta-sandbox] SMS delivery to '${SMS_FUNCTION}' answered ${response.status}${remaining > 0 ? '; delivering again' : ''}`);
                if (response.status >= 500 && remaining > 0) attempt(remaining - 1);
              })
              .catch((error: unknown) => log(`[meta-sandbox] SMS delivery to '${SMS_FUNCTION}' failed: ${describeError(error)}`));
          },
          remaining === SANDBOX_SMS_REDELIVERIES ? SANDBOX_SMS_DELAY_MS : SANDBOX_SMS_REDELIVERY_DELAY_MS,
        ).unref();
      attempt(SANDBOX_SMS_REDELIVERIES);
    };

    const base = `http://localhost:${host.port}`;
    log('');
    log('Functions:');
    log('');
    for (const fn of functions) log(describeFunction(fn, base));
    log('');
    log(`Host ready on ${base}`);

    return { url: host.url, port: host.port, runFunction: host.runFunction, close: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

if (require.main === module) {
  runLocalHost(process.env).then(
    (running) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          // A second Ctrl+C means "now".
          process.exit(1);
        }
        stopping = true;
        console.log(`${signal}: stopping the local host...`);
        // close() waits for running invocations; a long reconcile must not hold the terminal hostage.
        setTimeout(() => process.exit(0), 10_000).unref();
        running.close().then(
          () => process.exit(0),
          () => process.exit(0),
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(`The local host did not start: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
