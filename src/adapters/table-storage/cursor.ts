import { z } from 'zod';
import { DomainError } from '../../domain/errors';

/**
 * Page cursors this service issues: base64url of `{ v, s, a }` (format version, the list it belongs
 * to, the last key consumed). Decoding is strict — the JSON must match the schema and encode back
 * to exactly the text received — so garbage, a truncated cursor or one from another list is a 400
 * naming the parameter, never an empty page that a client would read as the end of the list.
 * A cursor is a position, not a permission: every row it leads to is still filtered and checked.
 */
const VERSION = 1;

const cursorSchema = z.strictObject({ v: z.literal(VERSION), s: z.string(), a: z.string() });

export function encodeCursor(source: string, after: string): string {
  return Buffer.from(JSON.stringify({ v: VERSION, s: source, a: after }), 'utf8').toString('base64url');
}

/**
 * The key a cursor resumes after. `parameter` is the query parameter that carried it, so the
 * problem names what the client must fix; `keyShape` rejects keys this list can never hold.
 */
export function decodeCursor(cursor: string, options: { source: string; parameter: string; keyShape?: RegExp }): string {
  let decoded: unknown = null;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  const parsed = cursorSchema.safeParse(decoded);
  const issued =
    parsed.success &&
    encodeCursor(parsed.data.s, parsed.data.a) === cursor &&
    (options.keyShape === undefined || options.keyShape.test(parsed.data.a));
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
