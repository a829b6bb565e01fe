import { deriveStatus, displayNameReviewFrom, STATUS_DETAILS, type AccountFacts } from '../../src/domain/account-status';
import { ACCOUNT_STATUSES } from '../../src/domain/stages';

const at = '2026-11-01T00:00:00.000Z';

describe('deriveStatus', () => {
  it.each<[string, AccountFacts, string]>([
    ['no facts', {}, 'Active'],
    ['approved display name', { displayName: { value: 'Approved', at } }, 'Active'],
    ['display name not started', { displayName: { value: 'NotStarted', at } }, 'DisplayNameReviewNotStarted'],
    ['display name pending', { displayName: { value: 'Pending', at } }, 'DisplayNameReviewPending'],
    ['display name rejected', { displayName: { value: 'Rejected', at } }, 'DisplayNameReviewRejected'],
    ['account review rejected', { accountReview: { value: 'REJECTED', at } }, 'BusinessAccountReviewRejected'],
    ['account disabled', { accountBan: { value: 'DISABLE', at } }, 'BusinessAccountReviewRejected'],
    ['account reinstated', { accountBan: { value: 'REINSTATE', at } }, 'Active'],
    ['phone deleted', { phone: { value: 'deleted', at } }, 'PhoneNumberDeleted'],
    ['waba suspected only', { wabaAccess: { value: 'suspect', at } }, 'Active'],
    ['waba revoked', { wabaAccess: { value: 'revoked', at } }, 'Revoked'],
    ['disconnected', { disconnected: { value: true, at } }, 'Disconnected'],
  ])('%s → %s', (_label, facts, expected) => {
    expect(deriveStatus(facts)).toBe(expected);
  });

  it('applies the priority order of docs/design.md §2.2 when several apply', () => {
    const all: AccountFacts = {
      disconnected: { value: true, at },
      wabaAccess: { value: 'revoked', at },
      phone: { value: 'deleted', at },
      accountReview: { value: 'REJECTED', at },
      displayName: { value: 'Rejected', at },
    };
    const order: string[] = [];
    const facts = { ...all };
    while (true) {
      const status = deriveStatus(facts);
      order.push(status);
      if (status === 'Disconnected') delete facts.disconnected;
      else if (status === 'Revoked') delete facts.wabaAccess;
      else if (status === 'PhoneNumberDeleted') delete facts.phone;
      else if (status === 'BusinessAccountReviewRejected') delete facts.accountReview;
      else if (status === 'DisplayNameReviewRejected') facts.displayName = { value: 'Pending', at };
      else if (status === 'DisplayNameReviewPending') facts.displayName = { value: 'NotStarted', at };
      else if (status === 'DisplayNameReviewNotStarted') delete facts.displayName;
      else break;
    }
    expect(order).toEqual([
      'Disconnected',
      'Revoked',
      'PhoneNumberDeleted',
      'BusinessAccountReviewRejected',
      'DisplayNameReviewRejected',
      'DisplayNameReviewPending',
      'DisplayNameReviewNotStarted',
      'Active',
    ]);
  });
  it.each(['Rejected', 'Pending', 'NotStarted', 'Approved'] as const)(
    'a ban (DISABLE) outranks a display name %s, as a review rejection does',
    (displayName) => {
      expect(deriveStatus({ accountBan: { value: 'DISABLE', at }, displayName: { value: displayName, at } })).toBe('BusinessAccountReviewRejected');
      expect(deriveStatus({ accountReview: { value: 'REJECTED', at }, displayName: { value: displayName, at } })).toBe('BusinessAccountReviewRejected');
      expect(deriveStatus({ accountBan: { value: 'REINSTATE', at }, displayName: { value: displayName, at } })).toBe(
        deriveStatus({ displayName: { value: displayName, at } }),
      );
    },
  );

  it('a ban is outranked by a deleted number, a revoked account and a disconnection', () => {
    const ban = { accountBan: { value: 'DISABLE', at } };
    expect(deriveStatus({ ...ban, phone: { value: 'deleted', at } })).toBe('PhoneNumberDeleted');
    expect(deriveStatus({ ...ban, wabaAccess: { value: 'revoked', at } })).toBe('Revoked');
    expect(deriveStatus({ ...ban, disconnected: { value: true, at } })).toBe('Disconnected');
  });
});

describe('STATUS_DETAILS', () => {
  it.each(ACCOUNT_STATUSES)('describes %s with a label, a meaning and sending ability', (status) => {
    const details = STATUS_DETAILS[status];
    expect(details.label.length).toBeGreaterThan(3);
    expect(details.meaning.length).toBeGreaterThan(10);
    expect(typeof details.canSend).toBe('boolean');
    if (details.limited) expect(details.canSend).toBe(true);
    if (status !== 'Active') expect(details.suggestedAction).toEqual(expect.any(String));
  });

  it('sends exactly from Active and the display-name statuses (docs/design.md §2.2 "can send")', () => {
    const canSend = ACCOUNT_STATUSES.filter((status) => STATUS_DETAILS[status].canSend);
    expect(canSend.sort()).toEqual(['Active', 'DisplayNameReviewNotStarted', 'DisplayNameReviewPending', 'DisplayNameReviewRejected']);
  });

  it('labels each status with its name in words, and suggests what the design says', () => {
    for (const status of ACCOUNT_STATUSES) expect(STATUS_DETAILS[status].label.replace(/ /g, '').toLowerCase()).toBe(status.toLowerCase());
    expect(STATUS_DETAILS.Active.suggestedAction).toBeNull();
    for (const status of ['Revoked', 'Disconnected', 'PhoneNumberDeleted'] as const) expect(STATUS_DETAILS[status].suggestedAction).toMatch(/reconnect/i);
    for (const status of ['DisplayNameReviewNotStarted', 'DisplayNameReviewPending', 'DisplayNameReviewRejected'] as const) {
      expect(STATUS_DETAILS[status].suggestedAction).toMatch(/limited number of messages/);
    }
    expect(STATUS_DETAILS.BusinessAccountReviewRejected.suggestedAction).toMatch(/request a review/);
    expect(STATUS_DETAILS.DisplayNameReviewRejected.suggestedAction).toMatch(/new display name/);
  });

  it('marks exactly the display-name statuses as limited', () => {
    const limited = ACCOUNT_STATUSES.filter((status) => STATUS_DETAILS[status].limited);
    expect(limited.sort()).toEqual(['DisplayNameReviewNotStarted', 'DisplayNameReviewPending', 'DisplayNameReviewRejected']);
  });
});

describe('displayNameReviewFrom', () => {
  it.each([
    ['APPROVED', 'Approved'],
    ['AVAILABLE_WITHOUT_REVIEW', 'Approved'],
    ['PENDING_REVIEW', 'Pending'],
    ['PENDING', 'Pending'],
    ['DEFERRED', 'Pending'],
    ['DECLINED', 'Rejected'],
    ['REJECTED', 'Rejected'],
    ['NONE', 'NotStarted'],
    ['none', 'NotStarted'],
    ['EXPIRED', 'Expired'],
    ['SOMETHING_NEW', null],
    [null, null],
  ])('%p → %p', (raw, expected) => expect(displayNameReviewFrom(raw)).toBe(expected));
});
