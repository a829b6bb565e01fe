/**
 * Entry point for the Azure Functions host (package.json "main"). Configuration is validated
 * here, at start-up: a missing required setting stops the app with a message that names it.
 */
import { app } from '@azure/functions';
import { loadConfig } from './adapters/config';
import { createFunctions } from './app';

for (const definition of createFunctions(loadConfig(process.env))) {
  switch (definition.kind) {
    case 'http':
      app.http(definition.name, { methods: definition.methods, route: definition.route, authLevel: definition.authLevel, handler: definition.handler });
      break;
    case 'eventGrid':
      app.eventGrid(definition.name, { handler: (event, context) => definition.handler(event, context) });
      break;
    case 'timer':
      app.timer(definition.name, { schedule: definition.schedule, handler: definition.handler });
      break;
  }
}
