/**
 * Meta's Graph API as the domain sees it: snapshots with the fields the rules use, and one error
 * type classified by code/subcode (never by message text; docs/meta-graph.md "Errors").
 * Enum-like fields stay raw strings: Meta adds values without notice.
 */
export interface MetaBusiness {
  id: string;
  name: string | null;
}

export interface MetaPhoneNumber {
  id: string;
  /** As Meta formats it, e.g. `+1 425-555-0100`. */
  displayPhoneNumber: string;
  /** `displayPhoneNumber` normalised to `+<digits>`. */
  e164: string | null;
  verifiedName: string | null;
  codeVerificationStatus: string | null;
  nameStatus: string | null;
  newNameStatus: string | null;
  status: string | null;
  qualityRating: string | null;
  messagingLimit: string | null;
  /** Meta's own can-send answer for the number (`health_status`); null or absent when Meta gave none. */
  healthStatus?: MetaHealthStatus | null;
}

export interface MetaWaba {
  id: string;
  name: string | null;
  accountReviewStatus: string | null;
  businessVerificationStatus: string | null;
  /** Meta's own can-send answer for the WABA (`health_status`); null or absent when Meta gave none. */
  healthStatus?: MetaHealthStatus | null;
  /** Every number on the WABA (all pages). */
  phoneNumbers: MetaPhoneNumber[];
  /** The ids of the apps subscribed to the WABA's webhooks (`subscribed_apps`); absent when not read. */
  subscribedAppIds?: string[];
}

/**
 * `health_status` of a phone number or a WABA: Meta's overall `can_send_message` (`AVAILABLE`,
 * `LIMITED`, `BLOCKED`, or a value added later) and the entities it was computed from (the number,
 * the WABA, the business, the app), each with the errors that limit or block it.
 */
export interface MetaHealthStatus {
  canSendMessage: string | null;
  entities: MetaHealthEntity[];
}

export interface MetaHealthEntity {
  entityType: string | null;
  id: string | null;
  canSendMessage: string | null;
  errors: MetaHealthError[];
}

export interface MetaHealthError {
  code: number | null;
  description: string | null;
  possibleSolution: string | null;
}

export type MetaErrorKind =
  /** 100/33, or 803 (HTTP 404): the object does not exist or we lost permission; ambiguous, confirm before acting. */
  | 'object-missing'
  /** 190: the access token is expired or revoked: a credential fault, never an account status. */
  | 'token'
  /** 10, 200–299: a permission is missing. */
  | 'permission'
  /** 4, 17, 32, 613, 80007, 80008. */
  | 'rate-limited'
  /** 133016: register/deregister limit; no retry for 72 h. */
  | 'registration-limit'
  /** 100/2388001: Meta has not finished provisioning the number; retry later. */
  | 'not-ready'
  /** 1, 2, 131000, 133004, `is_transient`, 5xx, network, timeout. */
  | 'transient'
  /**
   * 100 without a subcode this code knows (or HTTP 400/404 without a code): Meta refused our request
   * as malformed (an unknown field, a bad parameter). A fault of ours, never a fact about the account.
   */
  | 'request-refused'
  /** Anything else: Meta refused what the request asked for (a wrong verification code, a conflict). */
  | 'rejected';

export interface BusinessUseCaseUsage {
  objectId: string;
  type: string;
  callCount: number;
  totalCpuTime: number;
  totalTime: number;
  /** Minutes; 0 when not blocked. */
  estimatedTimeToRegainAccess: number;
}

export class MetaGraphError extends Error {
  constructor(
    readonly kind: MetaErrorKind,
    message: string,
    readonly details: {
      code?: number;
      subcode?: number;
      httpStatus?: number;
      fbtraceId?: string;
      usage?: BusinessUseCaseUsage[];
      /** Seconds to wait, from usage headers when Meta gave them. */
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
    this.name = 'MetaGraphError';
  }

  get transient(): boolean {
    return this.kind === 'transient' || this.kind === 'rate-limited' || this.kind === 'not-ready';
  }
}

export const isMetaError = (error: unknown, kind?: MetaErrorKind): error is MetaGraphError =>
  error instanceof MetaGraphError && (kind === undefined || error.kind === kind);
