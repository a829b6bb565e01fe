export const STAGES = ['SignupStarted', 'BusinessAccountSelected', 'ProfileSelected', 'CodeRequested', 'CodeVerified', 'Connected', 'Cancelled'] as const;
export type Stage = (typeof STAGES)[number];

export const ACCOUNT_STATUSES = [
  'Active',
  'Revoked',
  'Disconnected',
  'PhoneNumberDeleted',
  'BusinessAccountReviewRejected',
  'DisplayNameReviewNotStarted',
  'DisplayNameReviewPending',
  'DisplayNameReviewRejected',
] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const CAUSES = ['api', 'sms', 'sms-delivery', 'account-event', 'reconcile'] as const;
export type Cause = (typeof CAUSES)[number];

/** Statuses from which `reconnect` redoes onboarding (docs/design.md §2.2). */
export const RECONNECTABLE_STATUSES: readonly AccountStatus[] = ['Disconnected', 'Revoked', 'PhoneNumberDeleted'];
