import { DomainError } from '../errors';
import { maskPhoneNumber } from '../phone-number';
import type { Registration } from '../registration';
import { parseWhatsAppCode } from '../verification-code';
import type { Ports, Trigger } from './dependencies';
import type { makeSubmitVerificationCode } from './verification';

export type SmsOutcome =
  'verified' | 'no-registration' | 'not-code-requested' | 'byo-number' | 'voice-requested' | 'no-whatsapp-code' | 'code-rejected' | 'not-connected-yet';

type Ignored = Exclude<SmsOutcome, 'verified' | 'code-rejected' | 'not-connected-yet' | 'no-whatsapp-code'>;

/**
 * Why no registration of this number takes its code from an SMS. Ops read this line when a code
 * "went missing", so it names the one condition that failed instead of a catch-all.
 */
function whyNotWaiting(registrations: Registration[]): { outcome: Ignored; reason: string; registrationId?: string } {
  const live = registrations.filter((registration) => registration.stage !== 'Cancelled');
  const newest = live[0] ?? registrations[0];
  if (!newest) return { outcome: 'no-registration', reason: 'no registration has this number' };
  const registrationId = newest.id;
  if (live.length === 0) return { outcome: 'no-registration', reason: 'every registration of this number is cancelled', registrationId };
  if (newest.phoneNumberSource === 'byo') {
    return { outcome: 'byo-number', reason: 'the number is bring-your-own: its code is entered by the client app, not read from ACS', registrationId };
  }
  if (newest.stage !== 'CodeRequested') {
    return { outcome: 'not-code-requested', reason: `the registration is in stage ${newest.stage}, not CodeRequested`, registrationId };
  }
  return { outcome: 'voice-requested', reason: 'the code was requested by voice call, not by SMS', registrationId };
}

/**
 * The WhatsApp code of an ACS number arrives as an SMS to that number: find the registration
 * waiting for it, read the code, verify and register, with no human in the loop. A redelivered
 * SMS finds the registration no longer waiting and changes nothing (and calls Meta no more).
 */
export const makeHandleSmsReceived =
  (deps: Pick<Ports, 'registrations'> & { submitVerificationCode: ReturnType<typeof makeSubmitVerificationCode> }) =>
  async (sms: { to: string; message: string }, trigger: Trigger): Promise<SmsOutcome> => {
    const registrations = await deps.registrations.listByPhoneNumber(sms.to);
    const registration = registrations.find(
      (candidate) => candidate.stage === 'CodeRequested' && candidate.phoneNumberSource === 'acs' && candidate.verification?.method === 'SMS',
    );
    if (!registration) {
      const { outcome, reason, registrationId } = whyNotWaiting(registrations);
      trigger.log.info(`SMS ignored: ${reason}`, { to: maskPhoneNumber(sms.to), ...(registrationId ? { registrationId } : {}), eventId: trigger.eventId });
      return outcome;
    }
    const code = parseWhatsAppCode(sms.message);
    if (!code) {
      trigger.log.info('SMS ignored: the text holds no WhatsApp verification code', {
        to: maskPhoneNumber(sms.to),
        registrationId: registration.id,
        eventId: trigger.eventId,
      });
      return 'no-whatsapp-code';
    }
    try {
      const after = await deps.submitVerificationCode({ id: registration.id, code }, trigger);
      return after.stage === 'Connected' ? 'verified' : 'not-connected-yet';
    } catch (error) {
      // A rejected code will not become right on redelivery: acknowledge, do not retry.
      if (error instanceof DomainError && ['verification-code-rejected', 'verification-locked', 'invalid-transition'].includes(error.code)) {
        trigger.log.warn(`SMS code not applied: ${error.code}`, { registrationId: registration.id, eventId: trigger.eventId });
        return 'code-rejected';
      }
      throw error;
    }
  };
