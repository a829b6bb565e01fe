import smsDeliveryReport from '../../fixtures/sms-delivery-report.eventgrid.json';
import smsReceivedCloudEvent from '../../fixtures/sms-received.cloudevent.json';
import smsReceivedEventGrid from '../../fixtures/sms-received.eventgrid.json';
import { parseInboundEvent } from '../../../src/adapters/event-grid/inbound-event';
import {
  readSmsDeliveryReport,
  readSmsReceived,
  SMS_DELIVERY_REPORT_RECEIVED_EVENT,
  SMS_RECEIVED_EVENT,
  type SmsReadResult,
} from '../../../src/adapters/event-grid/sms-events';

function value<T>(result: SmsReadResult<T>): T {
  if (!result.ok) throw new Error(`expected valid data, got: ${result.reason}`);
  return result.value;
}

function reason<T>(result: SmsReadResult<T>): string {
  if (result.ok) throw new Error('expected the data to be rejected');
  return result.reason;
}

const received = smsReceivedEventGrid[0]!.data;
const report = smsDeliveryReport[0]!.data;

describe('readSmsReceived', () => {
  it('reads the Event Grid fixture, adding the + to a bare short code only when it is a phone number', () => {
    expect(smsReceivedEventGrid[0]!.eventType).toBe(SMS_RECEIVED_EVENT);
    expect(value(readSmsReceived(received))).toEqual({
      messageId: 'Incoming_20261102093015a1b2c3d4-0000-4000-8000-000000000001',
      from: '32665',
      to: '+14255550100',
      message: 'WhatsApp code 482-913',
      receivedTimestamp: '2026-11-02T09:30:15.120Z',
    });
  });

  it('reads the CloudEvent fixture through parseInboundEvent, normalising a `to` without +', () => {
    const event = parseInboundEvent(smsReceivedCloudEvent);
    if (!event.ok) throw new Error(event.reason);
    expect(value(readSmsReceived(event.event.data))).toMatchObject({ from: '+32665', to: '+14255550101', message: expect.stringContaining('730-118') });
  });

  it('reads PascalCase and upper-case keys', () => {
    const pascal = {
      MessageId: 'm1',
      From: '+14255550199',
      To: '14255550100',
      Message: 'WhatsApp code 111-222',
      ReceivedTimestamp: '2026-11-02T09:30:15Z',
      SegmentCount: 1,
    };
    expect(value(readSmsReceived(pascal))).toEqual({
      messageId: 'm1',
      from: '+14255550199',
      to: '+14255550100',
      message: 'WhatsApp code 111-222',
      receivedTimestamp: '2026-11-02T09:30:15Z',
    });
    expect(value(readSmsReceived({ MESSAGEID: 'm2', FROM: '32665', TO: '+1 (425) 555-0100', MESSAGE: 'x' })).to).toBe('+14255550100');
  });

  it('prefers the exact key when a payload has two spellings', () => {
    expect(value(readSmsReceived({ ...received, To: '+4930123456' })).to).toBe('+14255550100');
  });

  it('normalises numbers with and without +', () => {
    expect(value(readSmsReceived({ ...received, to: '14255550100' })).to).toBe('+14255550100');
    expect(value(readSmsReceived({ ...received, to: '+14255550100' })).to).toBe('+14255550100');
    expect(value(readSmsReceived({ ...received, from: '4930123456' })).from).toBe('+4930123456');
    expect(value(readSmsReceived({ ...received, from: ' Contoso ' })).from).toBe('Contoso');
  });

  it('accepts an empty message and a missing or odd receivedTimestamp, and lets unknown fields pass', () => {
    expect(value(readSmsReceived({ ...received, message: '' })).message).toBe('');
    const { receivedTimestamp: _omitted, ...withoutTimestamp } = received;
    expect(value(readSmsReceived(withoutTimestamp)).receivedTimestamp).toBeNull();
    expect(value(readSmsReceived({ ...received, receivedTimestamp: 12345 })).receivedTimestamp).toBeNull();
    expect(value(readSmsReceived({ ...received, brandNew: { x: 1 } })).messageId).toBe(received.messageId);
  });

  it.each([
    ['data that is not an object', 'text', /data must be an object/],
    ['an array', [received], /data must be an object/],
    ['null', null, /data must be an object/],
    ['a missing to', { ...received, to: undefined }, /to is missing/],
    ['a numeric to', { ...received, to: 14255550100 }, /to must be a string/],
    ['a to that is not a number', { ...received, to: 'call me 14255550100' }, /to is not a phone number/],
    ['a too short to', { ...received, to: '+1425' }, /to is not a phone number/],
    ['a message that is not a string', { ...received, message: { text: 'hi' } }, /message must be a string/],
    ['a missing message', { ...received, message: undefined }, /message is missing/],
    ['a missing messageId', { ...received, messageId: undefined }, /messageId is missing/],
    ['an empty from', { ...received, from: '' }, /from must not be empty/],
  ])('rejects %s with a reason', (_label, data, expected) => {
    const text = reason(readSmsReceived(data));
    expect(text).toMatch(/^SMSReceived: /);
    expect(text).toMatch(expected);
  });

  it('names several problems at once', () => {
    expect(reason(readSmsReceived({ messageId: 'm' }))).toBe('SMSReceived: from is missing; to is missing; message is missing');
  });
});

