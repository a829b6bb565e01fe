import { metaPhoneNumber } from '../support/meta';
import * as commands from '../../src/domain/commands';
import { DomainError } from '../../src/domain/errors';
import type { MetaWaba } from '../../src/domain/meta';
import { newRegistration, type ChangeContext, type Registration } from '../../src/domain/registration';

/* What each command writes besides the stage: the fields later steps and the API rely on. */

const t0 = Date.parse('2026-11-01T10:00:00.000Z');
const ctx = (offsetSeconds = 0): ChangeContext => ({ cause: 'api', at: new Date(t0 + offsetSeconds * 1000).toISOString() });
const fresh = (): Registration => newRegistration({ id: 'r1', phoneNumber: '+14255550123', phoneNumberSource: 'acs', at: ctx().at });
const selection = {
  whatsAppBusinessAccountId: '200',
  displayName: 'Contoso',
  profile: { category: 'RETAIL' },
  phoneNumberId: '300',
  facts: {},
  messagingLimit: 'TIER_250',
  qualityRating: 'GREEN',
};

const profileSelected = () =>
  commands.selectProfile(commands.selectBusinessAccount(fresh(), { id: '100', name: 'Contoso' }, ctx()).next, selection, ctx()).next;
const requested = () => commands.recordCodeRequested(profileSelected(), { method: 'SMS', language: 'en_US' }, ctx()).next;
const verified = () => commands.recordCodeVerified(requested(), ctx(1)).next;
const connected = () =>
  commands.recordConnected(verified(), { facts: { displayName: { value: 'Approved', at: ctx(2).at } }, messagingLimit: null, qualityRating: null }, ctx(2))
    .next;

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('refusals say what was asked and where the registration is', () => {
  it('names the action, the stage, and the status when there is one', () => {
    expect(refusal(() => commands.recordCodeVerified(fresh(), ctx())).message).toBe('Cannot verify a code while the registration is SignupStarted.');
    expect(refusal(() => commands.selectProfile(connected(), selection, ctx())).message).toBe(
      'Cannot select the WhatsApp business profile while the registration is Connected (Active).',
    );
    expect(refusal(() => commands.reconnect(connected(), '301', ctx())).message).toMatch(
      /^Cannot reconnect a registration that is Connected \(Active\): only Disconnected, Revoked or PhoneNumberDeleted/,
    );
    expect(refusal(() => commands.reconnect(fresh(), '301', ctx())).message).toMatch(/^Cannot reconnect a registration that is SignupStarted:/);
    expect(refusal(() => commands.cancel(connected(), ctx()))).toMatchObject({
      code: 'invalid-transition',
      extra: { suggestedAction: 'Disconnect it instead.' },
    });
  });

  it('a cooldown refusal carries the seconds to wait and what to do meanwhile', () => {
    const error = refusal(() => commands.recordCodeRequested(requested(), { method: 'SMS', language: 'en_US' }, ctx(20)));
    expect(error).toMatchObject({
      code: 'verification-cooldown',
      extra: { retryAfterSeconds: 40, suggestedAction: expect.stringMatching(/code already sent/) },
    });
    expect(error.message).toContain('wait 40 s');
  });
});

describe('business account', () => {
  it('re-selecting the same business keeps the profile; another business, or a new one to create, clears it', () => {
    const selected = profileSelected();
    const same = commands.selectBusinessAccount(selected, { id: '100', name: 'Contoso renamed' }, ctx(5));
    expect(same.next).toMatchObject({
      stage: 'ProfileSelected',
      whatsAppBusinessAccountId: '200',
      phoneNumberId: '300',
      displayName: 'Contoso',
      businessAccount: { id: '100', name: 'Contoso renamed' },
    });
    expect(same.history).toEqual([]);

    const toCreate = { companyName: 'New', website: 'https://new.example', businessEmail: 'a@new.example', businessPhone: '+14255550100' };
    const created = commands.selectBusinessAccount(selected, { id: null, name: null, toCreate }, ctx(6));
    expect(created.next).toMatchObject({
      stage: 'BusinessAccountSelected',
      whatsAppBusinessAccountId: null,
      phoneNumberId: null,
      displayName: null,
      profile: null,
    });
    expect(created.history[0]!.detail).toBe('Details of a new business account recorded');
    // A second set of details for a business still to be created is not "the same business".
    const createdAgain = commands.selectBusinessAccount(
      commands.selectProfile(created.next, selection, ctx(7)).next,
      { id: null, name: null, toCreate },
      ctx(8),
    );
    expect(createdAgain.next).toMatchObject({ stage: 'BusinessAccountSelected', profile: null });
    expect(commands.selectBusinessAccount(fresh(), { id: '100', name: 'C' }, ctx()).history[0]!.detail).toBe('Business account 100 selected');
  });

  it('the profile records the WABA, number and Meta details', () => {
    const selected = profileSelected();
    expect(selected).toMatchObject({
      whatsAppBusinessAccountId: '200',
      displayName: 'Contoso',
      profile: { category: 'RETAIL' },
      phoneNumberId: '300',
      messagingLimit: 'TIER_250',
      qualityRating: 'GREEN',
    });
    const withFacts = commands.selectProfile(selected, { ...selection, facts: { displayName: { value: 'Pending', at: ctx(3).at } } }, ctx(3)).next;
    expect(withFacts.facts.displayName?.value).toBe('Pending');
  });
});

