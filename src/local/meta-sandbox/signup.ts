import { randomBytes } from 'node:crypto';
import { maskPhoneNumber, toE164 } from '../../domain/phone-number';
import { SandboxGraphError } from './errors';
import { stringParam } from './http';
import { SandboxControlError, type SandboxOperation, type SandboxState } from './state';

/**
 * Embedded Signup as Meta plays it (docs/meta-graph.md "Embedded Signup"): a session creates or
 * reuses the business, WABA and number the business would pick in the popup and issues the
 * FB.login code; `GET /oauth/access_token` exchanges that code, once and within its lifetime, for a
 * business token that reaches only that business, its WABA and the WABA's numbers.
 */
export interface SandboxApp {
  id: string;
  secret: string;
}

export const DEFAULT_SANDBOX_APP_ID = '900000000000001';
/** Meta documents "about 30 seconds". */
export const SIGNUP_CODE_LIFETIME_MS = 30_000;
const BUSINESS_TOKEN_PREFIX = 'sandbox-business-token-';
/** Sandbox choices: Meta documents code 100 for a bad code; its subcodes vary and are not documented. */
export const SUBCODE_SIGNUP_CODE_INVALID = 36007;
export const SUBCODE_SIGNUP_CODE_USED = 36009;

export interface StartSignupInput {
  /** The number the business adds in the popup; reused when it is already on a WABA. */
  phoneNumber?: string | undefined;
  /** Whether the popup verified the number (default true). */
  verified?: boolean | undefined;
  /** FINISH_ONLY_WABA: the business stopped after creating its WABA. */
  onlyWaba?: boolean | undefined;
  /** The display name the business gave in the popup. */
  verifiedName?: string | undefined;
}

/** What the client app receives: the WA_EMBEDDED_SIGNUP message event and the FB.login code. */
export interface SignupPopupResult {
  type: 'WA_EMBEDDED_SIGNUP';
  event: 'FINISH' | 'FINISH_ONLY_WABA';
  data: { business_id: string; waba_id: string; phone_number_id?: string };
  code: string;
  expiresInSeconds: number;
}

interface Session {
  code: string;
  businessId: string;
  wabaId: string;
  phoneNumberId: string | null;
  issuedAt: number;
  used: boolean;
  token: string | null;
}

export class SignupSessions {
  private readonly byCode = new Map<string, Session>();
  private readonly byToken = new Map<string, Session>();
  private readonly businessTokenCalls = new Map<SandboxOperation, number>();

