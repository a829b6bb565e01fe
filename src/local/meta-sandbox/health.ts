import type { CanSendMessage, SandboxHealth, SandboxPhoneNumber, SandboxState, SandboxWaba } from './state';

/**
 * `health_status` of the phone-number and WABA nodes, in the shape of Meta's document:
 * `{ can_send_message, entities: [{ entity_type, id, can_send_message, errors?: [{ error_code,
 * error_description, possible_solution }] }] }`. The overall answer is the worst of the entities.
 *
 * Each entity is computed from the sandbox's world unless a control route set it
 * (`/_sandbox/phone-numbers/{id}/health`, `/_sandbox/wabas/{id}/health`):
 * - PHONE_NUMBER: `CONNECTED` is AVAILABLE; `RESTRICTED` and `RATE_LIMITED` are LIMITED; any other
 *   status (`BANNED`, `FLAGGED`, `DISCONNECTED`, `DELETED`, `PENDING`, …) is BLOCKED;
 * - WABA: `account_review_status` `REJECTED` is BLOCKED, `RESTRICTED` and `LIMIT_REACHED` LIMITED;
 * - BUSINESS: a business verification other than `verified` is LIMITED;
 * - APP: always AVAILABLE.
 * Error codes 141006, 141010 and 141014 are the ones Meta's document shows; the 1419xx codes are the
 * sandbox's own (Meta documents no code for a number's state).
 */
interface HealthError {
  error_code: number;
  error_description: string;
  possible_solution: string;
}

interface HealthEntity {
  entity_type: 'PHONE_NUMBER' | 'WABA' | 'BUSINESS' | 'APP';
  id: string;
  can_send_message: CanSendMessage;
  errors?: HealthError[];
}

export interface HealthStatus {
  can_send_message: CanSendMessage;
  entities: HealthEntity[];
}

const RANK: Record<CanSendMessage, number> = { AVAILABLE: 0, LIMITED: 1, BLOCKED: 2 };

const error = (error_code: number, error_description: string, possible_solution: string): HealthError => ({
  error_code,
  error_description,
  possible_solution,
});

/** What a number's `status` means for sending (sandbox codes). */
const PHONE_STATUS_HEALTH: Record<string, { canSend: CanSendMessage; error: HealthError }> = {
  RESTRICTED: {
    canSend: 'LIMITED',
    error: error(141901, 'The phone number is restricted.', 'Look at the phone number in WhatsApp Manager and resolve the restriction.'),
  },
  RATE_LIMITED: {
    canSend: 'LIMITED',
    error: error(141902, 'The phone number is rate limited.', 'Send fewer messages and try again later.'),
  },
  BANNED: {
    canSend: 'BLOCKED',
    error: error(141903, 'The phone number is banned.', 'Visit Business Support Home to appeal the ban.'),
  },
  FLAGGED: {
    canSend: 'BLOCKED',
    error: error(141904, 'The phone number is flagged for low quality.', 'Improve the quality of the messages sent from this number.'),
  },
};
const NOT_CONNECTED = error(141905, 'The phone number is not connected to the Cloud API.', 'Register the phone number.');

function entity(entity_type: HealthEntity['entity_type'], id: string, canSend: CanSendMessage, errors: HealthError[]): HealthEntity {
  return { entity_type, id, can_send_message: canSend, ...(errors.length > 0 ? { errors } : {}) };
}

function fromOverride(entity_type: HealthEntity['entity_type'], id: string, health: SandboxHealth): HealthEntity {
  return entity(
    entity_type,
    id,
    health.canSendMessage,
    health.errors.map((item) => error(item.errorCode, item.errorDescription, item.possibleSolution)),
  );
}

function phoneEntity(phone: SandboxPhoneNumber): HealthEntity {
  if (phone.health) return fromOverride('PHONE_NUMBER', phone.id, phone.health);
  if (phone.status === 'CONNECTED') return entity('PHONE_NUMBER', phone.id, 'AVAILABLE', []);
  const known = PHONE_STATUS_HEALTH[phone.status];
  return entity('PHONE_NUMBER', phone.id, known?.canSend ?? 'BLOCKED', [known?.error ?? NOT_CONNECTED]);
}

function wabaEntities(state: SandboxState, waba: SandboxWaba, appId: string): HealthEntity[] {
  const entities: HealthEntity[] = [];
  if (waba.health) entities.push(fromOverride('WABA', waba.id, waba.health));
  else if (waba.accountReviewStatus === 'REJECTED') {
    entities.push(entity('WABA', waba.id, 'BLOCKED', [error(141014, 'The WABA is banned.', 'Visit Business Support Home to appeal the decision.')]));
  } else if (waba.accountReviewStatus === 'RESTRICTED' || waba.accountReviewStatus === 'LIMIT_REACHED') {
    entities.push(entity('WABA', waba.id, 'LIMITED', [error(141906, 'The WABA is restricted.', 'Look at the account in WhatsApp Manager.')]));
  } else entities.push(entity('WABA', waba.id, 'AVAILABLE', []));
  if (waba.businessId !== null && state.business(waba.businessId)) {
    const verified = waba.businessVerificationStatus.toLowerCase() === 'verified';
    entities.push(
      verified
        ? entity('BUSINESS', waba.businessId, 'AVAILABLE', [])
        : entity('BUSINESS', waba.businessId, 'LIMITED', [
            error(141010, 'The Business has not passed business verification.', 'Start or resolve the business verification request in business settings.'),
          ]),
    );
  }
  entities.push(entity('APP', appId, 'AVAILABLE', []));
  return entities;
}

function overall(entities: HealthEntity[]): HealthStatus {
  const worst = entities.reduce<CanSendMessage>((acc, item) => (RANK[item.can_send_message] > RANK[acc] ? item.can_send_message : acc), 'AVAILABLE');
  return { can_send_message: worst, entities };
}

export function phoneHealthStatus(state: SandboxState, phone: SandboxPhoneNumber, appId: string): HealthStatus {
  const waba = state.requireWaba(phone.wabaId);
  return overall([phoneEntity(phone), ...wabaEntities(state, waba, appId)]);
}

export function wabaHealthStatus(state: SandboxState, waba: SandboxWaba, appId: string): HealthStatus {
  return overall(wabaEntities(state, waba, appId));
}
