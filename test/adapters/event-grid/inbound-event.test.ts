import smsDeliveryReport from '../../fixtures/sms-delivery-report.eventgrid.json';
import smsReceivedCloudEvent from '../../fixtures/sms-received.cloudevent.json';
import smsReceivedEventGrid from '../../fixtures/sms-received.eventgrid.json';
import subscriptionValidation from '../../fixtures/subscription-validation.eventgrid.json';
import { parseInboundEvent, type InboundEvent } from '../../../src/adapters/event-grid/inbound-event';

const ACS_TOPIC =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-contoso/providers/microsoft.communication/communicationservices/acs-contoso';

function parsed(raw: unknown): InboundEvent {
  const result = parseInboundEvent(raw);
  if (!result.ok) throw new Error(`expected a valid event, got: ${result.reason}`);
  return result.event;
}

function reason(raw: unknown): string {
  const result = parseInboundEvent(raw);
  if (result.ok) throw new Error('expected the event to be rejected');
  return result.reason;
}

describe('parseInboundEvent, Event Grid schema', () => {
  it('reads an SMSReceived event', () => {
    expect(parsed(smsReceivedEventGrid[0])).toEqual({
      id: 'Incoming_20261102093015a1b2c3d4-0000-4000-8000-000000000001',
      type: 'Microsoft.Communication.SMSReceived',
      source: ACS_TOPIC,
      subject: '/phonenumber/14255550100',
      time: '2026-11-02T09:30:16.000Z',
      data: smsReceivedEventGrid[0]!.data,
      schema: 'EventGrid',
    });
  });

  it('reads a delivery report and a subscription validation event (empty subject kept)', () => {
    expect(parsed(smsDeliveryReport[0])).toMatchObject({ type: 'Microsoft.Communication.SMSDeliveryReportReceived', schema: 'EventGrid' });
    expect(parsed(subscriptionValidation[0])).toMatchObject({
      type: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      subject: '',
      data: { validationCode: '9f8e7d6c-5b4a-4321-8fed-cba987654321' },
    });
  });

  it('normalises a 7-digit fraction of a second and tolerates a missing topic, subject and time', () => {
    const event = parsed({ id: 'a', eventType: 'X', eventTime: '2026-11-02T09:30:16.1234567Z', data: {} });
    expect(event.time).toBe('2026-11-02T09:30:16.123Z');
    expect(parsed({ id: 'a', eventType: 'X', data: { n: 1 } })).toEqual({
      id: 'a',
      type: 'X',
      source: '',
      subject: null,
      time: null,
      data: { n: 1 },
      schema: 'EventGrid',
    });
  });

  it('lets unknown fields pass', () => {
    expect(parsed({ ...smsReceivedEventGrid[0], somethingNew: { a: 1 } }).id).toBe(smsReceivedEventGrid[0]!.id);
  });

  it.each([
    ['a missing id', { eventType: 'X', data: {} }, /^Event Grid event: id: /],
    ['an empty id', { id: '  ', eventType: 'X', data: {} }, /id: must not be empty/],
    ['a numeric id', { id: 7, eventType: 'X', data: {} }, /id: /],
    ['an empty eventType', { id: 'a', eventType: '', data: {} }, /eventType: must not be empty/],
    ['a non-string subject', { id: 'a', eventType: 'X', subject: 5, data: {} }, /subject: /],
    ['an invalid eventTime', { id: 'a', eventType: 'X', eventTime: 'yesterday', data: {} }, /eventTime: is not a date-time/],
  ])('rejects %s', (_label, raw, expected) => {
    expect(reason(raw)).toMatch(expected);
  });
});

describe('parseInboundEvent, CloudEvents 1.0', () => {
  it('reads an SMSReceived CloudEvent', () => {
    expect(parsed(smsReceivedCloudEvent)).toEqual({
      id: 'Incoming_20261102094500e5f6a7b8-0000-4000-8000-000000000002',
      type: 'Microsoft.Communication.SMSReceived',
      source: ACS_TOPIC,
      subject: '/phonenumber/14255550101',
      time: '2026-11-02T09:45:01.000Z',
      data: smsReceivedCloudEvent.data,
      schema: 'CloudEvents',
    });
  });

  it('tolerates a missing subject, time and data', () => {
    expect(parsed({ specversion: '1.0', id: 'e1', source: '/s', type: 'T' })).toEqual({
      id: 'e1',
      type: 'T',
      source: '/s',
      subject: null,
      time: null,
      data: null,
      schema: 'CloudEvents',
    });
  });

  it('decodes data_base64 holding JSON', () => {
    const data = { to: '+14255550100', message: 'WhatsApp code 123-456' };
    const event = parsed({
      specversion: '1.0',
      id: 'e2',
      source: '/s',
      type: 'T',
      datacontenttype: 'application/json',
      data_base64: Buffer.from(JSON.stringify(data)).toString('base64'),
    });
    expect(event.data).toEqual(data);
    expect(parsed({ specversion: '1.0', id: 'e3', source: '/s', type: 'T', data_base64: Buffer.from('{"a":1}').toString('base64') }).data).toEqual({ a: 1 });
  });

  it('keeps binary or non-JSON data_base64 as bytes', () => {
    const binary = parsed({ specversion: '1.0', id: 'e4', source: '/s', type: 'T', datacontenttype: 'application/octet-stream', data_base64: 'AAEC/w==' });
    expect(Buffer.isBuffer(binary.data)).toBe(true);
    expect([...(binary.data as Buffer)]).toEqual([0, 1, 2, 255]);
    const notJson = parsed({ specversion: '1.0', id: 'e5', source: '/s', type: 'T', data_base64: Buffer.from('not json').toString('base64') });
    expect((notJson.data as Buffer).toString('utf8')).toBe('not json');
  });

  it('prefers data when a producer sends data and data_base64', () => {
    expect(parsed({ specversion: '1.0', id: 'e6', source: '/s', type: 'T', data: { a: 1 }, data_base64: 'e30=' }).data).toEqual({ a: 1 });
  });

  it('takes specversion over eventType when both appear', () => {
    expect(parsed({ specversion: '1.0', id: 'e7', source: '/s', type: 'T', eventType: 'Other' }).schema).toBe('CloudEvents');
  });

  it.each([
    ['another specversion', { specversion: '0.3', id: 'e', source: '/s', type: 'T' }, /specversion: must be "1.0"/],
    ['a missing source', { specversion: '1.0', id: 'e', type: 'T' }, /^CloudEvent: source: /],
    ['a missing type', { specversion: '1.0', id: 'e', source: '/s' }, /type: /],
    ['an empty id', { specversion: '1.0', id: '', source: '/s', type: 'T' }, /id: must not be empty/],
    ['an invalid time', { specversion: '1.0', id: 'e', source: '/s', type: 'T', time: 'soon' }, /time: is not a date-time/],
    ['invalid base64', { specversion: '1.0', id: 'e', source: '/s', type: 'T', data_base64: 'no!base64' }, /data_base64: is not base64/],
  ])('rejects %s', (_label, raw, expected) => {
    expect(reason(raw)).toMatch(expected);
  });
});

describe('parseInboundEvent, neither schema', () => {
  it.each([null, undefined, 'text', 42, [smsReceivedEventGrid[0]]])('rejects %p', (raw) => {
    expect(reason(raw)).toBe('an event must be a JSON object');
  });

  it('rejects an object of no known schema', () => {
    expect(reason({ id: 'a', type: 'T', source: '/s' })).toMatch(/neither a CloudEvent/);
  });
});
