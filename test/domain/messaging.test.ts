import { deriveStatus, displayNameReviewFrom, type AccountFacts, type HealthFact } from '../../src/domain/account-status';
import type { MetaHealthStatus } from '../../src/domain/meta';
import { deriveMessaging, describeStatus } from '../../src/domain/messaging';
import { healthFactOf, mergeFacts, observeWaba } from '../../src/domain/observations';
import { ACCOUNT_STATUSES, type AccountStatus } from '../../src/domain/stages';
import { metaPhoneNumber } from '../support/meta';

const at = '2026-11-01T00:00:00.000Z';
const later = '2026-11-01T00:05:00.000Z';
const connected: AccountFacts = { phoneStatus: { value: 'CONNECTED', at }, displayName: { value: 'Approved', at } };

/** The registration as the rules see it: Connected, with the status its facts give. */
const messagingOf = (facts: AccountFacts) => deriveMessaging({ stage: 'Connected', status: deriveStatus(facts), facts });
const health = (canSendMessage: string, blockedBy: HealthFact['blockedBy'] = []) => ({ value: { canSendMessage, blockedBy }, at });
const paymentError = { entity: 'WABA 200', code: 141006, description: 'The payment method failed.', possibleSolution: 'Add a new payment method.' };

describe('deriveMessaging: the phone status', () => {
  it('a CONNECTED number with an approved name and no health trouble can send without limits', () => {
    expect(messagingOf(connected)).toEqual({ canSend: true, limited: false, reason: null, blockedBy: [], suggestedAction: null });
  });

  it.each(['PENDING', 'UNVERIFIED', 'FLAGGED', 'RESTRICTED', 'BANNED', 'DISCONNECTED', 'RATE_LIMITED', 'MIGRATED', 'UNKNOWN', 'SOMETHING_NEW'])(
    'an Active account whose number Meta reports %s cannot send, and the reason names the value',
    (phoneStatus) => {
      const facts = { ...connected, phoneStatus: { value: phoneStatus, at } };
      expect(deriveStatus(facts)).toBe('Active');
      const messaging = messagingOf(facts);
      expect(messaging).toMatchObject({ canSend: false, limited: false });
      expect(messaging.reason).toContain(phoneStatus);
      expect(messaging.suggestedAction).toEqual(expect.any(String));
    },
  );

  it('a number whose Meta status was never read cannot send yet', () => {
    const messaging = messagingOf({ displayName: { value: 'Approved', at } });
    expect(messaging.canSend).toBe(false);
    expect(messaging.reason).toMatch(/not been read/);
  });

  it('nothing can be sent before Connected, whatever the facts say', () => {
    const messaging = deriveMessaging({ stage: 'CodeVerified', status: null, facts: connected });
    expect(messaging).toMatchObject({ canSend: false, limited: false });
    expect(messaging.reason).toContain('CodeVerified');
  });
});

describe("deriveMessaging: Meta's health_status", () => {
  it.each([
    ['phoneHealth', 'number'],
    ['wabaHealth', 'WhatsApp Business Account'],
  ] as const)('%s BLOCKED: cannot send, with the reason, the entity errors and Meta’s possible solution', (fact, what) => {
    const messaging = messagingOf({ ...connected, [fact]: health('BLOCKED', [paymentError]) });
    expect(messaging.canSend).toBe(false);
    expect(messaging.reason).toBe(`Meta's health status of the ${what} is BLOCKED (The payment method failed).`);
    expect(messaging.blockedBy).toEqual([paymentError]);
    expect(messaging.suggestedAction).toBe('Add a new payment method.');
  });

  it.each(['phoneHealth', 'wabaHealth'] as const)('%s LIMITED: can send, limited, with the reason', (fact) => {
    const messaging = messagingOf({ ...connected, [fact]: health('LIMITED', [{ ...paymentError, entity: 'BUSINESS 1' }]) });
    expect(messaging).toMatchObject({ canSend: true, limited: true });
    expect(messaging.reason).toContain('LIMITED');
    expect(messaging.blockedBy).toHaveLength(1);
  });

  it.each(['AVAILABLE', 'SOMETHING_NEW'])('%s neither blocks nor limits', (value) => {
    expect(messagingOf({ ...connected, phoneHealth: health(value), wabaHealth: health(value) })).toMatchObject({ canSend: true, limited: false, reason: null });
  });

  it('BLOCKED wins over LIMITED, and errors repeated by both answers are listed once', () => {
    const business = { entity: 'BUSINESS 1', code: 141010, description: 'Not verified.', possibleSolution: 'Verify the business.' };
    const messaging = messagingOf({ ...connected, phoneHealth: health('LIMITED', [business]), wabaHealth: health('BLOCKED', [business, paymentError]) });
    expect(messaging.canSend).toBe(false);
    expect(messaging.reason).toContain('WhatsApp Business Account is BLOCKED');
    expect(messaging.blockedBy).toEqual([business, paymentError]);
  });

  it('the phone status is reported before the health answers', () => {
    const messaging = messagingOf({ ...connected, phoneStatus: { value: 'FLAGGED', at }, wabaHealth: health('BLOCKED', [paymentError]) });
    expect(messaging.reason).toContain('FLAGGED');
    expect(messaging.blockedBy).toEqual([paymentError]);
  });
});

