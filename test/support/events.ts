import { createHmac, randomUUID } from 'node:crypto';
import smsCloudEvent from '../fixtures/sms-received.cloudevent.json';
import smsEventGrid from '../fixtures/sms-received.eventgrid.json';
import deliveryReport from '../fixtures/sms-delivery-report.eventgrid.json';

/** An SMSReceived event in the Event Grid schema, shaped like test/fixtures/sms-received.eventgrid.json. */
export function smsReceived(to: string, message: string, id = `Incoming_${randomUUID()}`) {
  const template = smsEventGrid[0]!;
  return { ...template, id, subject: `/phonenumber/${to.replace(/\D/g, '')}`, data: { ...template.data, messageId: id, to, message } };
}

/** The same as a CloudEvent with PascalCase data keys, as older documentation shows them. */
export function smsReceivedCloudEventPascal(to: string, message: string, id = `Incoming_${randomUUID()}`) {
  return {
    ...smsCloudEvent,
    id,
    data: { MessageId: id, From: '32665', To: to.replace('+', ''), Message: message, ReceivedTimestamp: new Date().toISOString() },
  };
}

export function smsDeliveryReport(to: string, tag: string, deliveryStatus = 'Delivered', id = `Outgoing_${randomUUID()}`) {
  const template = deliveryReport[0]!;
  return { ...template, id, data: { ...template.data, messageId: id, to, from: to, tag, deliveryStatus } };
}

export const whatsAppSms = (code: string) => `Your WhatsApp Business code ${code.slice(0, 3)}-${code.slice(3)}\nDon't share this code with others`;

/** A Meta webhook POST body and its X-Hub-Signature-256, signed over the exact bytes sent. */
export function signedWebhook(envelope: unknown, secret = 'test-app-secret') {
  const body = JSON.stringify(envelope);
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return { body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } };
}

export function webhookEnvelope(wabaId: string, changes: Array<{ field: string; value: Record<string, unknown> }>, time = Math.floor(Date.now() / 1000)) {
  return { object: 'whatsapp_business_account', entry: [{ id: wabaId, time, changes }] };
}
