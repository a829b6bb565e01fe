/**
 * The shapes of Meta's WhatsApp Business Platform document (OpenAPI, v23.0) that this project
 * relies on, written in our own words as JSON Schema 2020-12: field names, types, enums, patterns
 * and the HTTP status of each kind of error. Where the document contradicts itself or real Graph,
 * the schema follows the choice recorded in docs/meta-graph.md ("Meta's document and real Graph"),
 * and a comment names it. Objects stay open (Meta adds fields without notice); request bodies we
 * send are closed, so that a parameter the document does not know is caught.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Schema = Record<string, any>;

const numericId: Schema = { type: 'string', pattern: '^[0-9]+$' };
const digits6: Schema = { type: 'string', pattern: '^[0-9]{6}$' };

// ---- enums ------------------------------------------------------------------------------------

/**
 * Phone `status`. The document has three enums for it (PENDING/LINKED/UNLINKED/DELETED/MIGRATED/
 * BANNED/RESTRICTED on the WABA's list; CONNECTED/DISCONNECTED/UNVERIFIED/PENDING/FLAGGED/RESTRICTED
 * on the number; a connection status with RATE_LIMITED and MESSAGING_LIMIT_TIER_n). We follow the
 * values real Graph answers: the union without LINKED/UNLINKED and the tier values, plus UNKNOWN.
 */
export const PHONE_STATUSES = [
  'PENDING',
  'CONNECTED',
  'DISCONNECTED',
  'DELETED',
  'MIGRATED',
  'BANNED',
  'RESTRICTED',
  'RATE_LIMITED',
  'FLAGGED',
  'UNKNOWN',
  'UNVERIFIED',
] as const;
/** The document gives VERIFIED/UNVERIFIED and VERIFIED/NOT_VERIFIED; real Graph also answers EXPIRED. */
export const CODE_VERIFICATION_STATUSES = ['VERIFIED', 'NOT_VERIFIED', 'UNVERIFIED', 'EXPIRED'] as const;
export const NAME_STATUSES = ['APPROVED', 'AVAILABLE_WITHOUT_REVIEW', 'DECLINED', 'EXPIRED', 'PENDING_REVIEW', 'NONE'] as const;
/** The document says NA in one place and UNKNOWN in another; both are accepted. */
export const QUALITY_RATINGS = ['GREEN', 'YELLOW', 'RED', 'NA', 'UNKNOWN'] as const;
/** Real Graph's `platform_type`; the document names the field `host_platform`, with the same values. */
export const PLATFORM_TYPES = ['CLOUD_API', 'ON_PREMISE', 'NOT_APPLICABLE'] as const;
/** The document's values for v23; v24's renamed field has its own set (real Graph). */
export const MESSAGING_LIMIT_TIERS = ['TIER_50', 'TIER_250', 'TIER_1K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED'] as const;
export const BUSINESS_MANAGER_MESSAGING_LIMITS = ['TIER_250', 'TIER_2K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED', 'TIER_NOT_SET'] as const;
/** The document's four values, and LIMIT_REACHED, which the design (§5.0) names too. */
export const ACCOUNT_REVIEW_STATUSES = ['APPROVED', 'PENDING', 'REJECTED', 'RESTRICTED', 'LIMIT_REACHED'] as const;
export const OWNERSHIP_TYPES = ['SELF_OWNED', 'CLIENT_OWNED', 'AGENCY_OWNED'] as const;
export const CAN_SEND_MESSAGE = ['AVAILABLE', 'LIMITED', 'BLOCKED'] as const;

// ---- fields by version ------------------------------------------------------------------------

/**
 * Fields each node knows, with the versions that know them (no bound: every version). Asking a
 * version for a field it does not know fails the whole call with code 100, so the adapter must
 * ask only for these.
 */
