import { DomainError, invalidTransition, notFound, validationFailed } from '../../src/domain/errors';
import { isMetaError, MetaGraphError, type MetaErrorKind } from '../../src/domain/meta';

describe('DomainError', () => {
  it('is permanent unless it says it is transient', () => {
    const permanent = new DomainError('not-found', 'gone');
    expect(permanent).toBeInstanceOf(Error);
    expect(permanent).toMatchObject({ name: 'DomainError', code: 'not-found', message: 'gone', extra: {} });
    expect(permanent.transient).toBe(false);
    expect(new DomainError('concurrency-conflict', 'x', { transient: true }).transient).toBe(true);
    expect(new DomainError('concurrency-conflict', 'x', { transient: false }).transient).toBe(false);
  });

  it('has helpers for the common refusals', () => {
    expect(notFound('Registration r1')).toMatchObject({ code: 'not-found', message: 'Registration r1 does not exist.' });
    expect(invalidTransition('no')).toMatchObject({ code: 'invalid-transition', message: 'no', extra: {} });
    expect(invalidTransition('no', 'do this')).toMatchObject({ extra: { suggestedAction: 'do this' } });
    expect(validationFailed('bad')).toMatchObject({ code: 'validation-failed', message: 'bad', extra: { errors: [] } });
    expect(validationFailed('bad', [{ path: 'a', message: 'b' }]).extra.errors).toEqual([{ path: 'a', message: 'b' }]);
  });
});

describe('MetaGraphError', () => {
  it.each<[MetaErrorKind, boolean]>([
    ['transient', true],
    ['rate-limited', true],
    ['not-ready', true],
    ['object-missing', false],
    ['token', false],
    ['permission', false],
    ['registration-limit', false],
    ['rejected', false],
  ])('%s is transient: %s', (kind, transient) => {
    const error = new MetaGraphError(kind, 'm', { code: 1 });
    expect(error.transient).toBe(transient);
    expect(error).toMatchObject({ name: 'MetaGraphError', kind, message: 'm', details: { code: 1 } });
    expect(new MetaGraphError(kind, 'm').details).toEqual({});
  });

  it('isMetaError tells Meta errors apart, optionally of one kind', () => {
    const error = new MetaGraphError('token', 'expired');
    expect(isMetaError(error)).toBe(true);
    expect(isMetaError(error, 'token')).toBe(true);
    expect(isMetaError(error, 'transient')).toBe(false);
    expect(isMetaError(new Error('x'))).toBe(false);
    expect(isMetaError(new DomainError('internal', 'x'), 'token')).toBe(false);
  });
});
