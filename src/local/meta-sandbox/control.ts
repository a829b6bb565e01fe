import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { serveControl } from './http';
import type { SignupSessions } from './signup';
import { MISSING_OBJECT_STYLES } from './errors';
import { CAN_SEND_MESSAGE, SANDBOX_OPERATIONS, SandboxControlError, type SandboxHealth, type SandboxOperation, type SandboxState } from './state';

/** The `/_sandbox/...` control routes (listed in index.ts): the SandboxState methods over HTTP. */
const text = z.string().trim().min(1).max(200);
const phoneFieldsSchema = z.object({
  verifiedName: text.optional(),
  codeVerificationStatus: text.optional(),
  nameStatus: text.optional(),
  newNameStatus: text.optional(),
  status: text.optional(),
  qualityRating: text.optional(),
  messagingLimit: text.optional(),
  platformType: text.optional(),
  registered: z.boolean().optional(),
});
const schemas = {
  reset: z.object({ seed: z.boolean().optional() }),
  business: z.object({ id: z.string().regex(/^\d+$/).optional(), name: text }),
  waba: z.object({
    id: z.string().regex(/^\d+$/).optional(),
    name: text.optional(),
    businessId: z.string().regex(/^\d+$/).nullable().optional(),
    accountReviewStatus: text.optional(),
    businessVerificationStatus: text.optional(),
    ownershipType: text.optional(),
    newNumberNameStatus: text.optional(),
  }),
  phone: phoneFieldsSchema.extend({ phoneNumber: text, id: z.string().regex(/^\d+$/).optional() }),
  bulk: phoneFieldsSchema.extend({ count: z.number().int().min(1).max(100_000) }),
  status: z.object({ status: text }),
  accountReviewStatus: z.object({ accountReviewStatus: text }),
  businessVerificationStatus: z.object({ businessVerificationStatus: text }),
  nameStatus: z.object({ nameStatus: text }),
  delete: z.object({ mode: z.enum(['status', 'remove']).optional() }),
  health: z.object({
    canSendMessage: z.enum(CAN_SEND_MESSAGE),
    errors: z
      .array(
        z.object({
          errorCode: z.number().int().positive(),
          errorDescription: z.string().trim().min(1).max(500),
          possibleSolution: z.string().trim().min(1).max(500),
        }),
      )
      .max(20)
      .optional(),
  }),
  newNameStatus: z.object({ newNameStatus: text }),
  missingObjects: z.object({ style: z.enum(MISSING_OBJECT_STYLES) }),
  signup: z.object({
    phoneNumber: text.optional(),
    verified: z.boolean().optional(),
    onlyWaba: z.boolean().optional(),
    verifiedName: text.optional(),
  }),
  failNext: z
    .object({
      operation: z.enum(SANDBOX_OPERATIONS).optional(),
      pathPattern: z.string().min(1).max(500).optional(),
      error: z.object({
        code: z.number().int(),
        error_subcode: z.number().int().optional(),
        message: z.string().max(1000).optional(),
        type: z.string().max(100).optional(),
        is_transient: z.boolean().optional(),
      }),
      times: z.number().int().min(1).max(10_000).optional(),
      httpStatus: z.number().int().min(400).max(599).optional(),
      estimatedTimeToRegainAccess: z.number().min(0).optional(),
    })
    .refine((value) => (value.operation === undefined) !== (value.pathPattern === undefined), {
      message: 'give exactly one of operation and pathPattern',
    }),
};

const FIXED_ROUTES = new Set([
  'GET /state',
  'POST /reset',
  'GET /calls',
  'POST /calls/reset',
  'POST /businesses',
  'POST /wabas',
  'POST /embedded-signup',
  'POST /fail-next',
  'DELETE /fail-next',
  'POST /missing-objects',
]);

const toHealth = (input: z.infer<typeof schemas.health>): SandboxHealth => ({ canSendMessage: input.canSendMessage, errors: input.errors ?? [] });

function pattern(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch {
    throw new SandboxControlError('pathPattern is not a valid regular expression.');
  }
}

