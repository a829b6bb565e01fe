import { STATUS_DETAILS } from '../../src/domain/account-status';
import { andThen, evolve, messagingOf, newRegistration, outgoingEventsOf, statusDetailsOf, unchanged, type HistoryEntry } from '../../src/domain/registration';

const at = '2026-11-01T10:00:00.000Z';
const fresh = () => newRegistration({ id: 'r1', phoneNumber: '+14255550123', phoneNumberSource: 'byo', at });

describe('newRegistration', () => {
  it('starts at SignupStarted with nothing chosen, version 0', () => {
    expect(fresh()).toEqual({
      id: 'r1',
      phoneNumber: '+14255550123',
      phoneNumberSource: 'byo',
      stage: 'SignupStarted',
      status: null,
      businessAccount: null,
      whatsAppBusinessAccountId: null,
      phoneNumberId: null,
      displayName: null,
      profile: null,
      verification: null,
      metaRegistration: null,
      facts: {},
      messagingLimit: null,
      qualityRating: null,
      smsCapability: null,
      acsChannel: null,
      owner: 'anonymous',
      createdAt: at,
      updatedAt: at,
      version: 0,
    });
  });
});

describe('evolve', () => {
  it('records a move with the cause, the event id when there is one, and the detail', () => {
    const later = '2026-11-01T11:00:00.000Z';
    const moved = evolve(fresh(), { stage: 'BusinessAccountSelected' }, { cause: 'api', at: later, eventId: 'req-1' }, 'chosen');
    expect(moved.next).toMatchObject({ stage: 'BusinessAccountSelected', status: null, updatedAt: later, createdAt: at });
    expect(moved.history).toEqual([
      {
        at: later,
        from: { stage: 'SignupStarted', status: null },
        to: { stage: 'BusinessAccountSelected', status: null },
        cause: 'api',
        eventId: 'req-1',
        actor: 'system',
        detail: 'chosen',
      },
    ]);
    const withoutId = evolve(fresh(), { stage: 'Cancelled' }, { cause: 'reconcile', at }, 'gone');
    expect(withoutId.history[0]).not.toHaveProperty('eventId');
  });

  it('derives status only when Connected, and records a status move at the same stage', () => {
    const connected = evolve(fresh(), { stage: 'Connected', facts: { displayName: { value: 'Pending', at } } }, { cause: 'api', at }, 'c').next;
    expect(connected.status).toBe('DisplayNameReviewPending');
    const approved = evolve(connected, { facts: { displayName: { value: 'Approved', at } } }, { cause: 'account-event', at }, 'approved');
    expect(approved.next.status).toBe('Active');
    expect(approved.history).toMatchObject([
      { from: { stage: 'Connected', status: 'DisplayNameReviewPending' }, to: { stage: 'Connected', status: 'Active' } },
    ]);
    expect(evolve(approved.next, { messagingLimit: 'TIER_1K' }, { cause: 'reconcile', at }, 'limit').history).toEqual([]);
  });

  it('unchanged is the same registration and no history', () => {
    const registration = fresh();
    const change = unchanged(registration);
    expect(change.next).toBe(registration);
    expect(change.history).toEqual([]);
  });

  it('andThen keeps both changes and their history in order', () => {
    const both = andThen(evolve(fresh(), { stage: 'BusinessAccountSelected' }, { cause: 'api', at }, 'one'), (next) =>
      evolve(next, { stage: 'ProfileSelected' }, { cause: 'api', at }, 'two'),
    );
    expect(both.next.stage).toBe('ProfileSelected');
    expect(both.history.map((entry) => entry.detail)).toEqual(['one', 'two']);
  });
});

describe('status details and messaging', () => {
  const connected = { value: 'CONNECTED', at };
  it('nothing can be sent before Connected', () => {
    expect(statusDetailsOf(null)).toBeNull();
    expect(messagingOf({ stage: 'CodeVerified', status: null, facts: {} })).toMatchObject({ canSend: false, limited: false, blockedBy: [] });
  });

  it('follows the status table when Meta reports the number CONNECTED', () => {
    expect(statusDetailsOf('Revoked')).toBe(STATUS_DETAILS.Revoked);
    const facts = { phoneStatus: connected };
    expect(messagingOf({ stage: 'Connected', status: 'Active', facts })).toMatchObject({ canSend: true, limited: false, reason: null });
    expect(messagingOf({ stage: 'Connected', status: 'DisplayNameReviewPending', facts })).toMatchObject({ canSend: true, limited: true });
    expect(messagingOf({ stage: 'Connected', status: 'Disconnected', facts })).toMatchObject({ canSend: false, limited: false });
  });
});

describe('outgoingEventsOf', () => {
  const entry = (from: HistoryEntry['from'], to: HistoryEntry['to']): HistoryEntry => ({ at, from, to, cause: 'sms', actor: 'system', detail: 'd' });

  it('emits one StageChanged per stage move and one StatusChanged per status move, with ids unique per version', () => {
    const events = outgoingEventsOf('r1', 7, [
      entry({ stage: 'CodeVerified', status: null }, { stage: 'Connected', status: 'Active' }),
      entry({ stage: 'Connected', status: 'Active' }, { stage: 'Connected', status: 'Revoked' }),
      entry({ stage: 'SignupStarted', status: null }, { stage: 'Cancelled', status: null }),
    ]);
    expect(events).toEqual([
      {
        id: 'r1:7:0',
        type: 'Registration.StageChanged',
        source: '/registrations/r1',
        subject: 'r1',
        time: at,
        data: { registrationId: 'r1', from: 'CodeVerified', to: 'Connected', cause: 'sms', at },
      },
      {
        id: 'r1:7:1',
        type: 'Registration.StatusChanged',
        source: '/registrations/r1',
        subject: 'r1',
        time: at,
        data: { registrationId: 'r1', from: null, to: 'Active', cause: 'sms', at },
      },
      {
        id: 'r1:7:2',
        type: 'Registration.StatusChanged',
        source: '/registrations/r1',
        subject: 'r1',
        time: at,
        data: { registrationId: 'r1', from: 'Active', to: 'Revoked', cause: 'sms', at },
      },
      {
        id: 'r1:7:3',
        type: 'Registration.StageChanged',
        source: '/registrations/r1',
        subject: 'r1',
        time: at,
        data: { registrationId: 'r1', from: 'SignupStarted', to: 'Cancelled', cause: 'sms', at },
      },
    ]);
    expect(outgoingEventsOf('r1', 8, [])).toEqual([]);
  });
});
