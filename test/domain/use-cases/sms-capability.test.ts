import type { SmsCapability } from '../../../src/domain/registration';
import { SMS_PROBE_REPORT_TIMEOUT_MS, smsCapabilityAsOf } from '../../../src/domain/use-cases/sms-capability';

const sentAt = '2025-03-01T10:00:00.000Z';
const pending: SmsCapability = {
  send: 'pending',
  checkedAt: sentAt,
  detail: 'Probe sent; waiting for its delivery report',
  probeSentAt: sentAt,
  probeMessageId: 'Outgoing_1',
};
const at = (msAfterSending: number) => new Date(Date.parse(sentAt) + msAfterSending);

describe('smsCapabilityAsOf', () => {
  it('waits 24 hours for the delivery report', () => {
    expect(SMS_PROBE_REPORT_TIMEOUT_MS).toBe(24 * 60 * 60 * 1000);
  });

  it('shows a pending probe as it is until its wait is over, to the millisecond', () => {
    expect(smsCapabilityAsOf(pending, at(0))).toEqual({ send: 'pending', checkedAt: sentAt, detail: pending.detail });
    expect(smsCapabilityAsOf(pending, at(SMS_PROBE_REPORT_TIMEOUT_MS))).toMatchObject({ send: 'pending' });
  });

  it('reads unconfirmed once the wait is over, checked at the deadline, saying why', () => {
    const view = smsCapabilityAsOf(pending, at(SMS_PROBE_REPORT_TIMEOUT_MS + 1));
    expect(view).toEqual({ send: 'unconfirmed', checkedAt: '2025-03-02T10:00:00.000Z', detail: expect.stringContaining('No delivery report within 24 h') });
    expect(view.detail).toContain(sentAt);
    // The same answer however much later it is read.
    expect(smsCapabilityAsOf(pending, at(30 * SMS_PROBE_REPORT_TIMEOUT_MS))).toEqual(view);
  });

  it('leaves every other state alone, whenever it is read', () => {
    for (const send of ['unknown', 'confirmed', 'failed'] as const) {
      const capability = { ...pending, send, detail: 'Delivered' };
      expect(smsCapabilityAsOf(capability, at(10 * SMS_PROBE_REPORT_TIMEOUT_MS))).toEqual({ send, checkedAt: sentAt, detail: 'Delivered' });
    }
  });

  it('leaves a pending capability without a probe time as it is', () => {
    for (const probeSentAt of [null, undefined, 'not a time']) {
      const capability = { ...pending, probeSentAt };
      expect(smsCapabilityAsOf(capability, at(10 * SMS_PROBE_REPORT_TIMEOUT_MS)).send).toBe('pending');
    }
  });
});
