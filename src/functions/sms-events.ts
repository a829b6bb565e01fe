import { readSmsDeliveryReport, readSmsReceived, SMS_DELIVERY_REPORT_RECEIVED_EVENT, SMS_RECEIVED_EVENT } from '../adapters/event-grid/sms-events';
import { maskPhoneNumber } from '../domain/phone-number';
import type { EventFunctionSpec } from './events/event-function';
import type { Services } from './services';

/** `smsEvents`: the ACS resource's SMS events (Event Grid system topic). */
export const smsEvents: EventFunctionSpec<Services> = {
  name: 'smsEvents',
  handle: async (event, { useCases }, log) => {
    if (event.type === SMS_RECEIVED_EVENT) {
      const sms = readSmsReceived(event.data);
      if (!sms.ok) return log.warn('Malformed SMSReceived dropped', { eventId: event.id, reason: sms.reason });
      const outcome = await useCases.handleSmsReceived(sms.value, { cause: 'sms', eventId: event.id, log });
      log.info('SMSReceived handled', { eventId: event.id, to: maskPhoneNumber(sms.value.to), outcome });
    } else if (event.type === SMS_DELIVERY_REPORT_RECEIVED_EVENT) {
      const report = readSmsDeliveryReport(event.data);
      if (!report.ok) return log.warn('Malformed SMSDeliveryReportReceived dropped', { eventId: event.id, reason: report.reason });
      const outcome = await useCases.handleSmsDeliveryReport(report.value, { cause: 'sms-delivery', eventId: event.id, log });
      log.info('SMS delivery report handled', { eventId: event.id, to: maskPhoneNumber(report.value.to), status: report.value.deliveryStatus, outcome });
    } else {
      log.info('Event type not handled here', { eventId: event.id, type: event.type });
    }
  },
};