describe('deriveMessaging: account review and display name', () => {
  it.each(['RESTRICTED', 'LIMIT_REACHED'])('account_review_status %s limits an Active account, with the reason', (review) => {
    const facts = { ...connected, accountReview: { value: review, at } };
    expect(deriveStatus(facts)).toBe('Active');
    const messaging = messagingOf(facts);
    expect(messaging).toMatchObject({ canSend: true, limited: true });
    expect(messaging.reason).toContain(review);
  });

  it.each(['APPROVED', 'PENDING'])('account_review_status %s limits nothing', (review) => {
    expect(messagingOf({ ...connected, accountReview: { value: review, at } })).toMatchObject({ canSend: true, limited: false });
  });

  it('name_status EXPIRED is a name no longer approved: review not started, limited, the reason says EXPIRED', () => {
    const facts: AccountFacts = { ...connected, displayName: { value: displayNameReviewFrom('EXPIRED')!, at } };
    expect(deriveStatus(facts)).toBe('DisplayNameReviewNotStarted');
    const messaging = messagingOf(facts);
    expect(messaging).toMatchObject({ canSend: true, limited: true });
    expect(messaging.reason).toContain('EXPIRED');
  });

  it.each(['Pending', 'Rejected', 'NotStarted'] as const)('a display name %s limits, with a reason', (review) => {
    const messaging = messagingOf({ ...connected, displayName: { value: review, at } });
    expect(messaging).toMatchObject({ canSend: true, limited: true });
    expect(messaging.reason).toMatch(/display name/);
  });
});

describe('deriveMessaging with the 8 statuses', () => {
  const blocking: AccountStatus[] = ['Disconnected', 'Revoked', 'PhoneNumberDeleted', 'BusinessAccountReviewRejected'];

  it.each(blocking)('%s cannot send even when Meta reports the number CONNECTED and healthy', (status) => {
    const messaging = deriveMessaging({ stage: 'Connected', status, facts: { ...connected, phoneHealth: health('AVAILABLE') } });
    expect(messaging).toMatchObject({ canSend: false, limited: false });
    expect(messaging.reason).toContain('The account is');
  });

  it.each(ACCOUNT_STATUSES.filter((status) => !blocking.includes(status)))('%s with a FLAGGED number cannot send', (status) => {
    const messaging = deriveMessaging({ stage: 'Connected', status, facts: { ...connected, phoneStatus: { value: 'FLAGGED', at } } });
    expect(messaging.canSend).toBe(false);
    expect(messaging.reason).toContain('FLAGGED');
  });

  it.each(ACCOUNT_STATUSES)('the wording of %s never says it can send while Meta blocks the number', (status) => {
    const facts = { ...connected, phoneStatus: { value: 'FLAGGED', at } };
    const description = describeStatus(status, deriveMessaging({ stage: 'Connected', status, facts }));
    expect(`${description.meaning} ${description.suggestedAction ?? ''}`).not.toMatch(/ready to send|can send a limited/);
  });

  it('Active wording says ready to send only when the number can send without limits', () => {
    expect(describeStatus('Active', messagingOf(connected)).meaning).toMatch(/ready to send/);
    const flagged = describeStatus('Active', messagingOf({ ...connected, phoneStatus: { value: 'FLAGGED', at } }));
    expect(flagged.meaning).toContain('FLAGGED');
    expect(flagged.suggestedAction).toEqual(expect.any(String));
    const limited = describeStatus('Active', messagingOf({ ...connected, accountReview: { value: 'LIMIT_REACHED', at } }));
    expect(limited.meaning).toContain('LIMIT_REACHED');
    expect(limited.meaning).not.toMatch(/ready to send/);
  });
});

