import { DomainError } from '../errors';
import { maskPhoneNumber } from '../phone-number';
import { parseWhatsAppCode } from '../verification-code';
import type { OnboardingDependencies, Trigger } from './dependencies';
import { submitVerificationCode } from './verification';

export type SmsOutcome = 'verified' | 'no-registration-waiting' | 'no-whatsapp-code' | 'code-rejected' | 'not-connected-yet';

/**
 * The WhatsApp code of an ACS number arrives as an SMS to that number: find the registration
 * waiting for it, read the code, verify and register, with no human in the loop. A redelivered
 * SMS finds the registration no longer waiting and changes nothing (and calls Meta no more).
 */
export async function handleSmsReceived(
  deps: Pick<OnboardingDependencies, 'registrations' | 'meta' | 'clock' | 'ids'>,
  sms: { to: string; message: string },
  trigger: Trigger,
): Promise<SmsOutcome> {
  const waiting = (await deps.registrations.listByPhoneNumber(sms.to)).filter(
    (registration) => registration.stage === 'CodeRequested' && registration.phoneNumberSource === 'acs' && registration.verification?.method === 'SMS',
  );
  const registration = waiting[0];
  if (!registration) {
    trigger.log.info('SMS ignored: no registration is waiting for a code on this number', { to: maskPhoneNumber(sms.to), eventId: trigger.eventId });
    return 'no-registration-waiting';
  }
  const code = parseWhatsAppCode(sms.message);
  if (!code) {
    trigger.log.info('SMS ignored: it holds no WhatsApp verification code', { to: maskPhoneNumber(sms.to), registrationId: registration.id, eventId: trigger.eventId });
    return 'no-whatsapp-code';
  }
  try {
    const after = await submitVerificationCode(deps, { id: registration.id, code }, trigger);
    return after.stage === 'Connected' ? 'verified' : 'not-connected-yet';
  } catch (error) {
    // A rejected code will not become right on redelivery: acknowledge, do not retry.
    if (error instanceof DomainError && ['verification-code-rejected', 'verification-locked', 'invalid-transition'].includes(error.code)) {
      trigger.log.warn(`SMS code not applied: ${error.code}`, { registrationId: registration.id, eventId: trigger.eventId });
      return 'code-rejected';
    }
    throw error;
  }
}
