import type { InvocationContext, Timer } from '@azure/functions';
import { contextLogger } from './context-logger';
import type { TimerFunction } from './definitions';
import type { Services } from './services';

/**
 * `reconcile`: webhooks get lost and no webhook exists for a deleted number, so every connected
 * registration is compared with Meta on a schedule. Outgoing events left behind by a crash are
 * published first.
 */
export function reconcileTimer(schedule: string, services: () => Promise<Services>): TimerFunction {
  return {
    kind: 'timer',
    name: 'reconcile',
    schedule,
    handler: async (_timer: Timer, context: InvocationContext) => {
      const log = contextLogger(context);
      const resolved = await services();
      const swept = await resolved.dispatcher.sweep().catch((error: unknown) => {
        log.warn('Outbox sweep failed; the next run retries', { error: error instanceof Error ? error.message : String(error) });
        return 0;
      });
      if (swept > 0) log.info('Published outgoing events left in the outbox', { count: swept });
      await resolved.useCases.reconcileAll(log);
    },
  };
}
