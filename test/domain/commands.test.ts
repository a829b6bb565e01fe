import { metaPhoneNumber } from '../support/meta';
import * as commands from '../../src/domain/commands';
import { DomainError } from '../../src/domain/errors';
import type { MetaWaba } from '../../src/domain/meta';
import { newRegistration, type ChangeContext, type Registration } from '../../src/domain/registration';

const t0 = Date.parse('2026-11-01T10:00:00.000Z');
const ctx = (offsetSeconds = 0): ChangeContext => ({
  cause: 'api',
  at: new Date(t0 + offsetSeconds * 1000).toISOString(),
  eventId: 'req-1',
  actor: 'client-app-1',
});
const fresh = (): Registration => newRegistration({ id: 'r1', phoneNumber: '+14255550123', phoneNumberSource: 'acs', at: ctx().at });

const profile = {
  whatsAppBusinessAccountId: '200',
  displayName: 'Contoso',
  profile: {},
  phoneNumberId: '300',
  facts: {},
  messagingLimit: null,
  qualityRating: null,
};

function toCodeRequested(): Registration {
  let registration = commands.selectBusinessAccount(fresh(), { id: '100', name: 'Contoso' }, ctx()).next;
  registration = commands.selectProfile(registration, profile, ctx()).next;
  return commands.recordCodeRequested(registration, { method: 'SMS', language: 'en_US' }, ctx()).next;
}

function toConnected(displayName: 'Approved' | 'Pending' = 'Pending'): Registration {
  let registration = commands.recordCodeVerified(toCodeRequested(), ctx(1)).next;
  registration = commands.recordRegisteredWithMeta(registration, ctx(2)).next;
  return commands.recordConnected(
    registration,
    { facts: { displayName: { value: displayName, at: ctx(2).at } }, messagingLimit: 'TIER_250', qualityRating: 'GREEN' },
    ctx(3),
  ).next;
}

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not-a-domain-error';
  }
};

describe('registration commands', () => {
  it('walks the happy path to Connected with one history entry per move', () => {
    const start = fresh();
    const business = commands.selectBusinessAccount(start, { id: '100', name: 'Contoso' }, ctx());
    expect(business.next.stage).toBe('BusinessAccountSelected');
    expect(business.history).toEqual([
      {
        at: ctx().at,
        from: { stage: 'SignupStarted', status: null },
        to: { stage: 'BusinessAccountSelected', status: null },
        cause: 'api',
        eventId: 'req-1',
        actor: 'client-app-1',
        detail: expect.any(String),
      },
    ]);
    const connected = toConnected();
    expect(connected.stage).toBe('Connected');
    expect(connected.status).toBe('DisplayNameReviewPending');
    expect(connected.messagingLimit).toBe('TIER_250');
  });

  it('refuses to skip stages', () => {
    expect(codeOf(() => commands.selectProfile(fresh(), profile, ctx()))).toBe('invalid-transition');
    expect(codeOf(() => commands.recordCodeRequested(fresh(), { method: 'SMS', language: 'en_US' }, ctx()))).toBe('invalid-transition');
    expect(codeOf(() => commands.recordCodeVerified(fresh(), ctx()))).toBe('invalid-transition');
    expect(codeOf(() => commands.disconnect(fresh(), ctx()))).toBe('invalid-transition');
  });

  it('allows selecting the business again before a code is requested, not after', () => {
    let registration = commands.selectBusinessAccount(fresh(), { id: '100', name: 'A' }, ctx()).next;
    registration = commands.selectProfile(registration, profile, ctx()).next;
    const again = commands.selectBusinessAccount(registration, { id: '101', name: 'B' }, ctx());
    expect(again.next.stage).toBe('BusinessAccountSelected');
    expect(again.next.whatsAppBusinessAccountId).toBeNull();
    expect(codeOf(() => commands.selectBusinessAccount(toCodeRequested(), { id: '101', name: 'B' }, ctx()))).toBe('invalid-transition');
  });

  it('enforces a growing resend cooldown', () => {
    const requested = toCodeRequested();
    expect(commands.codeRequestCooldown(requested, new Date(t0 + 10_000))).toBe(50);
    expect(codeOf(() => commands.recordCodeRequested(requested, { method: 'VOICE', language: 'en_US' }, ctx(30)))).toBe('verification-cooldown');
    const second = commands.recordCodeRequested(requested, { method: 'VOICE', language: 'en_US' }, ctx(61)).next;
    expect(second.verification).toMatchObject({ method: 'VOICE', attempts: 2 });
    expect(commands.codeRequestCooldown(second, new Date(t0 + 61_000 + 60_000))).toBe(60);
  });

  it('disconnects sticky and reconnects only from the reconnectable statuses', () => {
    const connected = toConnected('Approved');
    expect(connected.status).toBe('Active');
    expect(codeOf(() => commands.reconnect(connected, '300', ctx(4)))).toBe('invalid-transition');
    const disconnected = commands.disconnect(connected, ctx(4)).next;
    expect(disconnected.status).toBe('Disconnected');
    // A newer, good observation does not lift a disconnect: only reconnect does.
    const observed = commands.applyObservation(disconnected, { facts: { displayName: { value: 'Approved', at: ctx(9).at } } }, ctx(9), 'x').next;
    expect(observed.status).toBe('Disconnected');
    const reconnected = commands.reconnect(observed, '301', ctx(10));
    expect(reconnected.next).toMatchObject({ stage: 'ProfileSelected', status: null, phoneNumberId: '301', facts: {} });
    expect(reconnected.history[0]).toMatchObject({ from: { stage: 'Connected', status: 'Disconnected' }, to: { stage: 'ProfileSelected', status: null } });
  });

  it('ignores an observation older than the fact already known', () => {
    const connected = toConnected('Approved');
    const rejected = commands.applyObservation(connected, { facts: { displayName: { value: 'Rejected', at: ctx(20).at } } }, ctx(20), 'x').next;
    expect(rejected.status).toBe('DisplayNameReviewRejected');
    const stale = commands.applyObservation(rejected, { facts: { displayName: { value: 'Approved', at: ctx(10).at } } }, ctx(21), 'x');
    expect(stale.next).toBe(rejected);
    expect(stale.history).toEqual([]);
  });

  it('cancels before Connected, never after, and a second cancel changes nothing', () => {
    const cancelled = commands.cancel(toCodeRequested(), ctx());
    expect(cancelled.next.stage).toBe('Cancelled');
    expect(commands.cancel(cancelled.next, ctx()).history).toEqual([]);
    expect(codeOf(() => commands.cancel(toConnected(), ctx()))).toBe('invalid-transition');
  });
});

