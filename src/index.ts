/**
 * Entry point for the Azure Functions host (package.json "main"). It registers every function from
 * the manifest the build generated out of `createFunctions`' list, and loads the app itself —
 * zod, the SDKs, the handlers — on the first invocation, so a cold start pays only for
 * @azure/functions. Required settings are checked here, at start-up: a missing one stops the app
 * with a message that names it; the full validation runs when the app loads.
 */
import { app, type HttpRequest, type InvocationContext, type Timer } from '@azure/functions';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RECONCILE_SCHEDULE, missingRequiredSettings, unresolvedKeyVaultReferences } from './adapters/required-settings';
import type { FunctionDefinition } from './functions/definitions';
import { MANIFEST_FILE, type ManifestEntry } from './functions/manifest';

const missing = missingRequiredSettings(process.env);
if (missing.length > 0) throw new Error(`Missing required app setting(s): ${missing.join(', ')}`);
const unresolved = unresolvedKeyVaultReferences(process.env);
if (unresolved.length > 0) throw new Error(`Key Vault reference(s) not resolved: ${unresolved.join(', ')}`);

const manifest = JSON.parse(readFileSync(path.join(__dirname, MANIFEST_FILE), 'utf8')) as ManifestEntry[];

let loaded: Promise<Map<string, FunctionDefinition>> | undefined;
function definition(name: string): Promise<FunctionDefinition> {
  loaded ??= import('./app').then(async ({ createFunctions }) => {
    const { loadConfig } = await import('./adapters/config');
    return new Map(createFunctions(loadConfig(process.env)).map((fn) => [fn.name, fn]));
  });
  return loaded.then((functions) => {
    const found = functions.get(name);
    if (!found) throw new Error(`Function ${name} is in the manifest but not in the app: rebuild.`);
    return found;
  });
}

for (const entry of manifest) {
  switch (entry.kind) {
    case 'http':
      app.http(entry.name, {
        methods: entry.methods as never,
        route: entry.route,
        authLevel: entry.authLevel,
        handler: async (request: HttpRequest, context: InvocationContext) => {
          const fn = await definition(entry.name);
          if (fn.kind !== 'http') throw new Error(`${entry.name} is not an HTTP function`);
          return fn.handler(request, context);
        },
      });
      break;
    case 'eventGrid':
      app.eventGrid(entry.name, {
        handler: async (event, context) => {
          const fn = await definition(entry.name);
          if (fn.kind !== 'eventGrid') throw new Error(`${entry.name} is not an Event Grid function`);
          return fn.handler(event, context);
        },
      });
      break;
    case 'timer':
      app.timer(entry.name, {
        schedule: process.env.RECONCILE_SCHEDULE?.trim() || DEFAULT_RECONCILE_SCHEDULE,
        handler: async (timer: Timer, context: InvocationContext) => {
          const fn = await definition(entry.name);
          if (fn.kind !== 'timer') throw new Error(`${entry.name} is not a timer function`);
          return fn.handler(timer, context);
        },
      });
      break;
  }
}
