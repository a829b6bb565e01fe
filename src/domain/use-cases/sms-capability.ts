import { assertMayProbe } from '../access';
import { evolve, type Registration } from '../registration';
import { DomainError, invalidTransition } from '../errors';
import type { SmsSender } from '../ports';
import { contextOf, type OnboardingDependencies, type Trigger, loadRegistration } from './dependencies';

const TAG_PREFIX = 'sms-probe:';
export const smsProbeTag = (registrationId: string): string => `${TAG_PREFIX}${registrationId}`;
export const registrationIdOfTag = (tag: string | null): string | null =>
  tag && tag.startsWith(TAG_PREFIX) ? tag.slice(TAG_PREFIX.length) || null : null;

/** Sends an SMS from the ACS number; its delivery report is the evidence that the number can send SMS. */
export async function requestSmsProbe(
  deps: Pick<OnboardingDependencies, 'registrations' | 'clock'> & { sms: SmsSender },
  input: { id: string; to?: string },
  trigger: Trigger,
): Promise<Registration> {
  const current = await loadRegistration(deps.registrations, input.id, trigger);
  assertMayProbe(trigger.caller, current, input.to);
  if (current.phoneNumberSource !== 'acs') throw invalidTransition('Only an ACS number can be probed: this service cannot send SMS from a bring-your-own number.');
  if (current.stage === 'Cancelled') throw invalidTransition('The registration is cancelled.');
  await deps.sms.send({
    from: current.phoneNumber,
    to: input.to ?? current.phoneNumber,
    message: 'Azure Communication Services: SMS capability check for WhatsApp registration.',
    tag: smsProbeTag(current.id),
  });
  const result = await deps.registrations.update(input.id, (registration) =>
    evolve(registration, { smsCapability: { send: 'pending', checkedAt: contextOf(trigger, deps.clock).at, detail: 'Probe sent; waiting for its delivery report' } }, contextOf(trigger, deps.clock), 'SMS probe sent'),
  );
  return result.registration;
}

/** Applies a delivery report of a probe; an older report never overwrites a newer one. */
export async function handleSmsDeliveryReport(
  deps: Pick<OnboardingDependencies, 'registrations' | 'clock'>,
  report: { tag: string | null; deliveryStatus: string; deliveryStatusDetails: string | null; receivedTimestamp: string | null },
  trigger: Trigger,
): Promise<'recorded' | 'not-a-probe' | 'unknown-registration'> {
  const id = registrationIdOfTag(report.tag);
  if (!id) return 'not-a-probe';
  const at = report.receivedTimestamp ?? contextOf(trigger, deps.clock).at;
  const delivered = report.deliveryStatus.toLowerCase() === 'delivered';
  try {
    await deps.registrations.update(
      id,
      (registration) => {
        const previous = registration.smsCapability?.checkedAt;
        if (registration.smsCapability?.send !== 'pending' && previous && previous > at) return { next: registration, history: [] };
        const detail = [report.deliveryStatus, report.deliveryStatusDetails].filter(Boolean).join(': ');
        return evolve(registration, { smsCapability: { send: delivered ? 'confirmed' : 'failed', checkedAt: at, detail } }, contextOf(trigger, deps.clock), 'SMS probe delivery report');
      },
      trigger.eventId ? { eventId: trigger.eventId } : {},
    );
  } catch (error) {
    if (error instanceof DomainError && error.code === 'not-found') return 'unknown-registration';
    throw error;
  }
  return 'recorded';
}