type FieldVersions = Record<string, { firstVersion?: number; lastVersion?: number }>;
export const KNOWN_FIELDS: Record<'business' | 'waba' | 'phone', FieldVersions> = {
  business: { id: {}, name: {} },
  waba: {
    id: {},
    name: {},
    account_review_status: {},
    business_verification_status: {},
    ownership_type: {},
    currency: {},
    timezone_id: {},
    message_template_namespace: {},
    country: {},
    health_status: {},
    phone_numbers: {},
    subscribed_apps: {},
  },
  phone: {
    id: {},
    display_phone_number: {},
    verified_name: {},
    code_verification_status: {},
    name_status: {},
    new_name_status: {},
    status: {},
    quality_rating: {},
    platform_type: {},
    health_status: {},
    account_mode: {},
    is_official_business_account: {},
    messaging_limit_tier: { lastVersion: 23 },
    whatsapp_business_manager_messaging_limit: { firstVersion: 24 },
  },
};

// ---- responses --------------------------------------------------------------------------------

const healthStatus: Schema = {
  type: 'object',
  required: ['can_send_message'],
  properties: {
    can_send_message: { enum: CAN_SEND_MESSAGE },
    entities: {
      type: 'array',
      items: {
        type: 'object',
        required: ['entity_type', 'id', 'can_send_message'],
        properties: {
          entity_type: { type: 'string' },
          id: { type: 'string' },
          can_send_message: { enum: CAN_SEND_MESSAGE },
          errors: {
            type: 'array',
            items: {
              type: 'object',
              required: ['error_code', 'error_description', 'possible_solution'],
              properties: { error_code: { type: 'integer' }, error_description: { type: 'string' }, possible_solution: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};

const cursorPaging: Schema = {
  type: 'object',
  properties: {
    cursors: { type: 'object', properties: { before: { type: 'string' }, after: { type: 'string' } } },
    next: { type: 'string', format: 'uri' },
    previous: { type: 'string', format: 'uri' },
  },
};

/** An edge: `{ data, paging? }`. The document shows some edges of a node as bare arrays; real Graph answers this shape. */
const edge = (item: Schema): Schema => ({ type: 'object', required: ['data'], properties: { data: { type: 'array', items: item }, paging: cursorPaging } });

export const phoneNumberNode: Schema = {
  type: 'object',
  required: ['id'],
  properties: {
    id: numericId,
    display_phone_number: { type: 'string' },
    verified_name: { type: 'string' },
    status: { enum: PHONE_STATUSES },
    code_verification_status: { enum: CODE_VERIFICATION_STATUSES },
    name_status: { enum: NAME_STATUSES },
    new_name_status: { enum: NAME_STATUSES },
    quality_rating: { enum: QUALITY_RATINGS },
    platform_type: { enum: PLATFORM_TYPES },
    messaging_limit_tier: { enum: MESSAGING_LIMIT_TIERS },
    whatsapp_business_manager_messaging_limit: { enum: BUSINESS_MANAGER_MESSAGING_LIMITS },
    account_mode: { enum: ['LIVE', 'SANDBOX'] },
    is_official_business_account: { type: 'boolean' },
    health_status: healthStatus,
  },
};

/**
 * `subscribed_apps` items. The document's schema says `{ id, name }`, its examples (and real Graph)
 * `{ whatsapp_business_api_data: { id, name, link } }`: we follow the examples.
 */
const subscribedApp: Schema = {
  type: 'object',
  required: ['whatsapp_business_api_data'],
  properties: {
    whatsapp_business_api_data: {
      type: 'object',
      required: ['id', 'name'],
      properties: { id: numericId, name: { type: 'string' }, link: { type: 'string', format: 'uri' } },
    },
    override_callback_uri: { type: 'string' },
  },
};

export const wabaNode: Schema = {
  type: 'object',
  required: ['id'],
  properties: {
    id: numericId,
    name: { type: 'string', minLength: 1, maxLength: 255 },
    account_review_status: { enum: ACCOUNT_REVIEW_STATUSES },
    // The document lists VERIFIED/UNVERIFIED/PENDING/REJECTED in capitals; real Graph answers lower case (`verified`, `not_verified`, …).
    business_verification_status: { type: 'string', pattern: '^[a-z_]+$' },
    ownership_type: { enum: OWNERSHIP_TYPES },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    timezone_id: { type: 'string' },
    country: { type: 'string', pattern: '^[A-Z]{2}$' },
    health_status: healthStatus,
    // The document shows both as arrays on the node; field expansion answers edges.
    phone_numbers: edge(phoneNumberNode),
    subscribed_apps: edge(subscribedApp),
  },
};

export const businessNode: Schema = { type: 'object', required: ['id'], properties: { id: numericId, name: { type: 'string' } } };
export const phoneNumberList: Schema = edge(phoneNumberNode);
export const subscribedAppsList: Schema = edge(subscribedApp);
export const success: Schema = { type: 'object', required: ['success'], properties: { success: { type: 'boolean' } } };
export const created: Schema = { type: 'object', required: ['id'], properties: { id: numericId } };

/** Meta's error envelope; `fbtrace_id` is optional in the document but always sent, and required here. */
export const errorEnvelope: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'code', 'fbtrace_id'],
      properties: {
        message: { type: 'string', minLength: 1 },
        type: { type: 'string', minLength: 1 },
        code: { type: 'integer' },
        error_subcode: { type: 'integer' },
        is_transient: { type: 'boolean' },
        fbtrace_id: { type: 'string', minLength: 1 },
        error_user_title: { type: 'string' },
        error_user_msg: { type: 'string' },
      },
    },
  },
};

// ---- requests ---------------------------------------------------------------------------------

const closed = (required: string[], properties: Record<string, Schema>): Schema => ({
  type: 'object',
  required,
  additionalProperties: false,
  properties,
});

export const requestCodeBody = closed(['code_method', 'language'], {
  code_method: { enum: ['SMS', 'VOICE'] },
  language: { type: 'string', pattern: '^[a-z]{2}_[A-Z]{2}$' },
});
export const verifyCodeBody = closed(['code'], { code: digits6 });
export const registerBody = closed(['messaging_product', 'pin'], { messaging_product: { const: 'whatsapp' }, pin: digits6 });
export const addPhoneNumberBody = closed(['phone_number', 'verified_name'], {
  cc: { type: 'string', pattern: '^[0-9]{1,3}$' },
  phone_number: { type: 'string', pattern: '^[1-9][0-9]{6,14}$' },
  verified_name: { type: 'string', minLength: 2, maxLength: 75 },
});
export const subscribeBody = closed([], { override_callback_uri: { type: 'string', format: 'uri' }, verify_token: { type: 'string' } });
/** `POST /{phone-number-id}`: the two-step PIN and a display-name change, the parameters this project uses. */
export const updatePhoneNumberBody: Schema = {
  ...closed([], { pin: digits6, new_display_name: { type: 'string', minLength: 2, maxLength: 75 } }),
  minProperties: 1,
};
export const phoneNumberListQuery: Schema = {
  type: 'object',
  properties: {
    fields: { type: 'string' },
    limit: { type: 'string', pattern: '^(100|[1-9][0-9]?)$' },
    after: { type: 'string', minLength: 1 },
    before: { type: 'string', minLength: 1 },
  },
  additionalProperties: false,
};

// ---- errors -----------------------------------------------------------------------------------

/**
 * The HTTP statuses an error of this kind may come with: the document's status by case, with the
 * choices of docs/meta-graph.md where it contradicts real Graph.
 */
export function allowedErrorStatuses(code: number, subcode: number | undefined): number[] {
  if (code === 104 || code === 190) return [401];
  if (code === 10 || (code >= 200 && code <= 299)) return [403];
  if (code === 803) return [404];
  // Real Graph's "object missing" is 400; the document's 404 comes with code 803, never with 100/33.
  if (code === 100 && subcode === 33) return [400];
  // An invalid parameter is 400; adding a number already registered is the document's 409.
  if (code === 100) return [400, 409];
  if ([4, 17, 32, 613, 80007, 80008, 130429, 133016].includes(code)) return [429];
  // A well-formed request the number's state refuses: the document's 422.
  if ([136025, 133010, 133005].includes(code)) return [422];
  if ([1, 2, 131000, 133004].includes(code)) return [500, 503];
  return [400];
}
