import * as commands from '../../src/domain/commands';
import {
  assertCanChangeDisplayName,
  decideDisplayNameChange,
  nameChangeOutcomeOf,
  reconcileDisplayNameChange,
  recordDisplayNameRequested,
  recordRegisterAgainFailed,
  recordRegisteredAgain,
  registerAgainDue,
  type NameChangeDecision,
} from '../../src/domain/display-name-change';
import { DomainError } from '../../src/domain/errors';
import type { MetaWaba } from '../../src/domain/meta';
import { newRegistration, type ChangeContext, type Registration } from '../../src/domain/registration';
import { metaPhoneNumber } from '../support/meta';

const t0 = Date.parse('2026-11-01T10:00:00.250Z');
const at = (offsetSeconds = 0): string => new Date(t0 + offsetSeconds * 1000).toISOString();
const ctx = (offsetSeconds = 0, cause: ChangeContext['cause'] = 'api'): ChangeContext => ({
  cause,
  at: at(offsetSeconds),
  eventId: 'req-1',
  actor: 'client-app-1',
});

function connected(): Registration {
  let registration = newRegistration({ id: 'r1', phoneNumber: '+14255550123', phoneNumberSource: 'byo', at: at() });
  registration = commands.selectBusinessAccount(registration, { id: '100', name: 'Contoso' }, ctx()).next;
  registration = commands.selectProfile(
    registration,
    { whatsAppBusinessAccountId: '200', displayName: 'Contoso', profile: {}, phoneNumberId: '300', facts: {}, messagingLimit: null, qualityRating: null },
    ctx(),
  ).next;
  registration = commands.recordCodeRequested(registration, { method: 'SMS', language: 'en_US' }, ctx()).next;
  registration = commands.recordRegisteredWithMeta(commands.recordCodeVerified(registration, ctx()).next, ctx()).next;
  return commands.recordConnected(registration, { facts: { displayName: { value: 'Rejected', at: at() } }, messagingLimit: null, qualityRating: null }, ctx())
    .next;
}

const pending = (name = 'Contoso Cycles') => recordDisplayNameRequested(connected(), name, ctx(10), 'token-1').next;

const decision = (overrides: Partial<NameChangeDecision> = {}): NameChangeDecision => ({
  outcome: 'Approved',
  name: 'Contoso Cycles',
  reason: null,
  at: at(20),
  precision: 'second',
  source: 'phone_number_name_update APPROVED',
  ...overrides,
});

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a DomainError';
  }
  return undefined;
};

describe('asking for a new display name', () => {
  it('is allowed on a connected number, also while its name is rejected, and records an entry although no status moves', () => {
    const registration = connected();
    expect(registration.status).toBe('DisplayNameReviewRejected');
    const change = recordDisplayNameRequested(registration, 'Contoso Cycles', ctx(10), 'token-1');
    expect(change.next.displayNameChange).toEqual({
      requested: 'Contoso Cycles',
      requestedAt: at(10),
      state: 'Pending',
      decidedAt: null,
      rejectionReason: null,
      previous: 'Contoso',
      registerAgain: null,
    });
    expect(change.history).toEqual([expect.objectContaining({ cause: 'api', actor: 'client-app-1', from: change.history[0]!.to })]);
  });

  it('is an invalid transition before Connected and when Disconnected, and in progress while pending or not yet registered again', () => {
    const early = newRegistration({ id: 'r2', phoneNumber: '+14255550124', phoneNumberSource: 'acs', at: at() });
    expect(codeOf(() => assertCanChangeDisplayName(early))).toBe('invalid-transition');
    expect(codeOf(() => assertCanChangeDisplayName(commands.disconnect(connected(), ctx()).next))).toBe('invalid-transition');
    expect(codeOf(() => assertCanChangeDisplayName(pending()))).toBe('operation-in-progress');
    const approved = decideDisplayNameChange(pending(), decision(), ctx(20, 'account-event')).next;
    expect(codeOf(() => assertCanChangeDisplayName(approved))).toBe('operation-in-progress');
    expect(codeOf(() => assertCanChangeDisplayName(recordRegisteredAgain(approved, ctx(21), 'token-2').next))).toBeUndefined();
  });
});

