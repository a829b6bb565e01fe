import type { InvocationContext } from '@azure/functions';
import { parseInboundEvent, type InboundEvent } from '../../adapters/event-grid/inbound-event';
import { DomainError } from '../../domain/errors';
import { exceedsJsonDepth } from '../../domain/json-depth';
import type { Logger } from '../../domain/ports';
import { contextLogger } from '../context-logger';
import type { EventGridFunction } from '../definitions';

export interface EventFunctionSpec<TServices> {
  name: string;
  handle: (event: InboundEvent, services: TServices, log: Logger) => Promise<void>;
}

/**
 * Event Grid semantics in one place: a malformed event, or one a rule refuses, is logged and
 * acknowledged (Event Grid would otherwise retry it for a day); anything else — storage or Meta
 * down — throws, so the host answers 500 and Event Grid redelivers.
 */
export function toEventGridFunction<TServices>(spec: EventFunctionSpec<TServices>, services: () => Promise<TServices>): EventGridFunction {
  return {
    kind: 'eventGrid',
    name: spec.name,
    handler: async (raw: unknown, context: InvocationContext) => {
      const log = contextLogger(context);
      // The host parsed the delivery; a value nested this deep is malformed, whatever it claims to be.
      const parsed = exceedsJsonDepth(raw) ? ({ ok: false, reason: 'nested too deeply' } as const) : parseInboundEvent(raw);
      if (!parsed.ok) {
        log.warn('Malformed event dropped', { function: spec.name, reason: parsed.reason });
        return;
      }
      try {
        await spec.handle(parsed.event, await services(), log);
      } catch (error) {
        if (error instanceof DomainError && !error.transient) {
          // Meta's own words when it refused our request as malformed (redacted by the Graph client).
          const meta = error.code === 'meta-request-refused' && error.extra.cause instanceof Error ? { meta: error.extra.cause.message } : {};
          log.warn('Event refused and dropped', { function: spec.name, eventId: parsed.event.id, code: error.code, detail: error.message, ...meta });
          return;
        }
        log.error('Event failed; Event Grid will redeliver it', {
          function: spec.name,
          eventId: parsed.event.id,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        throw error;
      }
    },
  };
}
