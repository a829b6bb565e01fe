/**
 * Entry point for the Azure Functions host (package.json "main"). It registers every function from
 * the manifest the build generated out of `createFunctions`' list, and loads the app itself —
 * zod, the SDKs, the handlers — on the first invocation, so a cold start pays only for
 * @azure/functions. Required settings are checked here, at start-up, without stopping anything:
 * a host that indexes no function cannot have Event Grid subscriptions created for it, and Key
 * Vault references take minutes to resolve on a new app (docs/design.md §7). So a problem is
 * logged by name, health answers 503 naming it, and every other function fails with it.
 */
import { app, type HttpRequest, type InvocationContext, type Timer } from '@azure/functions';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { processLogger } from './adapters/process-logger';
import { reconcileScheduleOf, settingsProblem } from './adapters/required-settings';
import type { FunctionDefinition } from './functions/definitions';
import { MANIFEST_FILE, type ManifestEntry } from './functions/manifest';

const startupProblem = settingsProblem(process.env);
if (startupProblem) processLogger.error(`Functions registered, but every invocation will fail until this is fixed. ${startupProblem}`);

const manifest = JSON.parse(readFileSync(path.join(__dirname, MANIFEST_FILE), 'utf8')) as ManifestEntry[];

type Loaded = { functions: Map<string, FunctionDefinition>; shutdown: () => Promise<void> } | { problem: string };

let loaded: Promise<Loaded> | undefined;
function loadApp(): Promise<Loaded> {
  if (loaded) return loaded;
  loaded = startupProblem
    ? Promise.resolve({ problem: startupProblem })
    : Promise.all([import('./app'), import('./adapters/config')]).then(([{ createApp }, { loadConfig, ConfigError }]) => {
        try {
          const created = createApp(loadConfig(process.env));
          return { functions: new Map(created.functions.map((fn) => [fn.name, fn])), shutdown: created.shutdown };
        } catch (error) {
          // A setting that is present but invalid is a configuration problem too, reported the same way.
          if (error instanceof ConfigError) return { problem: error.message };
          throw error;
        }
      });
  // Anything else (a module that failed to load) is not kept: the next invocation tries again.
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}

async function definition<K extends FunctionDefinition['kind']>(
  name: string,
  kind: K,
  context: InvocationContext,
): Promise<Extract<FunctionDefinition, { kind: K }> | { problem: string }> {
  const result = await loadApp();
  if ('problem' in result) {
    context.error(result.problem);
    return result;
  }
  const found = result.functions.get(name);
  if (!found) throw new Error(`Function ${name} is in the manifest but not in the app: rebuild.`);
  if (found.kind !== kind) throw new Error(`${name} is not a ${kind} function`);
  return found as Extract<FunctionDefinition, { kind: K }>;
}

async function failUnconfigured(problem: string): Promise<never> {
  const { UnconfiguredError } = await import('./functions/unconfigured');
  throw new UnconfiguredError(problem);
}

// A host that stops (recycled, scaled in) first sends the events this worker committed, instead of
// leaving them to the reconcile timer's sweep. A worker that never loaded the app has nothing to send.
app.hook.appTerminate(async () => {
  const result = await loaded?.catch(() => undefined);
  if (result && 'shutdown' in result) await result.shutdown();
});

for (const entry of manifest) {
  switch (entry.kind) {
    case 'http':
      app.http(entry.name, {
        methods: entry.methods as never,
        route: entry.route,
        authLevel: entry.authLevel,
        handler: async (request: HttpRequest, context: InvocationContext) => {
          const fn = await definition(entry.name, 'http', context);
          if ('problem' in fn) return (await import('./functions/unconfigured')).unconfiguredResponse(entry.name, fn.problem);
          return fn.handler(request, context);
        },
      });
      break;
    case 'eventGrid':
      app.eventGrid(entry.name, {
        handler: async (event, context) => {
          const fn = await definition(entry.name, 'eventGrid', context);
          if ('problem' in fn) return failUnconfigured(fn.problem);
          return fn.handler(event, context);
        },
      });
      break;
    case 'timer':
      app.timer(entry.name, {
        schedule: reconcileScheduleOf(process.env),
        handler: async (timer: Timer, context: InvocationContext) => {
          const fn = await definition(entry.name, 'timer', context);
          if ('problem' in fn) return failUnconfigured(fn.problem);
          return fn.handler(timer, context);
        },
      });
      break;
  }
}
