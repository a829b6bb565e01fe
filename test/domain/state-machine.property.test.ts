import fc from 'fast-check';
import type { AccountFacts } from '../../src/domain/account-status';
import { deriveStatus } from '../../src/domain/account-status';
import * as commands from '../../src/domain/commands';
import { DomainError } from '../../src/domain/errors';
import { newRegistration, type Change, type ChangeContext, type Registration } from '../../src/domain/registration';
import type { Stage } from '../../src/domain/stages';

/** docs/design.md §2.1: every stage move a sequence of commands may make (same-stage moves are always fine). */
const ALLOWED: Record<Stage, Stage[]> = {
  SignupStarted: ['BusinessAccountSelected', 'Cancelled'],
  BusinessAccountSelected: ['ProfileSelected', 'Cancelled'],
  ProfileSelected: ['BusinessAccountSelected', 'CodeRequested', 'Cancelled'],
  CodeRequested: ['CodeVerified', 'Cancelled'],
  CodeVerified: ['Connected', 'Cancelled'],
  Connected: ['ProfileSelected'],
  Cancelled: [],
};

const factArb: fc.Arbitrary<Partial<AccountFacts>> = fc.record(
  {
    wabaAccess: fc.record({ value: fc.constantFrom('ok' as const, 'suspect' as const, 'revoked' as const), at: fc.constant('') }),
    phone: fc.record({ value: fc.constantFrom('present' as const, 'deleted' as const), at: fc.constant('') }),
    accountReview: fc.record({ value: fc.constantFrom('APPROVED', 'REJECTED', 'PENDING'), at: fc.constant('') }),
    displayName: fc.record({ value: fc.constantFrom('Approved' as const, 'Pending' as const, 'Rejected' as const, 'NotStarted' as const), at: fc.constant('') }),
  },
  { requiredKeys: [] },
);

type Command = (registration: Registration, context: ChangeContext) => Change;

const commandArb: fc.Arbitrary<[string, Command]> = fc.oneof(
  fc.constant<[string, Command]>(['selectBusiness', (r, c) => commands.selectBusinessAccount(r, { id: '100', name: 'B' }, c)]),
  fc.constant<[string, Command]>(['selectProfile', (r, c) => commands.selectProfile(r, { whatsAppBusinessAccountId: '200', displayName: 'D', profile: {}, phoneNumberId: '300', facts: {}, messagingLimit: null, qualityRating: null }, c)]),
  fc.constantFrom<'SMS' | 'VOICE'>('SMS', 'VOICE').map<[string, Command]>((method) => ['requestCode', (r, c) => commands.recordCodeRequested(r, { method, language: 'en_US' }, c)]),
  fc.constant<[string, Command]>(['codeRejected', (r, c) => commands.recordCodeRejected(r, c)]),
  fc.constant<[string, Command]>(['codeVerified', (r, c) => commands.recordCodeVerified(r, c)]),
  fc.constant<[string, Command]>(['registeredWithMeta', (r, c) => commands.recordRegisteredWithMeta(r, c)]),
  fc.constant<[string, Command]>(['registrationFailed', (r, c) => commands.recordMetaRegistrationFailed(r, { reason: 'x', notBefore: c.at, countsAsAttempt: true }, c)]),
  factArb.map<[string, Command]>((facts) => ['connected', (r, c) => commands.recordConnected(r, { facts: stamp(facts, c.at), messagingLimit: null, qualityRating: null }, c)]),
  factArb.map<[string, Command]>((facts) => ['observe', (r, c) => commands.applyObservation(r, { facts: stamp(facts, c.at) }, c, 'observed')]),
  fc.constant<[string, Command]>(['disconnect', (r, c) => commands.disconnect(r, c)]),
  fc.constant<[string, Command]>(['reconnect', (r, c) => commands.reconnect(r, '301', c)]),
  fc.constant<[string, Command]>(['cancel', (r, c) => commands.cancel(r, c)]),
);

function stamp(facts: Partial<AccountFacts>, at: string): Partial<AccountFacts> {
  return Object.fromEntries(Object.entries(facts).map(([name, fact]) => [name, { ...fact, at }]));
}

describe('registration state machine (property)', () => {
  it('no sequence of commands reaches a state the rules forbid', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(commandArb, fc.integer({ min: 0, max: 4000 })), { maxLength: 40 }), (steps) => {
        let registration = newRegistration({ id: 'r', phoneNumber: '+14255550123', phoneNumberSource: 'acs', at: '2026-11-01T00:00:00.000Z' });
        let clock = Date.parse('2026-11-01T00:00:00.000Z');
        for (const [[, command], advance] of steps) {
          clock += advance * 1000;
          const context: ChangeContext = { cause: 'api', at: new Date(clock).toISOString() };
          let change: Change;
          try {
            change = command(registration, context);
          } catch (error) {
            // Refusals are typed and change nothing.
            expect(error).toBeInstanceOf(DomainError);
            expect(['invalid-transition', 'verification-cooldown']).toContain((error as DomainError).code);
            continue;
          }
          const before = registration;
          const after = change.next;
          if (after.stage !== before.stage) expect(ALLOWED[before.stage]).toContain(after.stage);
          // Status exists exactly when connected, and always follows from the facts.
          if (after.stage === 'Connected') expect(after.status).toBe(deriveStatus(after.facts));
          else expect(after.status).toBeNull();
          // Every visible move is recorded, and nothing else is.
          const moved = after.stage !== before.stage || after.status !== before.status;
          expect(change.history).toHaveLength(moved ? 1 : 0);
          if (moved) expect(change.history[0]).toMatchObject({ from: { stage: before.stage, status: before.status }, to: { stage: after.stage, status: after.status } });
          if (['CodeRequested', 'CodeVerified'].includes(after.stage)) expect(after.verification).not.toBeNull();
          if (['ProfileSelected', 'CodeRequested', 'CodeVerified', 'Connected'].includes(after.stage)) expect(after.phoneNumberId).not.toBeNull();
          registration = after;
        }
      }),
      { numRuns: 400 },
    );
  });
});
