/**
 * The API's schemas: one source for validation in the handlers and for the OpenAPI document
 * (GET /api/openapi.json). Our own request bodies are strict (unknown fields are refused).
 */
import { z } from 'zod';
import { parsePhoneNumber } from '../../domain/phone-number';
import { ACCOUNT_STATUSES, CAUSES, STAGES } from '../../domain/stages';

export const phoneNumberInput = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const parsed = parsePhoneNumber(value);
    if (!parsed) {
      ctx.addIssue({ code: 'custom', message: 'must be a phone number in E.164 form, e.g. +14255550123' });
      return z.NEVER;
    }
    return parsed.e164 as string;
  })
  .meta({ description: 'E.164, with or without +, spaces, dashes, dots or parentheses', examples: ['+1 425 555 0123'] });

/**
 * The one rule for names and free text: no control characters (C0, DEL, C1 such as U+0085) and no
 * U+2028/U+2029 line or paragraph separators. They break Meta's display-name review, log lines
 * and CSV exports, and none belongs in a business name or profile text.
 */
const FORBIDDEN_IN_TEXT = /[\p{Cc}\u2028\u2029]/u;
export const plainText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((value) => !FORBIDDEN_IN_TEXT.test(value), 'must not contain control characters or line/paragraph separators');

const metaId = z.string().regex(/^\d{1,30}$/, 'must be a numeric Meta id');
const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(2048);
const displayName = plainText(512)
  .min(3, 'must be at least 3 characters')
  .refine((name) => !/[<>{}\n\r\t]/.test(name) && !/^(https?:|www\.)/i.test(name), 'must be a plain business name (no URL, markup or line breaks)');

/** Meta reviews a new display name of 2 to 75 characters (`new_display_name`); the profile's rules apply too. */
export const displayNameChangeBody = z.strictObject({
  displayName: displayName.max(75, 'must be at most 75 characters (Meta’s limit for a new display name)'),
});

export const createRegistrationBody = z.strictObject({
  phoneNumber: phoneNumberInput,
  phoneNumberSource: z.enum(['acs', 'byo']),
});

export const companyDetails = z.strictObject({
  companyName: plainText(200).min(1),
  website: httpsUrl,
  businessEmail: z.email().max(320),
  businessPhone: phoneNumberInput,
});

export const businessAccountBody = z.union([z.strictObject({ businessId: metaId }), z.strictObject({ create: companyDetails })]);

export const whatsAppProfileBody = z.strictObject({
  whatsAppBusinessAccountId: metaId,
  displayName,
  category: plainText(100).min(1).optional(),
  description: plainText(512).optional(),
  website: httpsUrl.optional(),
  email: z.email().max(320).optional(),
});

const signupCode = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .regex(/^[\x21-\x7e]+$/, "must be the code of the FB.login callback's authResponse");

export const embeddedSignupBody = z
  .strictObject({
    code: signupCode,
    businessId: metaId,
    whatsAppBusinessAccountId: metaId,
    phoneNumberId: metaId.optional().meta({ description: 'From the FINISH event; absent after FINISH_ONLY_WABA' }),
    displayName: displayName.optional().meta({ description: 'Required when phoneNumberId is absent (FINISH_ONLY_WABA)' }),
  })
  .refine((body) => body.phoneNumberId !== undefined || body.displayName !== undefined, {
    path: ['displayName'],
    message: 'required when phoneNumberId is absent (Embedded Signup finished with FINISH_ONLY_WABA)',
  })
  .meta({ description: "What Meta's Embedded Signup gave the client app: the FB.login code and the WA_EMBEDDED_SIGNUP FINISH data" });

export const verificationRequestBody = z.strictObject({
  method: z.enum(['SMS', 'VOICE']),
  // Meta's pattern for request_code's language (docs/meta-graph.md "Adding, verifying and registering a number"): sent as given.
  language: z
    .string()
    .regex(/^[a-z]{2}_[A-Z]{2}$/, 'must be a language and region such as en_US')
    .default('en_US'),
});

export const verificationCodeBody = z.strictObject({
  code: z.string().regex(/^\s*\d{3}[-\s]?\d{3}\s*$/, 'must be 6 digits, e.g. 123456 or 123-456'),
});

export const emptyBody = z.strictObject({});

export const listQuery = z.strictObject({
  status: z.enum(ACCOUNT_STATUSES).optional(),
  stage: z.enum(STAGES).optional(),
  whatsAppBusinessAccountId: metaId.optional(),
  phoneNumber: phoneNumberInput.optional(),
  owner: z
    .string()
    .trim()
    .min(1)
    .max(256)
    .optional()
    .meta({ description: 'Caller id that created the registration (ops; a Registrations.Write caller only ever sees its own)' }),
  limit: z.coerce.number<string>().int().min(1).max(100).default(50),
  cursor: z.string().max(4096).optional(),
});

const stageAndStatus = z.object({ stage: z.enum(STAGES), status: z.enum(ACCOUNT_STATUSES).nullable() });
const timestamp = z.string().meta({ format: 'date-time' });

