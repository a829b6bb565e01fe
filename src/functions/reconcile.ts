import type { InvocationContext, Timer } from '@azure/functions';
import { contextLogger } from './context-logger';
import type { TimerFunction } from './definitions';
import type { Services } from './services';

/**
 * `reconcile`: webhooks get lost and no webhook exists for a deleted number, so every connected
 * registration is compared with Meta on a schedule. Outgoing events left behind by a crash are
 * published during the same run.
 */
export function reconcileTimer(schedule: string, services: () => Promise<Services>): TimerFunction {
  return {
    kind: 'timer',
    name: 'reconcile',
    schedule,
    handler: async (_timer: Timer, context: InvocationContext) => {
      const log = contextLogger(context);
      const resolved = await services();
      // Side by side: the sweep's reads and writes would otherwise hold back the first Graph call, and
      // a journal row both dispatch is published and counted once (docs/storage.md, Outbox).
      const sweeping = resolved.dispatcher.sweep().catch((error: unknown) => {
        log.warn('Outbox sweep failed; the next run retries', { error: error instanceof Error ? error.message : String(error) });
        return 0;
      });
      await resolved.useCases.reconcileAll(log);
      const swept = await sweeping;
      if (swept > 0) log.info('Published outgoing events left in the outbox', { count: swept });
    },
  };
}
