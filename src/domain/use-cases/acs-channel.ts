import { disconnect } from '../commands';
import { DomainError, invalidTransition } from '../errors';
import { evolve, type Registration } from '../registration';
import { contextOf, ifMatchOf, loadRegistration, type Ports, type Trigger } from './dependencies';

/** Links the ACS Advanced Messaging channel that serves this number, after checking it exists. */
export const makeLinkAcsChannel =
  (deps: Pick<Ports, 'registrations' | 'clock' | 'acsChannels'>) =>
  async (input: { id: string; channelRegistrationId: string; ifMatchVersion?: number }, trigger: Trigger): Promise<Registration> => {
    const current = await loadRegistration(deps.registrations, input.id, trigger);
    if (current.stage === 'Cancelled') throw invalidTransition('The registration is cancelled.');
    if (!(await deps.acsChannels.probe(input.channelRegistrationId)).exists) {
      throw new DomainError('acs-channel-not-found', `Communication Services has no channel ${input.channelRegistrationId}.`, {
        suggestedAction: 'Copy the channel id from the Advanced Messaging page of the Communication Services resource.',
      });
    }
    const result = await deps.registrations.update(
      input.id,
      (registration) =>
        evolve(
          registration,
          { acsChannel: { channelRegistrationId: input.channelRegistrationId, reachable: true, checkedAt: contextOf(trigger, deps.clock).at } },
          contextOf(trigger, deps.clock),
          'ACS channel linked',
        ),
      ifMatchOf(input),
    );
    return result.registration;
  };

/** How the history and the log name ACS's answer: `HTTP 404 NotFound`. */
const evidenceOf = (probe: { status: number | null; code: string | null }): string =>
  [probe.status === null ? null : `HTTP ${probe.status}`, probe.code].filter(Boolean).join(' ') || 'no call made';

/**
 * Probes a linked channel: a channel that no longer exists means the number was disconnected on
 * the Azure portal side (docs/design.md §2.2), which is sticky until reconnect. What ACS answered
 * is logged and kept in the history, since that one answer decides a sticky status.
 */
export async function probeAcsChannel(
  deps: Pick<Ports, 'registrations' | 'clock' | 'acsChannels'>,
  registration: Registration,
  trigger: Trigger,
): Promise<Registration> {
  const channel = registration.acsChannel;
  if (!channel) return registration;
  const probe = await deps.acsChannels.probe(channel.channelRegistrationId);
  if (!probe.exists) {
    trigger.log.warn('ACS channel not found', {
      registrationId: registration.id,
      channelRegistrationId: channel.channelRegistrationId,
      status: probe.status,
      code: probe.code,
    });
  }
  const result = await deps.registrations.update(registration.id, (fresh) => {
    const context = contextOf(trigger, deps.clock);
    const checked = evolve(fresh, { acsChannel: { ...fresh.acsChannel!, reachable: probe.exists, checkedAt: context.at } }, context, 'ACS channel probed');
    if (probe.exists || fresh.stage !== 'Connected') return checked;
    const gone = disconnect(checked.next, context, `The ACS channel no longer exists (${evidenceOf(probe)}): disconnected on the Azure portal side`);
    return { next: gone.next, history: [...checked.history, ...gone.history] };
  });
  return result.registration;
}
