import * as commands from '../../src/domain/commands';
import { newRegistration, type ChangeContext, type Registration } from '../../src/domain/registration';

/* A request Meta refused as malformed waits, growing and capped; a restored subscription is history with from = to. */

const t0 = Date.parse('2026-11-01T10:00:00.000Z');
const HOUR = 60 * 60_000;
const ctx = (offsetMs = 0): ChangeContext => ({ cause: 'reconcile', at: new Date(t0 + offsetMs).toISOString() });
const connected = (): Registration => ({
  ...newRegistration({ id: 'r1', phoneNumber: '+14255550123', phoneNumberSource: 'acs', at: ctx().at }),
  stage: 'Connected',
  status: 'Active',
  whatsAppBusinessAccountId: '200',
});
const refusal = { operation: 'read WABA', code: 100 };

describe('a refusal of our request as malformed', () => {
  it('waits 1 h, then twice as long after each refusal in a row, never more than 24 h', () => {
    let registration = connected();
    const waits: number[] = [];
    for (let n = 0; n < 8; n += 1) {
      const at = t0 + n * 30 * HOUR;
      registration = commands.recordMetaRefused(registration, refusal, ctx(at - t0)).next;
      waits.push((Date.parse(registration.metaRefusal!.notBefore) - at) / HOUR);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 24, 24, 24]);
    expect(registration.metaRefusal).toMatchObject({ operation: 'read WABA', code: 100, subcode: null, count: 8, since: ctx().at });
  });

  it('moves neither stage nor status and writes no history', () => {
    const change = commands.recordMetaRefused(connected(), refusal, ctx());
    expect(change.history).toEqual([]);
    expect(change.next).toMatchObject({ stage: 'Connected', status: 'Active' });
  });

  it('holds automatic retries off until its time, and a success clears it', () => {
    const refused = commands.recordMetaRefused(connected(), refusal, ctx()).next;
    expect(commands.heldOffByRefusal(refused, new Date(t0 + HOUR - 1))).toBe(true);
    expect(commands.heldOffByRefusal(refused, new Date(t0 + HOUR))).toBe(false);
    expect(commands.clearMetaRefusal(refused).next.metaRefusal).toBeNull();
    const untouched = connected();
    expect(commands.clearMetaRefusal(untouched).next).toBe(untouched);
  });
});

describe('a restored subscription', () => {
  it('is one history entry with from = to, cause and detail saying what happened', () => {
    const registration = connected();
    const change = commands.recordSubscriptionRestored(registration, ctx(5));
    expect(change.history).toEqual([
      {
        at: ctx(5).at,
        from: { stage: 'Connected', status: 'Active' },
        to: { stage: 'Connected', status: 'Active' },
        cause: 'reconcile',
        actor: 'system',
        detail: expect.stringMatching(/Subscription of this app to WABA 200 restored/),
      },
    ]);
    expect(change.next).not.toBe(registration);
  });

  it('is not recorded before Connected (no webhooks are expected yet)', () => {
    const registration = { ...connected(), stage: 'CodeVerified' as const, status: null };
    expect(commands.recordSubscriptionRestored(registration, ctx()).history).toEqual([]);
  });
});
