import type { HttpHandler, HttpMethod, InvocationContext, Timer } from '@azure/functions';

/**
 * One entry per Azure Function. `src/app.ts` lists them once; the Azure Functions host registers
 * them through `@azure/functions` and the local host (src/local) serves the same list.
 */
export interface HttpFunction {
  kind: 'http';
  name: string;
  methods: HttpMethod[];
  /** Functions route template under `/api`, e.g. `registrations/{id}`. */
  route: string;
  authLevel: 'anonymous' | 'function' | 'admin';
  handler: HttpHandler;
}

/** Receives one event as delivered: an Event Grid schema event or a CloudEvents 1.0 event. */
export interface EventGridFunction {
  kind: 'eventGrid';
  name: string;
  handler: (event: unknown, context: InvocationContext) => Promise<void>;
}

export interface TimerFunction {
  kind: 'timer';
  name: string;
  /** Six-field NCRONTAB. */
  schedule: string;
  handler: (timer: Timer, context: InvocationContext) => Promise<void>;
}

export type FunctionDefinition = HttpFunction | EventGridFunction | TimerFunction;
