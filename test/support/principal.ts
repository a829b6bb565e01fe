/**
 * `X-MS-CLIENT-PRINCIPAL` as App Service Authentication builds it for an Entra ID token
 * (docs/design.md §5.1), for tests that call the API as someone.
 */
export const WRITE = 'Registrations.Write';
export const OPS = 'Registrations.Ops';

/** The claim type App Service Authentication names as `role_typ` for Entra ID. */
export const ENTRA_ROLE_TYPE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';

export interface PrincipalOptions {
  /** The caller id, sent as the claim named by `idClaim`; leave out for a principal that names no caller. */
  id?: string;
  idClaim?: string;
  roles?: string[];
  /** How role claims are typed: `role_typ` (Easy Auth's usual form) or the literal `roles`. */
  roleClaim?: 'role_typ' | 'roles';
  extraClaims?: Array<{ typ: string; val: string }>;
}

export function principalJson(options: PrincipalOptions = {}): Record<string, unknown> {
  const roleTyp = options.roleClaim === 'roles' ? 'roles' : ENTRA_ROLE_TYPE;
  return {
    auth_typ: 'aad',
    name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
    role_typ: ENTRA_ROLE_TYPE,
    claims: [
      { typ: 'aud', val: 'api://registrations' },
      { typ: 'iss', val: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0' },
      ...(options.id === undefined ? [] : [{ typ: options.idClaim ?? 'azp', val: options.id }]),
      ...(options.roles ?? []).map((role) => ({ typ: roleTyp, val: role })),
      ...(options.extraClaims ?? []),
    ],
  };
}

export const encodePrincipal = (json: unknown): string => Buffer.from(JSON.stringify(json), 'utf8').toString('base64');

/** The request headers of a caller: `as('client-app-1', WRITE)`. */
export const as = (id: string, ...roles: string[]): Record<string, string> => ({
  'x-ms-client-principal': encodePrincipal(principalJson({ id, roles })),
});
