import { DomainError } from '../../src/domain/errors';
import { CLAIM_LEASE_MS, claimMetaCall, recordMetaCallFailed } from '../../src/domain/meta-call';
import { newRegistration, type ChangeContext } from '../../src/domain/registration';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (ms: number): ChangeContext => ({ cause: 'api', at: new Date(T0 + ms).toISOString() });
const fresh = () => ({
  ...newRegistration({ id: 'r1', phoneNumber: '+14255550123', phoneNumberSource: 'byo', at: at(0).at }),
  stage: 'CodeRequested' as const,
});

describe('claiming a Meta call', () => {
  it('refuses a second claimant while the first one holds the step, with a retry hint', () => {
    const claimed = claimMetaCall(fresh(), 'verify_code', 'a', at(0)).next;
    let refused: unknown;
    try {
      claimMetaCall(claimed, 'verify_code', 'b', at(1000));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'operation-in-progress', transient: true, extra: { retryAfterSeconds: expect.any(Number) } });
  });

  it('lets another claimant in once the lease has run out (a claimant that died blocks nobody for long)', () => {
    const claimed = claimMetaCall(fresh(), 'register', 'a', at(0)).next;
    expect(claimMetaCall(claimed, 'register', 'b', at(CLAIM_LEASE_MS + 1)).next.metaCall?.claim?.token).toBe('b');
  });

  it('releases the claim on failure and records it, without touching another claimant’s claim', () => {
    const claimed = claimMetaCall(fresh(), 'request_code', 'a', at(0)).next;
    const failed = recordMetaCallFailed(claimed, 'a', { step: 'request_code', reason: 'transient' }, at(10)).next;
    expect(failed.metaCall).toEqual({ claim: null, lastFailure: { step: 'request_code', at: at(10).at, reason: 'transient' } });
    expect(failed.stage).toBe('CodeRequested');
    expect(recordMetaCallFailed(claimed, 'other', { step: 'request_code', reason: 'x' }, at(10)).next).toBe(claimed);
  });

  it('runs the use case rule against the fresh state before claiming', () => {
    expect(() =>
      claimMetaCall(fresh(), 'verify_code', 'a', at(0), () => {
        throw new DomainError('invalid-transition', 'no');
      }),
    ).toThrow('no');
  });
});