describe('readSmsDeliveryReport', () => {
  it('reads the fixture, normalising a `from` without +', () => {
    expect(smsDeliveryReport[0]!.eventType).toBe(SMS_DELIVERY_REPORT_RECEIVED_EVENT);
    expect(value(readSmsDeliveryReport(report))).toEqual({
      messageId: 'Outgoing_20261102100211c9d0e1f2-0000-4000-8000-000000000003',
      from: '+14255550100',
      to: '+14255550100',
      deliveryStatus: 'Delivered',
      deliveryStatusDetails: 'No error.',
      receivedTimestamp: '2026-11-02T10:02:14.402Z',
      tag: 'sms-probe:REGISTRATION_ID',
    });
  });

  it('reads PascalCase keys', () => {
    const pascal = {
      MessageId: 'o1',
      From: '+14255550100',
      To: '4930123456',
      DeliveryStatus: 'Failed',
      DeliveryStatusDetails: 'Carrier rejected',
      DeliveryAttempts: [],
      ReceivedTimestamp: '2026-11-02T10:02:14Z',
      Tag: 'sms-probe:abc',
    };
    expect(value(readSmsDeliveryReport(pascal))).toEqual({
      messageId: 'o1',
      from: '+14255550100',
      to: '+4930123456',
      deliveryStatus: 'Failed',
      deliveryStatusDetails: 'Carrier rejected',
      receivedTimestamp: '2026-11-02T10:02:14Z',
      tag: 'sms-probe:abc',
    });
  });

  it('reads a missing tag and details as null', () => {
    const { tag: _tag, deliveryStatusDetails: _details, ...rest } = report;
    expect(value(readSmsDeliveryReport(rest))).toMatchObject({ tag: null, deliveryStatusDetails: null });
  });

  it.each([
    ['a missing to', { ...report, to: undefined }, /to is missing/],
    ['a missing deliveryStatus', { ...report, deliveryStatus: undefined }, /deliveryStatus is missing/],
    ['an empty deliveryStatus', { ...report, deliveryStatus: ' ' }, /deliveryStatus must not be empty/],
    ['a to that is not a number', { ...report, to: 'nobody' }, /to is not a phone number/],
  ])('rejects %s with a reason', (_label, data, expected) => {
    const text = reason(readSmsDeliveryReport(data));
    expect(text).toMatch(/^SMSDeliveryReportReceived: /);
    expect(text).toMatch(expected);
  });
});
