import { createHash } from 'node:crypto';
import { DomainError } from '../../domain/errors';

/**
 * Page cursors are opaque: the position and a digest of it, so a cursor that was cut, edited or
 * made up is refused (400) instead of silently paging from somewhere else (docs/design.md §5).
 * The digest is a checksum, not a signature: a forged cursor can only point elsewhere in the same
 * list, and the list's filters are checked again on every page.
 */
const digestOf = (body: string): string => createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 16);

export function sealCursor(position: unknown): string {
  const body = Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
  return `${body}.${digestOf(body)}`;
}

/** The position a cursor of `sealCursor` holds; `field` names the query parameter in the 400. */
export function openCursor(cursor: string, field: string): unknown {
  const dot = cursor.lastIndexOf('.');
  const body = cursor.slice(0, Math.max(dot, 0));
  if (dot > 0 && digestOf(body) === cursor.slice(dot + 1)) {
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      // Falls through to the refusal below.
    }
  }
  throw new DomainError('validation-failed', 'The cursor is not one this API returned.', { errors: [{ path: field, message: 'invalid cursor' }] });
}
