import type { MetaPhoneNumber, MetaWaba } from '../../src/domain/meta';
import { metaPhoneNumber } from '../support/meta';
import { findPhoneOnWaba, mergeFacts, observeWaba, observeWabaMissing } from '../../src/domain/observations';

const at = '2026-11-01T10:00:00.000Z';
const later = '2026-11-01T11:00:00.000Z';

const phone = (overrides: Partial<MetaPhoneNumber> = {}): MetaPhoneNumber => metaPhoneNumber({ e164: null, ...overrides });
const waba = (phones: MetaPhoneNumber[], accountReviewStatus: string | null = null): MetaWaba => ({
  id: '200',
  name: 'W',
  accountReviewStatus,
  businessVerificationStatus: null,
  phoneNumbers: phones,
});
const target = { phoneNumber: '+14255550123', phoneNumberId: '300' };

describe('findPhoneOnWaba', () => {
  it("finds the number by Meta's id first, else by its E.164 or display form", () => {
    const byId = phone({ id: '300', displayPhoneNumber: '+1 425-555-9999' });
    const byNumber = phone({ id: '301' });
    expect(findPhoneOnWaba(waba([byNumber, byId]), target)).toBe(byId);
    expect(findPhoneOnWaba(waba([byNumber]), target)).toBe(byNumber);
    expect(findPhoneOnWaba(waba([byNumber]), { phoneNumber: '+14255550123', phoneNumberId: null })).toBe(byNumber);
    const e164Only = phone({ id: '302', displayPhoneNumber: 'unreadable', e164: '+14255550123' });
    expect(findPhoneOnWaba(waba([e164Only]), { phoneNumber: '+14255550123', phoneNumberId: null })).toBe(e164Only);
    // The E.164 Meta gives wins over the display form.
    expect(findPhoneOnWaba(waba([phone({ id: '303', e164: '+14255550199' })]), { phoneNumber: '+14255550123', phoneNumberId: null })).toBeNull();
    expect(findPhoneOnWaba(waba([]), target)).toBeNull();
  });
});

describe('observeWaba', () => {
  it('a readable WABA is reachable again, with its review decision and the number present', () => {
    const observed = observeWaba(waba([phone({ nameStatus: 'pending_review' })], 'rejected'), target, at);
    expect(observed.facts).toEqual({
      wabaAccess: { value: 'ok', at, suspicions: 0 },
      accountReview: { value: 'REJECTED', at },
      phone: { value: 'present', at },
      displayName: { value: 'Pending', at },
      phoneStatus: { value: 'CONNECTED', at },
    });
    expect(observed.phone?.id).toBe('300');
  });

  it('a number Meta marks deleted (any case), or no longer lists, is deleted and says nothing of its name', () => {
    for (const phones of [[phone({ status: 'deleted', nameStatus: 'DECLINED' })], [phone({ status: 'DELETED' })], []]) {
      const observed = observeWaba(waba(phones), target, at);
      expect(observed.facts.phone).toEqual({ value: 'deleted', at });
      expect(observed.facts.displayName).toBeUndefined();
      expect(observed.phone).toBeNull();
    }
  });

  it('leaves out what Meta did not say', () => {
    const observed = observeWaba(waba([phone({ nameStatus: null, status: null })]), target, at);
    expect(observed.facts).toEqual({ wabaAccess: { value: 'ok', at, suspicions: 0 }, phone: { value: 'present', at } });
  });
});

describe('mergeFacts', () => {
  it('takes newer and equally recent information, ignores older, fact by fact', () => {
    const known = { displayName: { value: 'Pending' as const, at }, phone: { value: 'present' as const, at } };
    expect(mergeFacts(known, { displayName: { value: 'Approved', at: later } }).displayName).toEqual({ value: 'Approved', at: later });
    expect(mergeFacts(known, { displayName: { value: 'Rejected', at } }).displayName).toEqual({ value: 'Rejected', at });
    const older = mergeFacts({ displayName: { value: 'Rejected', at: later } }, { displayName: { value: 'Approved', at }, phone: { value: 'deleted', at } });
    expect(older).toEqual({ displayName: { value: 'Rejected', at: later }, phone: { value: 'deleted', at } });
    expect(mergeFacts(known, { displayName: undefined })).toEqual(known);
  });

  it('the same answer again keeps the fact as it was, time included', () => {
    const known = { wabaAccess: { value: 'ok' as const, at, suspicions: 0 } };
    expect(mergeFacts(known, { wabaAccess: { value: 'ok', at: later, suspicions: 0 } }).wabaAccess).toBe(known.wabaAccess);
    expect(mergeFacts(known, { wabaAccess: { value: 'suspect', at: later, suspicions: 1 } }).wabaAccess).toEqual({
      value: 'suspect',
      at: later,
      suspicions: 1,
    });
    expect(
      mergeFacts({ wabaAccess: { value: 'suspect', at, suspicions: 1 } }, { wabaAccess: { value: 'suspect', at: later, suspicions: 2 } }).wabaAccess
        ?.suspicions,
    ).toBe(2);
  });
});

describe('observeWabaMissing (100/33)', () => {
  it('is a suspicion the first time, a revocation the second time in a row or when confirmed, and stays revoked', () => {
    expect(observeWabaMissing({}, at, false)).toEqual({ wabaAccess: { value: 'suspect', at, suspicions: 1 } });
    expect(observeWabaMissing({ wabaAccess: { value: 'ok', at, suspicions: 0 } }, later, false)).toEqual({
      wabaAccess: { value: 'suspect', at: later, suspicions: 1 },
    });
    expect(observeWabaMissing({ wabaAccess: { value: 'suspect', at, suspicions: 1 } }, later, false)).toEqual({
      wabaAccess: { value: 'revoked', at: later, suspicions: 2 },
    });
    // A suspicion recorded without a count counts as one.
    expect(observeWabaMissing({ wabaAccess: { value: 'suspect', at } }, later, false).wabaAccess?.value).toBe('revoked');
    expect(observeWabaMissing({}, at, true)).toEqual({ wabaAccess: { value: 'revoked', at, suspicions: 1 } });
    expect(observeWabaMissing({ wabaAccess: { value: 'revoked', at, suspicions: 0 } }, later, false).wabaAccess?.value).toBe('revoked');
  });
});