describe('facts of the phone status and the health answers', () => {
  const target = { phoneNumber: '+14255550123', phoneNumberId: '300' };
  const wabaWith = (phoneStatus: string, wabaHealth: MetaHealthStatus | null = null) => ({
    id: '200',
    name: 'W',
    accountReviewStatus: 'APPROVED',
    businessVerificationStatus: 'verified',
    healthStatus: wabaHealth,
    phoneNumbers: [metaPhoneNumber({ status: phoneStatus, healthStatus: { canSendMessage: 'AVAILABLE', entities: [] } })],
  });

  it('every reading of the WABA records the phone status and both health answers', () => {
    const observed = observeWaba(wabaWith('flagged', { canSendMessage: 'LIMITED', entities: [] }), target, at);
    expect(observed.facts).toMatchObject({
      phoneStatus: { value: 'FLAGGED', at },
      phoneHealth: { value: { canSendMessage: 'AVAILABLE', blockedBy: [] }, at },
      wabaHealth: { value: { canSendMessage: 'LIMITED', blockedBy: [] }, at },
    });
  });

  it('a reading older than what is known never rolls the phone status back', () => {
    const known = mergeFacts(connected, observeWaba(wabaWith('FLAGGED'), target, later).facts);
    const reordered = mergeFacts(known, observeWaba(wabaWith('CONNECTED'), target, at).facts);
    expect(reordered.phoneStatus).toEqual({ value: 'FLAGGED', at: later });
    expect(messagingOf(reordered).canSend).toBe(false);
    const newer = mergeFacts(reordered, observeWaba(wabaWith('CONNECTED'), target, '2026-11-01T00:10:00.000Z').facts);
    expect(messagingOf(newer).canSend).toBe(true);
  });

  it("another number's trouble in the WABA's answer is not this number's", () => {
    const answer: MetaHealthStatus = {
      canSendMessage: 'BLOCKED',
      entities: [
        { entityType: 'PHONE_NUMBER', id: '999', canSendMessage: 'BLOCKED', errors: [{ code: 1, description: 'Other number.', possibleSolution: null }] },
        { entityType: 'PHONE_NUMBER', id: '300', canSendMessage: 'AVAILABLE', errors: [] },
        { entityType: 'WABA', id: '200', canSendMessage: 'LIMITED', errors: [] },
      ],
    };
    expect(healthFactOf(answer, '300')).toEqual({ canSendMessage: 'LIMITED', blockedBy: [] });
    expect(healthFactOf(answer, null)?.canSendMessage).toBe('BLOCKED');
  });

  it('the same answer in another order is the same fact: re-reading an unchanged account changes nothing', () => {
    const entity = (type: string, id: string, code: number) => ({
      entityType: type,
      id,
      canSendMessage: 'LIMITED',
      errors: [{ code, description: 'd', possibleSolution: 's' }],
    });
    const one = healthFactOf({ canSendMessage: 'LIMITED', entities: [entity('WABA', '200', 2), entity('BUSINESS', '1', 1)] }, '300')!;
    const two = healthFactOf({ canSendMessage: 'LIMITED', entities: [entity('BUSINESS', '1', 1), entity('WABA', '200', 2)] }, '300')!;
    expect(one).toEqual(two);
    expect(one.blockedBy.map((blocker) => blocker.entity)).toEqual(['BUSINESS 1', 'WABA 200']);
    const known: AccountFacts = { ...connected, wabaHealth: { value: one, at } };
    expect(mergeFacts(known, { wabaHealth: { value: two, at: later } })).toEqual(known);
  });

  it('no answer, or an answer without any value, is no fact', () => {
    expect(healthFactOf(null, '300')).toBeNull();
    expect(healthFactOf({ canSendMessage: null, entities: [] }, '300')).toBeNull();
    expect(observeWaba(wabaWith('CONNECTED'), target, at).facts.wabaHealth).toBeUndefined();
  });
});
