import { z } from 'zod';

/**
 * zod schemas of the Graph API answers this adapter reads. Objects are loose (Meta adds fields
 * without notice) and enum-like fields are plain strings (Meta adds values without notice):
 * the domain maps the values it knows and keeps the rest as raw strings.
 */
const text = z.string().nullish();

/** Meta's error envelope; read leniently since we classify whatever we can from it. */
const lenientInt = z
  .preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value), z.number().int().optional())
  .catch(undefined);

export const errorEnvelopeSchema = z.looseObject({
  error: z.looseObject({
    message: z.string().optional().catch(undefined),
    type: z.string().optional().catch(undefined),
    code: lenientInt,
    error_subcode: lenientInt,
    is_transient: z.boolean().optional().catch(undefined),
    fbtrace_id: z.string().optional().catch(undefined),
  }),
});
export type MetaErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

export const businessSchema = z.looseObject({
  id: z.string().min(1),
  name: text,
});

export const phoneNumberSchema = z.looseObject({
  id: z.string().min(1),
  display_phone_number: z.string(),
  verified_name: text,
  code_verification_status: text,
  name_status: text,
  new_name_status: text,
  status: text,
  quality_rating: text,
  /** Read by health-status.ts, which drops what it cannot read instead of failing the answer. */
  health_status: z.unknown().optional(),
  /**
   * Informational only (no rule depends on it) and its shape changed across versions, so anything
   * that is not a string is read as "unknown" instead of failing the whole answer.
   */
  whatsapp_business_manager_messaging_limit: z.unknown().optional(),
  messaging_limit_tier: z.unknown().optional(),
});
export type GraphPhoneNumber = z.infer<typeof phoneNumberSchema>;

export const pagingSchema = z.looseObject({
  cursors: z
    .looseObject({
      before: z.string().optional(),
      after: z.string().optional(),
    })
    .optional(),
  next: z.string().optional(),
  previous: z.string().optional(),
});

export const phoneNumberPageSchema = z.looseObject({
  data: z.array(phoneNumberSchema),
  paging: pagingSchema.optional(),
});
export type GraphPhoneNumberPage = z.infer<typeof phoneNumberPageSchema>;

/**
 * One subscribed app. Meta's document gives two shapes: its schema lists `{ id, name }`, its
 * examples (and real Graph) wrap them as `{ whatsapp_business_api_data: { id, name, link } }`;
 * both are read (docs/meta-graph.md "Subscribed apps").
 */
const subscribedAppSchema = z.looseObject({
  id: z.string().optional(),
  name: text,
  whatsapp_business_api_data: z.looseObject({ id: z.string().optional(), name: text, link: text }).optional(),
});
export type GraphSubscribedApp = z.infer<typeof subscribedAppSchema>;

/** `GET /{waba}/subscribed_apps`, and the same edge expanded on the WABA. */
export const subscribedAppsSchema = z.looseObject({ data: z.array(subscribedAppSchema) });

/** `subscribed_apps` as expanded on the WABA: an edge (`{ data }`), or the plain array of the document's schema. */
export const expandedSubscribedAppsSchema = z.union([subscribedAppsSchema, z.array(subscribedAppSchema)]);

export const wabaSchema = z.looseObject({
  id: z.string().min(1),
  name: text,
  account_review_status: text,
  business_verification_status: text,
  health_status: z.unknown().optional(),
  /** Meta leaves an empty edge out of a field-expanded answer. */
  phone_numbers: phoneNumberPageSchema.optional(),
  /**
   * Read apart (expandedSubscribedAppsSchema), so that a shape Meta changes never fails the WABA read
   * that everything else depends on.
   */
  subscribed_apps: z.unknown().optional(),
});

export const createdSchema = z.looseObject({ id: z.string().min(1) });

export const successSchema = z.looseObject({ success: z.boolean() });

export const debugTokenSchema = z.looseObject({
  data: z.looseObject({
    is_valid: z.boolean().optional(),
    error: z
      .looseObject({
        code: lenientInt,
        subcode: lenientInt,
      })
      .optional(),
    granular_scopes: z
      .array(
        z.looseObject({
          scope: z.string(),
          target_ids: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  }),
});

/** `GET /oauth/access_token`: the business integration system-user token of Embedded Signup. */
export const accessTokenSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: text,
});
