import { assertMayProbe } from '../access';
import { evolve, unchanged, type Registration, type SmsCapability } from '../registration';
import { DomainError, invalidTransition } from '../errors';
import { readOutsideTime } from '../outside-time';
import { contextOf, loadRegistration, type Ports, type Trigger } from './dependencies';

const TAG_PREFIX = 'sms-probe:';
export const smsProbeTag = (registrationId: string): string => `${TAG_PREFIX}${registrationId}`;
export const registrationIdOfTag = (tag: string | null): string | null => (tag && tag.startsWith(TAG_PREFIX) ? tag.slice(TAG_PREFIX.length) || null : null);

/** Each probe is a paid SMS: one per registration per this long, whoever asks and whatever the recipient. */
export const SMS_PROBE_COOLDOWN_MS = 10 * 60_000;
/** A probe whose message id was never recorded (the sender died after sending) is given up after this. */
const PROBE_RECORDING_GRACE_MS = 10 * 60_000;

/**
 * How long a probe waits for its delivery report: after this it reads `unconfirmed` (docs/adr/0036).
 * ACS publishes the report on Event Grid, which retries a delivery for 24 h by default, so a report
 * that has not arrived by then is most likely never coming. A later one still confirms the probe.
 */
export const SMS_PROBE_REPORT_TIMEOUT_MS = 24 * 60 * 60_000;

/** What the API shows of a registration's SMS capability. */
export interface SmsCapabilityView {
  send: SmsCapability['send'] | 'unconfirmed';
  checkedAt: string | null;
  detail: string | null;
}

/**
 * The capability as of `now`: a probe still pending after SMS_PROBE_REPORT_TIMEOUT_MS reads
 * `unconfirmed`, checked at its deadline. Computed when read, never stored, so nothing has to run
 * for it to happen and a late report finds the probe as it was left (pending) and confirms it.
 */
export function smsCapabilityAsOf(capability: SmsCapability, now: Date): SmsCapabilityView {
  const view = { send: capability.send, checkedAt: capability.checkedAt, detail: capability.detail };
  const sentAt = capability.probeSentAt ? Date.parse(capability.probeSentAt) : Number.NaN;
  if (capability.send !== 'pending' || !Number.isFinite(sentAt)) return view;
  const deadline = sentAt + SMS_PROBE_REPORT_TIMEOUT_MS;
  if (now.getTime() <= deadline) return view;
  return {
    send: 'unconfirmed',
    checkedAt: new Date(deadline).toISOString(),
    detail: `No delivery report within ${SMS_PROBE_REPORT_TIMEOUT_MS / 3_600_000} h of the probe sent at ${capability.probeSentAt}; send another probe to check again`,
  };
}

export function smsProbeCooldown(registration: Registration, now: Date): number {
  const sentAt = registration.smsCapability?.probeSentAt;
  if (!sentAt) return 0;
  return Math.max(0, Math.ceil((Date.parse(sentAt) + SMS_PROBE_COOLDOWN_MS - now.getTime()) / 1000));
}

function assertCanProbe(registration: Registration, now: Date): void {
  if (registration.phoneNumberSource !== 'acs')
    throw invalidTransition('Only an ACS number can be probed: this service cannot send SMS from a bring-your-own number.');
  if (registration.stage === 'Cancelled') throw invalidTransition('The registration is cancelled.');
  const wait = smsProbeCooldown(registration, now);
  if (wait > 0) {
    throw new DomainError('sms-probe-cooldown', `An SMS probe was sent recently; wait ${wait} s before sending another.`, {
      retryAfterSeconds: wait,
      suggestedAction: 'Wait for the delivery report of the last probe (smsCapability), or try again after the cooldown.',
    });
  }
}

/**
 * Sends an SMS from the ACS number; its delivery report is the evidence that the number can send
 * SMS. The probe is claimed in storage first (that starts the cooldown), so racing requests send
 * one SMS; a send that fails gives the claim back.
 */
