import { decodePrincipal } from '../../../src/functions/http/principal';
import { encodePrincipal, ENTRA_ROLE_TYPE, OPS, principalJson, WRITE } from '../../support/principal';

const decode = (json: unknown) => decodePrincipal(encodePrincipal(json));

describe('X-MS-CLIENT-PRINCIPAL decoding', () => {
  it('reads roles from claims typed as role_typ', () => {
    expect(decode(principalJson({ id: 'app-1', roles: [WRITE] }))).toEqual({ id: 'app-1', roles: [WRITE] });
  });

  it('reads roles from claims typed `roles`, whatever role_typ says', () => {
    expect(decode(principalJson({ id: 'app-1', roles: [OPS, WRITE], roleClaim: 'roles' }))).toEqual({ id: 'app-1', roles: [OPS, WRITE] });
  });

  it('honours a role_typ other than the usual one', () => {
    const json = {
      auth_typ: 'aad',
      role_typ: 'custom-role',
      claims: [
        { typ: 'azp', val: 'app-1' },
        { typ: 'custom-role', val: OPS },
        { typ: ENTRA_ROLE_TYPE, val: WRITE },
      ],
    };
    expect(decode(json)).toEqual({ id: 'app-1', roles: [OPS] });
  });

  it('ignores roles this service does not define and counts a role once', () => {
    expect(decode(principalJson({ id: 'app-1', roles: ['Registrations.Admin', 'registrations.write', WRITE, WRITE] }))?.roles).toEqual([WRITE]);
  });

  it('a principal without roles is still a caller (the endpoint then answers 403)', () => {
    expect(decode(principalJson({ id: 'app-1' }))).toEqual({ id: 'app-1', roles: [] });
  });

  it.each([
    ['azp first', ['azp', 'appid', 'http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'], 'azp'],
    ['appid before the object ids', ['oid', 'http://schemas.microsoft.com/identity/claims/objectidentifier', 'appid'], 'appid'],
    [
      'objectidentifier before oid',
      ['oid', 'http://schemas.microsoft.com/identity/claims/objectidentifier'],
      'http://schemas.microsoft.com/identity/claims/objectidentifier',
    ],
    ['oid last', ['oid', 'name'], 'oid'],
  ])('takes the caller id by claim priority, not claim order: %s', (_name, types, winner) => {
    const json = { auth_typ: 'aad', claims: types.map((typ) => ({ typ, val: `value-of-${typ}` })) };
    expect(decode(json)?.id).toBe(`value-of-${winner}`);
  });

  it('skips an empty caller-id claim for the next one', () => {
    expect(
      decode({
        claims: [
          { typ: 'azp', val: ' ' },
          { typ: 'oid', val: 'object-1' },
        ],
      })?.id,
    ).toBe('object-1');
  });

  it('refuses a principal that names no caller (the X-MS-CLIENT-PRINCIPAL-ID header does not count)', () => {
    expect(decode(principalJson({ roles: [OPS], extraClaims: [{ typ: 'name', val: 'someone' }] }))).toBeNull();
  });

  it.each([
    ['not base64', 'not base64!'],
    ['base64 of not JSON', Buffer.from('{ nope', 'utf8').toString('base64')],
    ['JSON that is not an object', encodePrincipal(['azp'])],
    ['claims missing', encodePrincipal({ auth_typ: 'aad' })],
    ['claims of the wrong shape', encodePrincipal({ claims: [{ type: 'azp', value: 'app-1' }] })],
    ['a claim value that is not text', encodePrincipal({ claims: [{ typ: 'azp', val: 42 }] })],
    ['empty', ''],
  ])('refuses %s', (_name, header) => {
    expect(decodePrincipal(header)).toBeNull();
  });

  it('accepts URL-safe base64 and surrounding spaces', () => {
    const standard = encodePrincipal(principalJson({ id: '???>>>', roles: [WRITE] }));
    const urlSafe = standard.replace(/\+/g, '-').replace(/\//g, '_');
    expect(urlSafe).not.toBe(standard);
    expect(decodePrincipal(` ${urlSafe} `)).toEqual({ id: '???>>>', roles: [WRITE] });
  });
});
