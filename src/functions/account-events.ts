import { WHATSAPP_EVENT_TYPES } from '../domain/meta-webhook';
import type { EventFunctionSpec } from './events/event-function';
import type { Services } from './services';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `accountEvents`: WhatsApp account-change CloudEvents published by the Meta webhook function. */
export const accountEvents: EventFunctionSpec<Services> = {
  name: 'accountEvents',
  handle: async (event, { useCases }, log) => {
    if (!(WHATSAPP_EVENT_TYPES as readonly string[]).includes(event.type)) {
      return log.info('Event type not handled here', { eventId: event.id, type: event.type });
    }
    if (!isRecord(event.data)) return log.warn('Account event without data dropped', { eventId: event.id });
    const result = await useCases.applyAccountEvent({ id: event.id, type: event.type, data: event.data }, { cause: 'account-event', eventId: event.id, log });
    log.info('Account event handled', { eventId: event.id, type: event.type, ...result });
  },
};
