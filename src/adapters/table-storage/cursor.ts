import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';

/**
 * Page cursors this service issues: base64url of `{ v, s, a }` (format version, the list it belongs
 * to, the last key consumed) and a digest of it. Decoding is strict — the digest must match, the
 * JSON must match the schema and encode back to exactly the text received — so garbage, a truncated
 * or edited cursor, or one from another list is a 400 naming the parameter, never an empty page that
 * a client would read as the end of the list.
 * The digest is a checksum, not a signature: a cursor is a position, not a permission, and every row
 * it leads to is still filtered and ownership-checked.
 */
const VERSION = 1;

const cursorSchema = z.strictObject({ v: z.literal(VERSION), s: z.string(), a: z.string() });

const digestOf = (body: string): string => createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 16);

export function encodeCursor(source: string, after: string): string {
  const body = Buffer.from(JSON.stringify({ v: VERSION, s: source, a: after }), 'utf8').toString('base64url');
  return `${body}.${digestOf(body)}`;
}

/**
 * The key a cursor resumes after. `parameter` is the query parameter that carried it, so the
 * problem names what the client must fix; `keyShape` rejects keys this list can never hold.
 */
export function decodeCursor(cursor: string, options: { source: string; parameter: string; keyShape?: RegExp }): string {
  const dot = cursor.lastIndexOf('.');
  const body = dot > 0 ? cursor.slice(0, dot) : '';
  let decoded: unknown = null;
  if (body && digestOf(body) === cursor.slice(dot + 1)) {
    try {
      decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      decoded = null;
    }
  }
  const parsed = cursorSchema.safeParse(decoded);
  const issued =
    parsed.success && encodeCursor(parsed.data.s, parsed.data.a) === cursor && (options.keyShape === undefined || options.keyShape.test(parsed.data.a));
  if (!parsed.success || !issued) {
    throw new DomainError('validation-failed', `The query parameter ${options.parameter} is not a cursor this API returned.`, {
      errors: [{ path: options.parameter, message: 'not a cursor this API returned: pass nextCursor of a previous page, or leave it out to start' }],
    });
  }
  if (parsed.data.s !== options.source) {
    throw new DomainError('validation-failed', `The query parameter ${options.parameter} holds a cursor of a list with different filters.`, {
      errors: [{ path: options.parameter, message: 'use the cursor with the filters of the page that returned it' }],
    });
  }
  return parsed.data.a;
}
