/**
 * Which fields each Graph version is asked for. One field a version does not know fails the whole
 * call with code 100, so every field carries the first (and, when it was replaced, the last) major
 * version that knows it; docs/meta-graph.md "Fields by version" holds the same table with the
 * evidence for each row. A field without `since` is known by every version this service supports.
 */
export interface FieldVersions {
  field: string;
  /** First major version that knows the field. */
  since?: number;
  /** Last major version that knows it (it was replaced after). */
  until?: number;
}

/** The phone-number node (`GET /{phone-number-id}` and the WABA's `phone_numbers` edge). */
export const PHONE_NUMBER_FIELD_VERSIONS: readonly FieldVersions[] = [
  { field: 'id' },
  { field: 'display_phone_number' },
  { field: 'verified_name' },
  { field: 'code_verification_status' },
  { field: 'name_status' },
  // Absent from Meta's v23 document; documented in Meta's reference pages from v24.
  { field: 'new_name_status', since: 24 },
  { field: 'status' },
  { field: 'quality_rating' },
  // Meta's own can-send answer; the v23 document shows its shape on other nodes only (docs/meta-graph.md).
  { field: 'health_status' },
  // The messaging limit was renamed in v24.
  { field: 'messaging_limit_tier', until: 23 },
  { field: 'whatsapp_business_manager_messaging_limit', since: 24 },
];

/** The WABA node (`GET /{waba-id}`); its numbers are expanded with the phone-number fields. */
export const WABA_FIELD_VERSIONS: readonly FieldVersions[] = [
  { field: 'id' },
  { field: 'name' },
  { field: 'account_review_status' },
  { field: 'business_verification_status' },
  { field: 'health_status' },
  // Listed among the WABA's fields in Meta's document: reconcile checks the subscription on the same read.
  { field: 'subscribed_apps' },
];

/** `v25.0` → 25; a version that does not parse is taken as the newest (config accepts only `vNN.N`). */
export function majorOf(version: string): number {
  const major = Number(/^v(\d+)/.exec(version)?.[1] ?? Number.NaN);
  return Number.isFinite(major) ? major : Number.POSITIVE_INFINITY;
}

export function fieldsFor(table: readonly FieldVersions[], version: string): string[] {
  const major = majorOf(version);
  return table.filter((row) => (row.since === undefined || major >= row.since) && (row.until === undefined || major <= row.until)).map((row) => row.field);
}

export const phoneNumberFields = (version: string): string[] => fieldsFor(PHONE_NUMBER_FIELD_VERSIONS, version);
export const wabaFields = (version: string): string[] => fieldsFor(WABA_FIELD_VERSIONS, version);