describe('verification', () => {
  it('the first request starts a verification; each resend counts and keeps the count of rejected codes (the wrong-code cap spans resends)', () => {
    const first = requested();
    expect(first.verification).toEqual({
      method: 'SMS',
      language: 'en_US',
      requestedAt: ctx().at,
      attempts: 1,
      verifiedAt: null,
      rejectedCodes: 0,
      lockedUntil: null,
    });
    const rejected = commands.recordCodeRejected(first, ctx(10));
    expect(rejected.next.verification?.rejectedCodes).toBe(1);
    expect(rejected.history).toEqual([]);
    const twice = commands.recordCodeRejected(rejected.next, ctx(11)).next;
    expect(twice.verification?.rejectedCodes).toBe(2);
    const resent = commands.recordCodeRequested(twice, { method: 'VOICE', language: 'de' }, ctx(60)).next;
    expect(resent.verification).toEqual({
      method: 'VOICE',
      language: 'de',
      requestedAt: ctx(60).at,
      attempts: 2,
      verifiedAt: null,
      rejectedCodes: 2,
      lockedUntil: null,
    });
  });

  it('the cooldown grows 60, 120, 300, 600, 1800 s and stays at 1800 s; none before a code was requested', () => {
    expect(commands.codeRequestCooldown(profileSelected(), new Date(t0))).toBe(0);
    let registration = requested();
    let at = 0;
    const waits: number[] = [];
    for (let request = 1; request <= 6; request += 1) {
      const wait = commands.codeRequestCooldown(registration, new Date(t0 + at * 1000));
      waits.push(wait);
      expect(commands.codeRequestCooldown(registration, new Date(t0 + (at + wait) * 1000 - 1))).toBe(1);
      at += wait;
      registration = commands.recordCodeRequested(registration, { method: 'SMS', language: 'en_US' }, ctx(at)).next;
    }
    expect(waits).toEqual([60, 120, 300, 600, 1800, 1800]);
    // Rounded up: 59.5 s left is 60 s to wait.
    expect(commands.codeRequestCooldown(requested(), new Date(t0 + 500))).toBe(60);
    expect(commands.codeRequestCooldown(requested(), new Date(t0 + 120_000))).toBe(0);
  });

  it('a verified code starts the registration with Meta from scratch', () => {
    expect(verified()).toMatchObject({
      stage: 'CodeVerified',
      verification: { method: 'SMS', attempts: 1, verifiedAt: ctx(1).at },
      metaRegistration: { registeredAt: null, attempts: 0, lastError: null, notBefore: null },
    });
  });
});

describe('registration with Meta', () => {
  it('counts attempts, keeps the last error and when to retry, and clears them once registered', () => {
    const failed = commands.recordMetaRegistrationFailed(verified(), { reason: '133016', notBefore: ctx(100).at, countsAsAttempt: true }, ctx(2)).next;
    expect(failed.metaRegistration).toEqual({ registeredAt: null, attempts: 1, lastError: '133016', notBefore: ctx(100).at });
    const notCounted = commands.recordMetaRegistrationFailed(failed, { reason: 'not ready', notBefore: ctx(200).at, countsAsAttempt: false }, ctx(3));
    expect(notCounted.next.metaRegistration).toEqual({ registeredAt: null, attempts: 1, lastError: 'not ready', notBefore: ctx(200).at });
    expect(notCounted.history).toEqual([]);
    const registered = commands.recordRegisteredWithMeta(notCounted.next, ctx(300)).next;
    expect(registered.metaRegistration).toEqual({ registeredAt: ctx(300).at, attempts: 2, lastError: null, notBefore: null });
    expect(registered.stage).toBe('CodeVerified');
  });

  it('works from a verification recorded before Meta registration was tracked', () => {
    const legacy = { ...verified(), metaRegistration: null };
    expect(commands.recordRegisteredWithMeta(legacy, ctx(5)).next.metaRegistration).toEqual({
      registeredAt: ctx(5).at,
      attempts: 1,
      lastError: null,
      notBefore: null,
    });
    expect(commands.recordMetaRegistrationFailed(legacy, { reason: 'x', notBefore: ctx(9).at, countsAsAttempt: true }, ctx(5)).next.metaRegistration).toEqual({
      registeredAt: null,
      attempts: 1,
      lastError: 'x',
      notBefore: ctx(9).at,
    });
    expect(refusal(() => commands.recordRegisteredWithMeta(requested(), ctx()))).toMatchObject({ code: 'invalid-transition' });
    expect(refusal(() => commands.recordMetaRegistrationFailed(requested(), { reason: 'x', notBefore: ctx().at, countsAsAttempt: true }, ctx()))).toMatchObject(
      { code: 'invalid-transition' },
    );
  });
});

