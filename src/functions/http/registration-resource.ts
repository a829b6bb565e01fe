import type { HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import { describeStatus } from '../../domain/messaging';
import { messagingOf, type Registration } from '../../domain/registration';
import { smsCapabilityAsOf } from '../../domain/use-cases/sms-capability';
import { etagOf } from './endpoint';
import type { registrationResource } from './schemas';

export type RegistrationResource = z.infer<typeof registrationResource>;

/**
 * The registration as the API shows it (docs/design.md §5): derived fields in, internals (facts,
 * version) out. What depends on the time of reading (an SMS probe past its wait) is read as of `now`,
 * the app's clock when the answer is made, so a test that moves the clock sees what a caller would.
 */
export function toRegistrationResource(registration: Registration, now: Date): RegistrationResource {
  const answer = messagingOf(registration);
  // The suggested action goes into statusDetails (describeStatus), not into messaging.
  const { suggestedAction: _action, ...messaging } = answer;
  const details = registration.status ? describeStatus(registration.status, answer) : null;
  const business = registration.businessAccount;
  return {
    id: registration.id,
    phoneNumber: registration.phoneNumber,
    phoneNumberSource: registration.phoneNumberSource,
    stage: registration.stage,
    status: registration.status,
    statusDetails: details ? { label: details.label, meaning: details.meaning, suggestedAction: details.suggestedAction } : null,
    messaging: { ...messaging, messagingLimit: registration.messagingLimit, qualityRating: registration.qualityRating },
    businessAccount: business ? { id: business.id, name: business.name, ...(business.toCreate ? { pendingCreation: business.toCreate } : {}) } : null,
    whatsAppBusinessAccountId: registration.whatsAppBusinessAccountId,
    phoneNumberId: registration.phoneNumberId,
    displayName: registration.displayName,
    profile: registration.profile,
    verification: registration.verification
      ? {
          method: registration.verification.method,
          language: registration.verification.language,
          requestedAt: registration.verification.requestedAt,
          attempts: registration.verification.attempts,
          verifiedAt: registration.verification.verifiedAt,
        }
      : null,
    metaRegistration: registration.metaRegistration
      ? {
          registeredAt: registration.metaRegistration.registeredAt,
          lastError: registration.metaRegistration.lastError,
          retryNotBefore: registration.metaRegistration.notBefore,
        }
      : null,
    smsCapability: registration.smsCapability ? smsCapabilityAsOf(registration.smsCapability, now) : null,
    acsChannel: registration.acsChannel,
    displayNameChange: displayNameChangeOf(registration),
    ...(registration.metaRefusal
      ? {
          needsAttention: {
            reason: 'meta-request-refused' as const,
            operation: registration.metaRefusal.operation,
            since: registration.metaRefusal.since,
            retryNotBefore: registration.metaRefusal.notBefore,
          },
        }
      : {}),
    owner: registration.owner,
    createdAt: registration.createdAt,
    updatedAt: registration.updatedAt,
  };
}

function displayNameChangeOf(registration: Registration): RegistrationResource['displayNameChange'] {
  const change = registration.displayNameChange;
  if (!change) return null;
  const again = change.registerAgain;
  return {
    requested: change.requested,
    requestedAt: change.requestedAt,
    state: change.state,
    decidedAt: change.decidedAt,
    rejectionReason: change.rejectionReason,
    registeredAgain: again ? { registeredAt: again.registeredAt, lastError: again.lastError, retryNotBefore: again.notBefore } : null,
  };
}

export function registrationResponse(registration: Registration, now: Date, status = 200, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status,
    headers: { 'content-type': 'application/json', etag: etagOf(registration.version), ...headers },
    body: JSON.stringify(toRegistrationResource(registration, now)),
  };
}

export const jsonResponse = (body: unknown, status = 200, headers: Record<string, string> = {}): HttpResponseInit => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