export function handleControl(state: SandboxState, req: IncomingMessage, res: ServerResponse, url: URL, signups: SignupSessions): Promise<void> {
  return serveControl(req, res, url, SandboxControlError, async ({ method, segments, body }) => {
    const exact = `${method} /${segments.join('/')}`;
    const route = FIXED_ROUTES.has(exact) ? exact : `${method} /${segments.map((segment, index) => (index === 1 ? ':id' : segment)).join('/')}`;
    const id = segments[1] ?? '';
    switch (route) {
      case 'GET /state':
        return [200, state.snapshot()];
      case 'POST /reset':
        state.reset(await body(schemas.reset));
        signups.reset();
        return [200, state.snapshot()];
      case 'GET /calls':
        return [200, state.callCounts()];
      case 'POST /calls/reset':
        state.resetCalls();
        return [200, state.callCounts()];
      case 'POST /businesses':
        return [201, state.addBusiness(await body(schemas.business))];
      case 'POST /wabas':
        return [201, state.addWaba(await body(schemas.waba))];
      case 'POST /embedded-signup':
        return [201, signups.start(await body(schemas.signup))];
      case 'GET /embedded-signup/:id':
        return [200, signups.session(id)];
      case 'POST /wabas/:id/phone-numbers': {
        const { phoneNumber, ...fields } = await body(schemas.phone);
        return [201, withoutSecrets(state.addPhoneNumber(id, phoneNumber, fields))];
      }
      case 'POST /wabas/:id/phone-numbers/bulk': {
        const { count, ...fields } = await body(schemas.bulk);
        const added = state.addPhoneNumbers(id, count, fields);
        return [201, { count: added.length, ids: added.map((phone) => phone.id) }];
      }
      case 'POST /wabas/:id/unshare':
        return [200, state.unshareWaba(id)];
      case 'POST /wabas/:id/share':
        return [200, state.shareWaba(id)];
      case 'POST /wabas/:id/account-review-status':
        return [200, state.setAccountReviewStatus(id, (await body(schemas.accountReviewStatus)).accountReviewStatus)];
      case 'POST /wabas/:id/business-verification-status':
        return [200, state.setBusinessVerificationStatus(id, (await body(schemas.businessVerificationStatus)).businessVerificationStatus)];
      case 'POST /wabas/:id/health':
        return [200, state.setWabaHealth(id, toHealth(await body(schemas.health)))];
      case 'DELETE /wabas/:id/health':
        return [200, state.setWabaHealth(id, null)];
      case 'POST /wabas/:id/unsubscribe-app':
        return [200, state.unsubscribeApp(id)];
      case 'POST /wabas/:id/new-number-name-status':
        return [200, state.setNewNumberNameStatus(id, (await body(schemas.nameStatus)).nameStatus)];
      case 'GET /phone-numbers/:id':
        return [200, withoutSecrets(state.requirePhone(id))];
      case 'POST /phone-numbers/:id/delete':
        return [200, withoutSecrets(state.deletePhoneNumber(id, (await body(schemas.delete)).mode ?? 'status'))];
      case 'POST /phone-numbers/:id/name-status':
        return [200, withoutSecrets(state.setNameStatus(id, (await body(schemas.nameStatus)).nameStatus))];
      case 'POST /phone-numbers/:id/status':
        return [200, withoutSecrets(state.setPhoneStatus(id, (await body(schemas.status)).status))];
      case 'POST /phone-numbers/:id/health':
        return [200, withoutSecrets(state.setPhoneHealth(id, toHealth(await body(schemas.health))))];
      case 'DELETE /phone-numbers/:id/health':
        return [200, withoutSecrets(state.setPhoneHealth(id, null))];
      case 'POST /phone-numbers/:id/new-name-status':
        return [200, withoutSecrets(state.decideNewName(id, (await body(schemas.newNameStatus)).newNameStatus))];
      case 'POST /phone-numbers/:id/update':
        return [200, withoutSecrets(state.updatePhoneNumber(id, await body(phoneFieldsSchema)))];
      case 'GET /codes/:id': {
        const phone = state.requirePhone(id);
        if (!phone.lastCode) throw new SandboxControlError(`No code was requested for ${id}.`, 404);
        return [200, { phoneNumber: phone.e164, phoneNumberId: phone.id, ...phone.lastCode }];
      }
      case 'POST /fail-next': {
        const input = await body(schemas.failNext);
        const target: SandboxOperation | RegExp = input.operation ?? pattern(input.pathPattern!);
        state.failNext(target, input.error, {
          ...(input.times !== undefined ? { times: input.times } : {}),
          ...(input.httpStatus !== undefined ? { httpStatus: input.httpStatus } : {}),
          ...(input.estimatedTimeToRegainAccess !== undefined ? { estimatedTimeToRegainAccess: input.estimatedTimeToRegainAccess } : {}),
        });
        return [201, { pendingFailures: state.pendingFailures().length }];
      }
      case 'POST /missing-objects':
        state.missingObjectStyle = (await body(schemas.missingObjects)).style;
        return [200, { style: state.missingObjectStyle }];
      case 'DELETE /fail-next':
        state.clearFailures();
        return [200, { pendingFailures: 0 }];
      default:
        throw new SandboxControlError(`No sandbox route ${method} ${url.pathname}.`, 404);
    }
  });
}

function withoutSecrets<T extends { lastCode: unknown; pinHash: unknown }>(phone: T): Omit<T, 'lastCode' | 'pinHash'> {
  const { lastCode: _lastCode, pinHash: _pinHash, ...rest } = phone;
  return rest;
}