describe('reconcileWithMeta (docs/design.md §2.2)', () => {
  const phone = metaPhoneNumber;
  const readable = (overrides: Partial<MetaWaba> = {}): commands.MetaReading => ({
    waba: { id: '200', name: 'Contoso', accountReviewStatus: 'APPROVED', businessVerificationStatus: 'verified', phoneNumbers: [phone()], ...overrides },
  });
  const missing: commands.MetaReading = { missing: true, confirmed: false };
  const run = (registration: Registration, readings: commands.MetaReading[], from = 10) =>
    readings.reduce((current, reading, index) => commands.reconcileWithMeta(current, reading, ctx(from + index)).next, registration);

  it('revokes on 100/33 twice in a row, not once', () => {
    const once = commands.reconcileWithMeta(toConnected('Approved'), missing, ctx(10));
    expect(once.next.status).toBe('Active');
    expect(once.history).toEqual([]);
    const twice = commands.reconcileWithMeta(once.next, missing, ctx(11));
    expect(twice.next.status).toBe('Revoked');
    expect(twice.history[0]).toMatchObject({ from: { status: 'Active' }, to: { status: 'Revoked' } });
  });

  it('a good read in between resets the count: 100/33, readable, 100/33 is not "twice in a row"', () => {
    const afterGoodRead = run(toConnected('Approved'), [missing, readable(), missing]);
    expect(afterGoodRead.status).toBe('Active');
    expect(afterGoodRead.facts.wabaAccess).toMatchObject({ value: 'suspect', suspicions: 1 });
    expect(run(afterGoodRead, [missing], 20).status).toBe('Revoked');
    // Many alternations never add up to a revocation.
    expect(run(toConnected('Approved'), [missing, readable(), missing, readable(), missing, readable(), missing]).status).toBe('Active');
  });

  it('revokes on a single 100/33 confirmed by debug_token', () => {
    expect(commands.reconcileWithMeta(toConnected('Approved'), { missing: true, confirmed: true }, ctx(10)).next.status).toBe('Revoked');
  });

  it('derives the status from a readable WABA', () => {
    expect(run(toConnected(), [readable()]).status).toBe('Active');
    expect(run(toConnected('Approved'), [readable({ phoneNumbers: [] })]).status).toBe('PhoneNumberDeleted');
    expect(run(toConnected('Approved'), [readable({ phoneNumbers: [phone({ status: 'DELETED' })] })]).status).toBe('PhoneNumberDeleted');
    expect(run(toConnected('Approved'), [readable({ accountReviewStatus: 'REJECTED' })]).status).toBe('BusinessAccountReviewRejected');
    expect(run(toConnected('Approved'), [readable({ phoneNumbers: [phone({ nameStatus: 'DECLINED' })] })]).status).toBe('DisplayNameReviewRejected');
    expect(run(toConnected('Approved'), [readable({ phoneNumbers: [phone({ nameStatus: 'PENDING_REVIEW' })] })]).status).toBe('DisplayNameReviewPending');
    expect(run(toConnected('Approved'), [readable({ phoneNumbers: [phone({ nameStatus: 'NONE' })] })]).status).toBe('DisplayNameReviewNotStarted');
  });

  it('changes nothing before Connected, and re-reading an unchanged account writes nothing', () => {
    const requested = toCodeRequested();
    expect(commands.reconcileWithMeta(requested, missing, ctx(10)).next).toBe(requested);
    const read = run(toConnected(), [readable()]);
    const again = commands.reconcileWithMeta(read, readable(), ctx(30));
    expect(again.next).toBe(read);
    expect(again.history).toEqual([]);
  });
});
