/** The two actor ids that are not callers' own, below both the registration model and the access rules that use them. */

/** The actor of changes no caller asked for: events and the timer. */
export const SYSTEM_ACTOR = 'system';
/** Who every caller is when the principal header is not trusted; also the owner of rows stored before owners existed. */
export const ANONYMOUS_CALLER_ID = 'anonymous';
