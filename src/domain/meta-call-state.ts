/**
 * What a registration records of the Meta call claimed for it (the rules are in meta-call.ts, above
 * the registration model; this state is below it, so the model can hold it without a cycle).
 */
export type MetaStep = 'request_code' | 'verify_code' | 'register' | 'new_display_name';

export interface MetaCallClaim {
  step: MetaStep;
  /** Who holds it: one id per use-case run, so only that run may carry on from the claim. */
  token: string;
  until: string;
}

export interface MetaCallState {
  claim: MetaCallClaim | null;
  /** The last claimed call that failed; recorded without starting any cooldown. */
  lastFailure: { step: MetaStep; at: string; reason: string } | null;
}