describe('connected', () => {
  it('connecting takes the facts observed now, and Meta limits when it gave them', () => {
    const before = { ...verified(), facts: { phone: { value: 'deleted' as const, at: ctx().at } } };
    const done = commands.recordConnected(
      before,
      { facts: { displayName: { value: 'Approved', at: ctx(2).at } }, messagingLimit: null, qualityRating: null },
      ctx(2),
    );
    expect(done.next).toMatchObject({
      stage: 'Connected',
      status: 'Active',
      facts: { displayName: { value: 'Approved', at: ctx(2).at } },
      messagingLimit: 'TIER_250',
      qualityRating: 'GREEN',
    });
    expect(done.next.facts.phone).toBeUndefined();
    expect(done.history[0]).toMatchObject({
      to: { stage: 'Connected', status: 'Active' },
      detail: expect.stringMatching(/registered on the WhatsApp Cloud API/),
    });
    const fresher = commands.recordConnected(before, { facts: {}, messagingLimit: 'TIER_1K', qualityRating: 'YELLOW' }, ctx(2)).next;
    expect(fresher).toMatchObject({ messagingLimit: 'TIER_1K', qualityRating: 'YELLOW' });
  });

  it('an observation updates limits and quality; one that changes nothing writes nothing', () => {
    const account = connected();
    const limits = commands.applyObservation(account, { facts: {}, messagingLimit: 'TIER_10K', qualityRating: 'RED' }, ctx(10), 'quality');
    expect(limits.next).toMatchObject({ messagingLimit: 'TIER_10K', qualityRating: 'RED', status: 'Active', updatedAt: ctx(10).at });
    expect(limits.history).toEqual([]);
    const same = commands.applyObservation(limits.next, { facts: {}, messagingLimit: 'TIER_10K', qualityRating: 'RED' }, ctx(11), 'again');
    expect(same.next).toBe(limits.next);
    const nothing = commands.applyObservation(limits.next, { facts: {}, messagingLimit: null, qualityRating: null }, ctx(12), 'empty');
    expect(nothing.next).toBe(limits.next);
    const onlyQuality = commands.applyObservation(limits.next, { facts: {}, qualityRating: 'GREEN' }, ctx(13), 'q').next;
    expect(onlyQuality).toMatchObject({ messagingLimit: 'TIER_10K', qualityRating: 'GREEN' });
    const onlyLimit = commands.applyObservation(limits.next, { facts: {}, messagingLimit: 'TIER_100K' }, ctx(13), 'l').next;
    expect(onlyLimit).toMatchObject({ messagingLimit: 'TIER_100K', qualityRating: 'RED' });
    const moved = commands.applyObservation(account, { facts: { displayName: { value: 'Rejected', at: ctx(14).at } } }, ctx(14), 'name rejected');
    expect(moved.history).toMatchObject([{ detail: 'name rejected', to: { status: 'DisplayNameReviewRejected' } }]);
  });

  it('reconciling takes the limits and quality of the number on the WABA', () => {
    const phone = metaPhoneNumber({ qualityRating: 'YELLOW', messagingLimit: 'TIER_1K' });
    const waba: MetaWaba = { id: '200', name: 'W', accountReviewStatus: null, businessVerificationStatus: null, phoneNumbers: [phone] };
    const read = commands.reconcileWithMeta(connected(), { waba }, ctx(20));
    expect(read.next).toMatchObject({ messagingLimit: 'TIER_1K', qualityRating: 'YELLOW', status: 'Active' });
    const gone = commands.reconcileWithMeta(read.next, { waba: { ...waba, phoneNumbers: [] } }, ctx(21));
    expect(gone.next).toMatchObject({ messagingLimit: 'TIER_1K', qualityRating: 'YELLOW', status: 'PhoneNumberDeleted' });
    expect(gone.history[0]!.detail).toBe('Reconciled with Meta');
    expect(commands.reconcileWithMeta(read.next, { missing: true, confirmed: true }, ctx(22)).history[0]!.detail).toMatch(/debug_token/);
    expect(
      commands.reconcileWithMeta(
        commands.reconcileWithMeta(read.next, { missing: true, confirmed: false }, ctx(22)).next,
        { missing: true, confirmed: false },
        ctx(23),
      ).history[0]!.detail,
    ).toMatch(/100\/33/);
    // A registration without a WABA id has nothing to reconcile.
    const withoutWaba = { ...read.next, whatsAppBusinessAccountId: null };
    expect(commands.reconcileWithMeta(withoutWaba, { missing: true, confirmed: true }, ctx(24)).next).toBe(withoutWaba);
  });

  it('disconnect records why; a second disconnect changes nothing; reconnect starts verification over', () => {
    const gone = commands.disconnect(connected(), ctx(30));
    expect(gone.history[0]!.detail).toBe('Disconnected on request');
    expect(gone.next.facts.disconnected).toEqual({ value: true, at: ctx(30).at });
    expect(commands.disconnect(connected(), ctx(30), 'channel gone').history[0]!.detail).toBe('channel gone');
    const again = commands.disconnect(gone.next, ctx(31));
    expect(again.next).toBe(gone.next);
    expect(again.history).toEqual([]);
    const back = commands.reconnect(gone.next, '301', ctx(32));
    expect(back.next).toMatchObject({
      stage: 'ProfileSelected',
      status: null,
      phoneNumberId: '301',
      facts: {},
      verification: null,
      metaRegistration: null,
      whatsAppBusinessAccountId: '200',
    });
    expect(back.history[0]!.detail).toBe('Reconnecting from Disconnected');
  });

  it('cancel records the move once', () => {
    const cancelled = commands.cancel(requested(), ctx(40));
    expect(cancelled.history).toMatchObject([{ from: { stage: 'CodeRequested' }, to: { stage: 'Cancelled' }, detail: 'Registration cancelled' }]);
    const again = commands.cancel(cancelled.next, ctx(41));
    expect(again.next).toBe(cancelled.next);
  });
});

