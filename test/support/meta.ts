import type { MetaPhoneNumber } from '../../src/domain/meta';

/** A connected number on a WABA as the Meta adapter returns it; tests override what they look at. */
export const metaPhoneNumber = (overrides: Partial<MetaPhoneNumber> = {}): MetaPhoneNumber => ({
  id: '300',
  displayPhoneNumber: '+1 425-555-0123',
  e164: '+14255550123',
  verifiedName: 'Contoso',
  codeVerificationStatus: 'VERIFIED',
  nameStatus: 'APPROVED',
  newNameStatus: null,
  status: 'CONNECTED',
  qualityRating: 'GREEN',
  messagingLimit: 'TIER_250',
  ...overrides,
});
