/**
 * Which Meta call is in flight for a registration. Meta counts `request_code`, `verify_code` and
 * `register` per number (10 register calls per 72 h; repeated requests or wrong codes lock the
 * number), so a duplicate or concurrent trigger must not make a second call: the caller first
 * claims the step in the registration's conditional write, and only the claimant calls Meta. A
 * claim expires after a lease, so a caller that died mid-call blocks nobody for long.
 */
import { DomainError } from './errors';
import type { MetaCallClaim, MetaCallState, MetaStep } from './meta-call-state';
import { evolve, unchanged, type Change, type ChangeContext, type Registration } from './registration';

export type { MetaCallClaim, MetaCallState, MetaStep } from './meta-call-state';

/** Longer than a Meta call with its timeout and the writes around it; short enough to retry the same day. */
export const CLAIM_LEASE_MS = 2 * 60_000;

export function liveClaim(registration: Registration, now: Date): MetaCallClaim | null {
  const claim = registration.metaCall?.claim ?? null;
  return claim && Date.parse(claim.until) > now.getTime() ? claim : null;
}

export const holdsClaim = (registration: Registration, token: string | undefined, now: Date): boolean =>
  token !== undefined && liveClaim(registration, now)?.token === token;

export function inProgress(claim: MetaCallClaim, now: Date): DomainError {
  return new DomainError('operation-in-progress', `Another request is already calling Meta (${claim.step}) for this registration.`, {
    retryAfterSeconds: Math.max(1, Math.min(10, Math.ceil((Date.parse(claim.until) - now.getTime()) / 1000))),
    suggestedAction: 'Read the registration again in a few seconds: the other request finishes the step.',
    transient: true,
  });
}

/**
 * Claims `step` when no other live claim exists; `check` re-applies the use case's rules to the
 * freshest state (it throws to refuse). Refused with `operation-in-progress` while another holds it.
 */
export function claimMetaCall(
  registration: Registration,
  step: MetaStep,
  token: string,
  context: ChangeContext,
  check: (fresh: Registration) => void = () => undefined,
): Change {
  const now = new Date(context.at);
  const held = liveClaim(registration, now);
  if (held && held.token !== token) throw inProgress(held, now);
  check(registration);
  const claim: MetaCallClaim = { step, token, until: new Date(now.getTime() + CLAIM_LEASE_MS).toISOString() };
  return evolve(registration, { metaCall: { claim, lastFailure: registration.metaCall?.lastFailure ?? null } }, context, `Meta ${step} claimed`);
}

/**
 * Whether an earlier call of `step` may have acted at Meta without the registration knowing: it
 * failed without Meta's refusal (its answer lost), or its caller died holding the claim. Meta's view
 * of the number then says what happened, and a second call would repeat an effect Meta counts.
 */
export const earlierCallMayHaveActed = (registration: Registration, step: MetaStep): boolean =>
  registration.metaCall?.lastFailure?.step === step || registration.metaCall?.claim?.step === step;

/** The claim state once `token`'s claim is over (another run's claim is left alone). */
export function released(registration: Registration, token?: string): MetaCallState | null {
  const state = registration.metaCall;
  if (!state) return null;
  if (token !== undefined && state.claim && state.claim.token !== token) return state;
  return { claim: null, lastFailure: state.lastFailure };
}

/** The claimed call failed: the claim is released so a real retry later works, and nothing else moves. */
export function recordMetaCallFailed(registration: Registration, token: string, failure: { step: MetaStep; reason: string }, context: ChangeContext): Change {
  if (registration.metaCall?.claim?.token !== token) return unchanged(registration);
  return evolve(
    registration,
    { metaCall: { claim: null, lastFailure: { step: failure.step, at: context.at, reason: failure.reason } } },
    context,
    `Meta ${failure.step} failed: ${failure.reason}`,
  );
}
