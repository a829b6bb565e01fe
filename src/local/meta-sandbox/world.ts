import { z } from 'zod';

/**
 * What the Meta sandbox keeps across restarts of the local host: businesses, WABAs and numbers,
 * as Meta keeps them across restarts of this service. Call counters, usage windows and injected
 * failures belong to one run and are left out; so is the last verification code, since no code is
 * written to disk in plain text (a code requested before a restart must be requested again).
 */
/** Added after the first saved worlds: absent in an older file means "not set". */
const health = z
  .object({
    canSendMessage: z.enum(['AVAILABLE', 'LIMITED', 'BLOCKED']),
    errors: z.array(z.object({ errorCode: z.number().int(), errorDescription: z.string(), possibleSolution: z.string() })),
  })
  .nullable()
  .default(null);

const business = z.object({ id: z.string(), name: z.string() });

const waba = z.object({
  id: z.string(),
  name: z.string(),
  accountReviewStatus: z.string(),
  businessVerificationStatus: z.string(),
  ownershipType: z.string(),
  businessId: z.string().nullable(),
  shared: z.boolean(),
  newNumberNameStatus: z.string(),
  subscribedApp: z.boolean(),
  health,
  phoneNumberIds: z.array(z.string()),
});

const phoneNumber = z.object({
  id: z.string(),
  wabaId: z.string(),
  e164: z.string(),
  displayPhoneNumber: z.string(),
  verifiedName: z.string(),
  codeVerificationStatus: z.string(),
  nameStatus: z.string(),
  newNameStatus: z.string(),
  status: z.string(),
  qualityRating: z.string(),
  messagingLimit: z.string(),
  platformType: z.string(),
  removed: z.boolean(),
  codeRequests: z.number().int(),
  registered: z.boolean(),
  pinHash: z.string().nullable(),
  registerCalls: z.number().int(),
  health,
  requestedDisplayName: z.string().nullable().default(null),
});

export const metaSandboxWorldSchema = z.object({
  kind: z.literal('meta-sandbox-world'),
  version: z.literal(1),
  businesses: z.array(business),
  wabas: z.array(waba),
  phoneNumbers: z.array(phoneNumber),
  nextIds: z.object({ business: z.number().int(), waba: z.number().int(), phone: z.number().int(), generatedNumber: z.number().int() }),
});

export type MetaSandboxWorld = z.infer<typeof metaSandboxWorldSchema>;
