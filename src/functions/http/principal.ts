/**
 * Who is calling (docs/design.md §5.1): App Service Authentication passes the validated caller as
 * `X-MS-CLIENT-PRINCIPAL`, base64 of `{ auth_typ, claims: [{ typ, val }], name_typ, role_typ }`.
 *
 * `request.user` of @azure/functions is not used: it throws when the companion headers
 * (`X-MS-CLIENT-PRINCIPAL-ID/-NAME/-IDP`) are missing, which they are for app-only tokens, reads any
 * principal with an `identityProvider` field as a Static Web Apps one, and decodes base64 leniently
 * (invalid characters are skipped), so a mangled header could still decode to something.
 */
import { z } from 'zod';
import { ROLES, type Caller, type Role } from '../../domain/access';

export const PRINCIPAL_HEADER = 'x-ms-client-principal';

/** Claim types that name the caller, in priority order: the calling app first, then the principal's object. */
export const CALLER_ID_CLAIMS = ['azp', 'appid', 'http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'] as const;

const principalSchema = z.object({
  auth_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
});

const BASE64 = /^[A-Za-z0-9+/\-_]+={0,2}$/;

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/**
 * The caller a principal header names, or null when it is not base64 of such a JSON object or
 * names no caller id. Roles other than this service's are ignored.
 */
export function decodePrincipal(header: string): Caller | null {
  const text = header.trim();
  if (!BASE64.test(text)) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = principalSchema.safeParse(json);
  if (!parsed.success) return null;
  const { claims, role_typ: roleType } = parsed.data;
  const valueOf = (type: string): string | undefined => claims.find((claim) => claim.typ === type && claim.val.trim() !== '')?.val.trim();
  const id = CALLER_ID_CLAIMS.map(valueOf).find((value) => value !== undefined);
  if (id === undefined) return null;
  const roles = claims
    .filter((claim) => claim.typ === 'roles' || (roleType !== undefined && claim.typ === roleType))
    .map((claim) => claim.val.trim())
    .filter(isRole);
  return { id, roles: [...new Set(roles)] };
}