export const registrationResource = z
  .object({
    id: z.string(),
    phoneNumber: z.string(),
    phoneNumberSource: z.enum(['acs', 'byo']),
    stage: z.enum(STAGES),
    status: z.enum(ACCOUNT_STATUSES).nullable(),
    statusDetails: z.object({ label: z.string(), meaning: z.string(), suggestedAction: z.string().nullable() }).nullable(),
    messaging: z
      .object({
        canSend: z
          .boolean()
          .meta({ description: "False unless Connected, the status allows sending, Meta's phone status is CONNECTED and neither health_status is BLOCKED" }),
        limited: z.boolean().meta({ description: 'The number can send, but Meta caps it (health_status LIMITED, account review, display name not approved)' }),
        reason: z.string().nullable().meta({ description: "Why it cannot send or is limited, naming Meta's value; null when it can send without limits" }),
        blockedBy: z
          .array(
            z.object({
              entity: z.string().meta({ description: 'Entity type and id, e.g. PHONE_NUMBER 1234', examples: ['WABA 200000000000001'] }),
              code: z.number().nullable(),
              description: z.string().nullable(),
              possibleSolution: z.string().nullable(),
            }),
          )
          .meta({ description: "Meta's health_status errors, with Meta's possible solutions" }),
        messagingLimit: z.string().nullable(),
        qualityRating: z.string().nullable(),
      })
      .meta({ id: 'Messaging' }),
    businessAccount: z.object({ id: z.string().nullable(), name: z.string().nullable(), pendingCreation: companyDetails.partial().optional() }).nullable(),
    whatsAppBusinessAccountId: z.string().nullable(),
    phoneNumberId: z.string().nullable(),
    displayName: z.string().nullable(),
    profile: z
      .object({ category: z.string().optional(), description: z.string().optional(), website: z.string().optional(), email: z.string().optional() })
      .nullable(),
    verification: z
      .object({ method: z.enum(['SMS', 'VOICE']), language: z.string(), requestedAt: timestamp, attempts: z.number(), verifiedAt: timestamp.nullable() })
      .nullable(),
    metaRegistration: z.object({ registeredAt: timestamp.nullable(), lastError: z.string().nullable(), retryNotBefore: timestamp.nullable() }).nullable(),
    smsCapability: z
      .object({
        send: z.enum(['unknown', 'pending', 'confirmed', 'failed', 'unconfirmed']).meta({
          description: 'unconfirmed: the last probe had no delivery report within 24 h (a late report still confirms it)',
        }),
        checkedAt: timestamp.nullable(),
        detail: z.string().nullable(),
      })
      .nullable(),
    acsChannel: z.object({ channelRegistrationId: z.string(), reachable: z.boolean().nullable(), checkedAt: timestamp.nullable() }).nullable(),
    displayNameChange: z
      .object({
        requested: z.string(),
        requestedAt: timestamp,
        state: z.enum(['Pending', 'Approved', 'Rejected']),
        decidedAt: timestamp.nullable(),
        rejectionReason: z.string().nullable(),
        registeredAgain: z
          .object({ registeredAt: timestamp.nullable(), lastError: z.string().nullable(), retryNotBefore: timestamp.nullable() })
          .nullable()
          .meta({ description: 'After an approval: registering the number again, as Meta requires after a name change' }),
      })
      .nullable()
      .meta({ description: 'The last display-name change asked for with PUT …/display-name; null when none was' }),
    needsAttention: z
      .object({
        reason: z.literal('meta-request-refused'),
        operation: z.string(),
        since: timestamp,
        retryNotBefore: timestamp,
      })
      .optional()
      .meta({ description: 'Present while Meta refuses our requests for this registration as malformed: the service operator must look (docs/adr/0032)' }),
    owner: z.string().meta({ description: 'Caller id that created the registration (docs/design.md §5.1)' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Registration' });

export const registrationPage = z.object({ items: z.array(registrationResource), nextCursor: z.string().nullable() });

export const historyResource = z.object({
  items: z.array(
    z.object({
      at: timestamp,
      from: stageAndStatus,
      to: stageAndStatus,
      cause: z.enum(CAUSES),
      eventId: z.string().optional(),
      actor: z.string().meta({ description: 'The caller id for changes made by an API call, system for events and the timer' }),
      detail: z.string(),
    }),
  ),
});

export const problemResource = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    suggestedAction: z.string().optional(),
  })
  .meta({ id: 'Problem' });

export const healthResource = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']),
  checks: z.record(z.string(), z.object({ status: z.enum(['ok', 'degraded', 'unavailable']), detail: z.string().optional() })),
});

const countsOf = <T extends readonly [string, ...string[]]>(names: T) =>
  z.strictObject(Object.fromEntries(names.map((name) => [name, z.number().int().min(0)])) as Record<T[number], z.ZodNumber>);

export const registrationSummary = z
  .object({ byStatus: countsOf(ACCOUNT_STATUSES), byStage: countsOf(STAGES), total: z.number().int().min(0), asOf: timestamp })
  .meta({ id: 'RegistrationSummary' });
