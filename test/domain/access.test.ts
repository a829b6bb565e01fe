import { accessible, assertMayProbe, mayAccess, scopedFilter, scopedIdempotencyKey, type Caller } from '../../src/domain/access';
import { DomainError } from '../../src/domain/errors';
import { newRegistration } from '../../src/domain/registration';

const writer: Caller = { id: 'app-1', roles: ['Registrations.Write'] };
const ops: Caller = { id: 'ops-1', roles: ['Registrations.Ops'] };
const both: Caller = { id: 'app-2', roles: ['Registrations.Write', 'Registrations.Ops'] };
const mine = newRegistration({ id: 'r1', phoneNumber: '+14255550123', phoneNumberSource: 'acs', owner: 'app-1', at: '2026-11-01T10:00:00.000Z' });
const theirs = { ...mine, id: 'r2', owner: 'app-9' };

describe('who may see a registration (docs/design.md §5.1)', () => {
  it('a Write caller its own only; Ops (alone or with Write) and the system everything', () => {
    expect([mine, theirs].map((r) => mayAccess(writer, r))).toEqual([true, false]);
    expect([mine, theirs].map((r) => mayAccess(ops, r))).toEqual([true, true]);
    expect(mayAccess(both, theirs)).toBe(true);
    expect(mayAccess(undefined, theirs)).toBe(true);
  });

  it('answers another owner’s registration with the not-found of a missing one', () => {
    const refusal = (() => {
      try {
        accessible(writer, 'r2', theirs);
      } catch (error) {
        return error;
      }
      return null;
    })();
    const missing = (() => {
      try {
        accessible(writer, 'r2', null);
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toEqual(missing);
    expect({ code: (refusal as DomainError).code, message: (refusal as DomainError).message }).toEqual({
      code: 'not-found',
      message: 'Registration r2 does not exist.',
    });
  });

  it('narrows a Write caller’s list to its own whatever the filter, and leaves Ops’ alone', () => {
    expect(scopedFilter(writer, { status: 'Active' })).toEqual({ status: 'Active', owner: 'app-1' });
    expect(scopedFilter(writer, { owner: 'app-1' })).toEqual({ owner: 'app-1' });
    expect(scopedFilter(writer, { owner: 'app-9' })).toBeNull();
    expect(scopedFilter(ops, { owner: 'app-9', stage: 'Connected' })).toEqual({ owner: 'app-9', stage: 'Connected' });
    expect(scopedFilter(ops, {})).toEqual({});
  });

  it('scopes Idempotency-Keys by caller, so equal keys of two callers never meet', () => {
    expect(scopedIdempotencyKey(writer, 'k')).not.toBe(scopedIdempotencyKey({ ...writer, id: 'app-9' }, 'k'));
    // The separator cannot be forged by a caller id ending in what a key begins with.
    expect(scopedIdempotencyKey({ ...writer, id: 'a' }, 'b\nc')).not.toBe(scopedIdempotencyKey({ ...writer, id: 'a\nb' }, 'c'));
  });

  it('lets only Ops probe a number other than the registration’s own', () => {
    expect(() => assertMayProbe(writer, mine, undefined)).not.toThrow();
    expect(() => assertMayProbe(writer, mine, '+1 (425) 555-0123')).not.toThrow();
    expect(() => assertMayProbe(writer, mine, '+14255550199')).toThrow(expect.objectContaining({ code: 'forbidden' }));
    expect(() => assertMayProbe(ops, mine, '+14255550199')).not.toThrow();
  });
});