export const makeRequestSmsProbe =
  (deps: Pick<Ports, 'registrations' | 'clock' | 'sms'>) =>
  async (input: { id: string; to?: string }, trigger: Trigger): Promise<Registration> => {
    const current = await loadRegistration(deps.registrations, input.id, trigger);
    assertMayProbe(trigger.caller, current, input.to);
    assertCanProbe(current, deps.clock.now());
    const context = contextOf(trigger, deps.clock);
    const sentAt = context.at;
    let before: SmsCapability | null = null;
    await deps.registrations.update(input.id, (registration) => {
      assertCanProbe(registration, new Date(sentAt));
      before = registration.smsCapability;
      return evolve(
        registration,
        { smsCapability: { send: 'pending', checkedAt: sentAt, detail: 'Probe being sent', probeSentAt: sentAt, probeMessageId: null } },
        context,
        'SMS probe claimed',
      );
    });
    const ours = (registration: Registration): boolean => registration.smsCapability?.probeSentAt === sentAt;
    let messageId: string;
    try {
      ({ messageId } = await deps.sms.send({
        from: current.phoneNumber,
        to: input.to ?? current.phoneNumber,
        message: 'Azure Communication Services: SMS capability check for WhatsApp registration.',
        tag: smsProbeTag(current.id),
      }));
    } catch (error) {
      const previous = before;
      await deps.registrations
        .update(input.id, (registration) =>
          ours(registration)
            ? evolve(registration, { smsCapability: previous }, contextOf(trigger, deps.clock), 'SMS probe not sent')
            : unchanged(registration),
        )
        .catch((releaseError: unknown) =>
          trigger.log.warn('SMS probe claim not released; the cooldown runs out by itself', { registrationId: input.id, error: String(releaseError) }),
        );
      throw error;
    }
    const result = await deps.registrations.update(input.id, (registration) => {
      if (!ours(registration)) return unchanged(registration);
      const capability = registration.smsCapability!;
      // The delivery report may have come first; it is then waiting for this id (see below).
      return evolve(
        registration,
        {
          smsCapability: {
            ...capability,
            probeMessageId: messageId,
            detail: capability.send === 'pending' ? 'Probe sent; waiting for its delivery report' : capability.detail,
          },
        },
        contextOf(trigger, deps.clock),
        'SMS probe sent',
      );
    });
    return result.registration;
  };

export type DeliveryReportOutcome = 'recorded' | 'not-a-probe' | 'unknown-registration' | 'unknown-probe' | 'older';

/**
 * Applies the delivery report of the probe this service sent (matched by ACS's message id, so a
 * report merely tagged like a probe counts for nothing); an older report never overwrites a newer
 * one, and the report's time is validated like every time from outside.
 */
export const makeHandleSmsDeliveryReport =
  (deps: Pick<Ports, 'registrations' | 'clock'>) =>
  async (
    report: { messageId: string; tag: string | null; deliveryStatus: string; deliveryStatusDetails: string | null; receivedTimestamp: string | null },
    trigger: Trigger,
  ): Promise<DeliveryReportOutcome> => {
    const id = registrationIdOfTag(report.tag);
    if (!id) return 'not-a-probe';
    const now = deps.clock.now();
    const reported = report.receivedTimestamp === null ? null : readOutsideTime(report.receivedTimestamp, now);
    if (reported && !reported.ok)
      trigger.log.warn('Delivery report time malformed: the time of receipt is used', { eventId: trigger.eventId, reason: reported.reason });
    const at = reported?.ok ? reported.iso : now.toISOString();
    const delivered = report.deliveryStatus.toLowerCase() === 'delivered';
    let outcome: DeliveryReportOutcome = 'recorded';
    try {
      await deps.registrations.update(
        id,
        (registration) => {
          const skip = (why: DeliveryReportOutcome) => {
            outcome = why;
            return unchanged(registration);
          };
          const capability = registration.smsCapability;
          if (!capability?.probeSentAt) return skip('unknown-probe');
          if (!capability.probeMessageId) {
            // The probe was sent but its id is not recorded yet: let Event Grid bring the report again.
            if (Date.parse(capability.probeSentAt) + PROBE_RECORDING_GRACE_MS > now.getTime()) {
              throw new DomainError('operation-in-progress', 'The probe this report belongs to is still being recorded.', { transient: true });
            }
            return skip('unknown-probe');
          }
          if (capability.probeMessageId !== report.messageId) return skip('unknown-probe');
          const previous = capability.checkedAt;
          if (capability.send !== 'pending' && previous && previous > at) return skip('older');
          const detail = [report.deliveryStatus, report.deliveryStatusDetails].filter(Boolean).join(': ');
          return evolve(
            registration,
            { smsCapability: { ...capability, send: delivered ? 'confirmed' : 'failed', checkedAt: at, detail } },
            contextOf(trigger, deps.clock),
            'SMS probe delivery report',
          );
        },
        trigger.eventId ? { eventId: trigger.eventId } : {},
      );
    } catch (error) {
      if (error instanceof DomainError && error.code === 'not-found') return 'unknown-registration';
      throw error;
    }
    return outcome;
  };