  constructor(
    private readonly state: SandboxState,
    readonly app: SandboxApp,
    private readonly now: () => number,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  start(input: StartSignupInput): SignupPopupResult {
    const e164 = input.phoneNumber === undefined ? undefined : toE164(input.phoneNumber);
    if (input.phoneNumber !== undefined && !e164) throw new SandboxControlError('phoneNumber must be an E.164 number.');
    if (!e164 && !input.onlyWaba) throw new SandboxControlError('phoneNumber is required unless onlyWaba is true.');
    const existing = e164 ? this.state.findLive(e164) : undefined;
    const waba = existing ? this.state.requireWaba(existing.wabaId) : this.state.addWaba({ businessId: null, name: input.verifiedName ?? 'Signup WABA' });
    const businessId = waba.businessId ?? this.state.addBusiness({ name: `Signup business ${e164 ? maskPhoneNumber(e164) : waba.id}` }).id;
    waba.businessId = businessId;
    waba.shared = true;
    let phoneNumberId: string | null = null;
    if (e164 && !input.onlyWaba) {
      const verification = input.verified === false ? 'NOT_VERIFIED' : 'VERIFIED';
      const phone =
        existing ??
        this.state.addPhoneNumber(waba.id, e164, {
          verifiedName: input.verifiedName ?? waba.name,
          codeVerificationStatus: verification,
          nameStatus: waba.newNumberNameStatus,
          status: 'PENDING',
          qualityRating: 'UNKNOWN',
          registered: false,
        });
      phone.codeVerificationStatus = verification;
      if (input.verifiedName) phone.verifiedName = input.verifiedName;
      phoneNumberId = phone.id;
    }
    const session: Session = {
      code: `sandbox-signup-${randomBytes(24).toString('base64url')}`,
      businessId,
      wabaId: waba.id,
      phoneNumberId,
      issuedAt: this.now(),
      used: false,
      token: null,
    };
    this.byCode.set(session.code, session);
    // The developer's console: what the popup chose, never the code (it is as good as a token).
    this.log(
      `Embedded Signup ${phoneNumberId ? 'FINISH' : 'FINISH_ONLY_WABA'}: business ${businessId}, WABA ${waba.id}` +
        (phoneNumberId && e164 ? `, number ${maskPhoneNumber(e164)} (${phoneNumberId}, ${input.verified === false ? 'not verified' : 'verified'})` : ''),
    );
    return {
      type: 'WA_EMBEDDED_SIGNUP',
      event: phoneNumberId ? 'FINISH' : 'FINISH_ONLY_WABA',
      data: { business_id: session.businessId, waba_id: session.wabaId, ...(phoneNumberId ? { phone_number_id: phoneNumberId } : {}) },
      code: session.code,
      expiresInSeconds: SIGNUP_CODE_LIFETIME_MS / 1000,
    };
  }

  /** `GET /oauth/access_token`: the app's id and secret, and a code issued less than 30 s ago and never exchanged. */
  exchange(params: Record<string, unknown>): { access_token: string; token_type: 'bearer' } {
    if (stringParam(params, 'client_id') !== this.app.id || stringParam(params, 'client_secret') !== this.app.secret) {
      // Sandbox choice: Meta's code for a wrong app id or secret is not documented.
      throw new SandboxGraphError({ code: 101, message: 'Error validating application. Invalid application ID or client secret.' });
    }
    const code = stringParam(params, 'code');
    if (!code) throw new SandboxGraphError({ code: 100, message: 'Missing code parameter.' });
    const session = this.byCode.get(code);
    if (!session) throw new SandboxGraphError({ code: 100, error_subcode: SUBCODE_SIGNUP_CODE_INVALID, message: 'Invalid verification code format.' });
    if (session.used) throw new SandboxGraphError({ code: 100, error_subcode: SUBCODE_SIGNUP_CODE_USED, message: 'This authorization code has been used.' });
    if (this.now() - session.issuedAt > SIGNUP_CODE_LIFETIME_MS) {
      throw new SandboxGraphError({ code: 100, error_subcode: SUBCODE_SIGNUP_CODE_INVALID, message: 'This authorization code has expired.' });
    }
    session.used = true;
    session.token = `${BUSINESS_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
    this.byToken.set(session.token, session);
    return { access_token: session.token, token_type: 'bearer' };
  }

  /**
   * For a business token: whether it reaches this object (its business, WABA or one of the WABA's
   * numbers). Undefined for any other token, which the sandbox accepts for everything.
   */
  reaches(token: string, objectId: string | undefined): boolean | undefined {
    if (!token.startsWith(BUSINESS_TOKEN_PREFIX)) return undefined;
    const session = this.byToken.get(token);
    if (!session) return false;
    if (objectId === undefined) return true;
    return objectId === session.businessId || objectId === session.wabaId || this.state.phoneNumbers.get(objectId)?.wabaId === session.wabaId;
  }

  isBusinessToken(token: string): boolean {
    return token.startsWith(BUSINESS_TOKEN_PREFIX);
  }

  recordBusinessTokenCall(operation: SandboxOperation): void {
    this.businessTokenCalls.set(operation, (this.businessTokenCalls.get(operation) ?? 0) + 1);
  }

  /** Graph calls of one operation made with a business token from a code exchange. */
  callsWithBusinessToken(operation: SandboxOperation): number {
    return this.businessTokenCalls.get(operation) ?? 0;
  }

  /** A session by its code, for tests checking that neither the code nor the token leaked. */
  session(code: string): { code: string; businessId: string; wabaId: string; phoneNumberId: string | null; used: boolean; accessToken: string | null } {
    const session = this.byCode.get(code);
    if (!session) throw new SandboxControlError('No signup session has this code.', 404);
    return {
      code: session.code,
      businessId: session.businessId,
      wabaId: session.wabaId,
      phoneNumberId: session.phoneNumberId,
      used: session.used,
      accessToken: session.token,
    };
  }

  reset(): void {
    this.byCode.clear();
    this.byToken.clear();
    this.businessTokenCalls.clear();
  }
}