describe('Meta’s decision', () => {
  it('an approval sets the name and asks for one register; applied again it changes nothing', () => {
    const approved = decideDisplayNameChange(pending(), decision(), ctx(20, 'account-event'));
    expect(approved.next.displayName).toBe('Contoso Cycles');
    expect(approved.next.displayNameChange).toMatchObject({ state: 'Approved', decidedAt: at(20), registerAgain: { registeredAt: null, attempts: 0 } });
    expect(approved.history).toHaveLength(1);
    expect(registerAgainDue(approved.next, new Date(at(20)))).toBe(true);
    const again = decideDisplayNameChange(approved.next, decision(), ctx(21, 'account-event'));
    expect(again.next).toBe(approved.next);
  });

  it('a rejection keeps the old name and records Meta’s reason', () => {
    const rejected = decideDisplayNameChange(pending(), decision({ outcome: 'Rejected', reason: 'Too generic' }), ctx(20, 'account-event')).next;
    expect(rejected.displayName).toBe('Contoso');
    expect(rejected.displayNameChange).toMatchObject({ state: 'Rejected', rejectionReason: 'Too generic' });
    expect(registerAgainDue(rejected, new Date(at(30)))).toBe(false);
  });

  it('is about the requested name only (case and spacing aside), and never older than the request', () => {
    const registration = pending();
    expect(decideDisplayNameChange(registration, decision({ name: 'Another Name' }), ctx(20)).next).toBe(registration);
    expect(decideDisplayNameChange(registration, decision({ name: ' contoso  CYCLES ' }), ctx(20)).next.displayNameChange?.state).toBe('Approved');
    expect(decideDisplayNameChange(registration, decision({ at: at(-5) }), ctx(20)).next).toBe(registration);
    // A webhook's whole second that holds the request counts; a reading must start after it.
    expect(decideDisplayNameChange(registration, decision({ at: new Date(Math.floor((t0 + 10_000) / 1000) * 1000).toISOString() }), ctx(20)).next).not.toBe(
      registration,
    );
    expect(decideDisplayNameChange(registration, decision({ at: at(10), precision: 'millisecond', name: null }), ctx(20)).next).toBe(registration);
  });

  it('reads new_name_status: APPROVED approves, DECLINED and EXPIRED reject, PENDING_REVIEW and NONE wait', () => {
    expect(['APPROVED', 'AVAILABLE_WITHOUT_REVIEW', 'DECLINED', 'EXPIRED', 'PENDING_REVIEW', 'NONE', null].map(nameChangeOutcomeOf)).toEqual([
      'Approved',
      'Approved',
      'Rejected',
      'Rejected',
      null,
      null,
      null,
    ]);
    const waba = (newNameStatus: string): MetaWaba => ({
      id: '200',
      name: 'WABA',
      accountReviewStatus: 'APPROVED',
      businessVerificationStatus: 'verified',
      phoneNumbers: [metaPhoneNumber({ newNameStatus })],
    });
    const registration = pending();
    expect(reconcileDisplayNameChange(registration, waba('PENDING_REVIEW'), at(30), ctx(30, 'reconcile')).next).toBe(registration);
    expect(reconcileDisplayNameChange(registration, waba('DECLINED'), at(30), ctx(30, 'reconcile')).next.displayNameChange).toMatchObject({
      state: 'Rejected',
      rejectionReason: 'new_name_status DECLINED',
    });
    expect(reconcileDisplayNameChange(registration, waba('APPROVED'), at(30), ctx(30, 'reconcile')).next.displayName).toBe('Contoso Cycles');
  });
});

describe('registering again after an approval', () => {
  const approved = () => decideDisplayNameChange(pending(), decision(), ctx(20, 'account-event')).next;

  it('a failure defers the next attempt; only after its wait is it due again', () => {
    const failed = recordRegisterAgainFailed(approved(), { reason: 'register: transient (2)', notBefore: at(140) }, ctx(20), 'token-2').next;
    expect(failed.displayNameChange?.registerAgain).toMatchObject({ attempts: 1, lastError: 'register: transient (2)', notBefore: at(140) });
    expect(registerAgainDue(failed, new Date(at(100)))).toBe(false);
    expect(registerAgainDue(failed, new Date(at(141)))).toBe(true);
  });

  it('once registered it is never due again, and recording it twice changes nothing', () => {
    const registered = recordRegisteredAgain(approved(), ctx(21), 'token-2').next;
    expect(registered.displayNameChange?.registerAgain).toMatchObject({ registeredAt: at(21), attempts: 1, lastError: null });
    expect(registerAgainDue(registered, new Date(at(500)))).toBe(false);
    expect(recordRegisteredAgain(registered, ctx(22), 'token-3').next).toBe(registered);
  });
});
