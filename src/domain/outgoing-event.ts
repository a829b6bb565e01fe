/**
 * The shape of an outgoing event, below everything that builds one (registration.ts) or stores one
 * (ports.ts), so that neither has to import the other.
 */
/** An outgoing CloudEvent (docs/design.md §6): `Registration.StageChanged` or `Registration.StatusChanged`. */
export interface OutgoingEvent {
  /** Deterministic: `{registrationId}:{version}:{index}`, so a re-publish carries the same id. */
  id: string;
  type: 'Registration.StageChanged' | 'Registration.StatusChanged';
  source: string;
  subject: string;
  time: string;
  data: { registrationId: string; from: string | null; to: string | null; cause: string; at: string };
  /** The registration's owner: scopes `GET /api/events` to a caller's own; never published. */
  owner?: string;
}