describe('history details and refusal messages of every command', () => {
  it('each move says what happened', () => {
    const business = commands.selectBusinessAccount(fresh(), { id: '100', name: 'C' }, ctx());
    const profile = commands.selectProfile(business.next, selection, ctx());
    expect(profile.history[0]!.detail).toBe('WhatsApp business profile selected on WABA 200');
    const code = commands.recordCodeRequested(profile.next, { method: 'VOICE', language: 'en_US' }, ctx());
    expect(code.history[0]!.detail).toBe('Verification code requested by VOICE (request 1)');
    expect(commands.recordCodeVerified(code.next, ctx(1)).history[0]!.detail).toBe('Meta accepted the verification code');
  });

  it('each refusal names the action asked for', () => {
    const messageOf = (run: () => unknown) => refusal(run).message;
    expect(messageOf(() => commands.recordCodeRequested(fresh(), { method: 'SMS', language: 'en_US' }, ctx()))).toBe(
      'Cannot request a verification code while the registration is SignupStarted.',
    );
    expect(messageOf(() => commands.recordRegisteredWithMeta(fresh(), ctx()))).toBe(
      'Cannot record the registration with Meta while the registration is SignupStarted.',
    );
    expect(messageOf(() => commands.recordMetaRegistrationFailed(fresh(), { reason: 'x', notBefore: ctx().at, countsAsAttempt: true }, ctx()))).toBe(
      'Cannot record a registration failure while the registration is SignupStarted.',
    );
    expect(messageOf(() => commands.disconnect(fresh(), ctx()))).toBe('Cannot disconnect while the registration is SignupStarted.');
    expect(messageOf(() => commands.recordConnected(fresh(), { facts: {}, messagingLimit: null, qualityRating: null }, ctx()))).toBe(
      'Cannot connect while the registration is SignupStarted.',
    );
    expect(messageOf(() => commands.selectBusinessAccount(requested(), { id: '1', name: null }, ctx()))).toBe(
      'Cannot select the business account while the registration is CodeRequested.',
    );
    expect(messageOf(() => commands.cancel(connected(), ctx()))).toBe('A connected registration cannot be cancelled.');
  });

  it('a connected registration has no resend cooldown, however recent its code', () => {
    expect(commands.codeRequestCooldown(connected(), new Date(t0 + 3_000))).toBe(0);
    expect(commands.codeRequestCooldown(verified(), new Date(t0 + 2_000))).toBe(0);
  });
});
