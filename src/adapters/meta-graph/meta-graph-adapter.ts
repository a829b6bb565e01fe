import { MetaGraphError, type BusinessUseCaseUsage, type MetaPhoneNumber, type MetaWaba } from '../../domain/meta';
import type { MetaGraph } from '../../domain/ports';
import type { VerificationMethod } from '../../domain/registration';
import { toE164 } from '../../domain/phone-number';
import { GraphClient, type RetryOptions } from './graph-client';
import {
  businessSchema,
  createdSchema,
  debugTokenSchema,
  expandedSubscribedAppsSchema,
  phoneNumberPageSchema,
  phoneNumberSchema,
  subscribedAppsSchema,
  successSchema,
  wabaSchema,
  type GraphPhoneNumber,
  type GraphSubscribedApp,
  type GraphPhoneNumberPage,
} from './schemas';
import { phoneNumberFields, wabaFields } from './fields';
import { readHealthStatus } from './health-status';
import { deriveTwoStepPin } from './two-step-pin';

export interface MetaGraphOptions {
  /** e.g. `https://graph.facebook.com` (a trailing slash is ignored). */
  graphUrl: string;
  /** e.g. `v25.0`. */
  version: string;
  accessToken: string;
  /** Secret from which each number's two-step PIN is derived (two-step-pin.ts). */
  pinSecret: string;
  /** Per attempt; default 10,000 ms. */
  timeoutMs?: number;
  /** Retries of transient faults; default 3 attempts, 200 ms base delay. */
  retry?: RetryOptions;
  /** Called with the parsed `X-Business-Use-Case-Usage` of every answer that carries one. */
  onUsage?: (usage: BusinessUseCaseUsage[]) => void;
}

/** Numbers per page when listing a WABA's phone numbers (Meta's maximum). */
export const PHONE_PAGE_SIZE = 100;
/** Guard against a cursor that never ends: 500 pages of 100 is far above any real WABA. */
const MAX_PHONE_PAGES = 500;

export function createMetaGraph(options: MetaGraphOptions): MetaGraph {
  if (!options.pinSecret) throw new Error('A PIN secret is required.');
  const client = new GraphClient({
    graphUrl: options.graphUrl,
    version: options.version,
    accessToken: options.accessToken,
    timeoutMs: options.timeoutMs ?? 10_000,
    retry: options.retry ?? { attempts: 3, baseDelayMs: 200 },
    onUsage: options.onUsage,
  });
  const phoneFields = phoneNumberFields(options.version).join(',');
  const wabaQueryFields = [...wabaFields(options.version), `phone_numbers.limit(${PHONE_PAGE_SIZE}){${phoneFields}}`].join(',');
  const id = (value: string, what: string): string => {
    // Ids go into the path: refuse anything that could change the request's meaning.
    if (!/^[A-Za-z0-9_]+$/.test(value)) {
      throw new MetaGraphError('rejected', `Invalid ${what} id: it must be alphanumeric.`);
    }
    return value;
  };
  const expectSuccess = (operation: string, answer: { success: boolean }): void => {
    if (!answer.success) throw new MetaGraphError('rejected', `Meta Graph ${operation} answered success: false`);
  };

  const listPhonePage = (wabaId: string, after: string): Promise<GraphPhoneNumberPage> =>
    client.call({
      operation: 'getWhatsAppBusinessAccount (phone_numbers page)',
      method: 'GET',
      path: `/${wabaId}/phone_numbers`,
      query: { fields: phoneFields, limit: String(PHONE_PAGE_SIZE), after },
      schema: phoneNumberPageSchema,
      retry: 'transient',
    });

  return {
    async getBusiness(businessId) {
      const business = await client.call({
        operation: 'getBusiness',
        method: 'GET',
        path: `/${id(businessId, 'business')}`,
        query: { fields: 'id,name' },
        schema: businessSchema,
        retry: 'transient',
      });
      return { id: business.id, name: business.name ?? null };
    },

    async getWhatsAppBusinessAccount(wabaId) {
      const waba = await client.call({
        operation: 'getWhatsAppBusinessAccount',
        method: 'GET',
        path: `/${id(wabaId, 'WhatsApp Business Account')}`,
        query: { fields: wabaQueryFields },
        schema: wabaSchema,
        retry: 'transient',
      });
      const phoneNumbers = (waba.phone_numbers?.data ?? []).map(toPhoneNumber);
      // Follow the cursor with our own URL rather than `paging.next`: `next` is only the signal
      // that more pages exist (Meta sends `cursors.after` on the last page too), and sending our
      // bearer token to a URL taken from a response is not something to do blindly.
      let paging = waba.phone_numbers?.paging;
      const seen = new Set<string>();
      for (let page = 0; paging?.next && paging.cursors?.after; page += 1) {
        const after = paging.cursors.after;
        if (seen.has(after) || page >= MAX_PHONE_PAGES) {
          throw new MetaGraphError('rejected', 'Meta Graph getWhatsAppBusinessAccount: phone_numbers paging does not end.');
        }
        seen.add(after);
        const next = await listPhonePage(waba.id, after);
        phoneNumbers.push(...next.data.map(toPhoneNumber));
        paging = next.paging;
      }
      const result: MetaWaba = {
        id: waba.id,
        name: waba.name ?? null,
        accountReviewStatus: waba.account_review_status ?? null,
        businessVerificationStatus: waba.business_verification_status ?? null,
        healthStatus: readHealthStatus(waba.health_status),
        phoneNumbers,
      };
      const subscribed = expandedSubscribedApps(waba.subscribed_apps);
      if (subscribed) result.subscribedAppIds = subscribed;
      return result;
    },

    async getPhoneNumber(phoneNumberId) {
      const phone = await client.call({
        operation: 'getPhoneNumber',
        method: 'GET',
        path: `/${id(phoneNumberId, 'phone-number')}`,
        query: { fields: phoneFields },
        schema: phoneNumberSchema,
        retry: 'transient',
      });
      return toPhoneNumber(phone);
    },

    async addPhoneNumber(wabaId, input) {
      const created = await client.call({
        operation: 'addPhoneNumber',
        method: 'POST',
        path: `/${id(wabaId, 'WhatsApp Business Account')}/phone_numbers`,
        body: { cc: input.countryCode, phone_number: input.phoneNumber, verified_name: input.verifiedName },
        schema: createdSchema,
        // A retry after an ambiguous failure at worst meets "already on the WABA", which the
        // caller resolves by looking the number up.
        retry: 'transient',
      });
      return { id: created.id };
    },

    async requestVerificationCode(phoneNumberId: string, method: VerificationMethod, language: string) {
      const answer = await client.call({
        operation: 'requestVerificationCode',
        method: 'POST',
        path: `/${id(phoneNumberId, 'phone-number')}/request_code`,
        body: { code_method: method, language },
        schema: successSchema,
        // Never repeated: repeated requests lock the number out for about a day.
        retry: 'never',
      });
      expectSuccess('requestVerificationCode', answer);
    },

    async verifyCode(phoneNumberId, code) {
      const digits = code.replace(/[\s-]/g, '');
      const answer = await client.call({
        operation: 'verifyCode',
        method: 'POST',
        path: `/${id(phoneNumberId, 'phone-number')}/verify_code`,
        body: { code: digits },
        schema: successSchema,
        // Repeated only when Meta answered "transient": after a timeout the code may already be used.
        retry: 'answered-transient',
        secrets: [digits, code],
      });
      expectSuccess('verifyCode', answer);
    },

    async registerPhoneNumber(phoneNumberId) {
      const pin = deriveTwoStepPin(options.pinSecret, id(phoneNumberId, 'phone-number'));
      const answer = await client.call({
        operation: 'registerPhoneNumber',
        method: 'POST',
        path: `/${phoneNumberId}/register`,
        body: { messaging_product: 'whatsapp', pin },
        schema: successSchema,
        // Never repeated: 10 register calls per 72 h, then 133016.
        retry: 'never',
        secrets: [pin],
      });
      expectSuccess('registerPhoneNumber', answer);
    },

    async subscribeApp(wabaId) {
      const answer = await client.call({
        operation: 'subscribeApp',
        method: 'POST',
        path: `/${id(wabaId, 'WhatsApp Business Account')}/subscribed_apps`,
        schema: successSchema,
        retry: 'transient',
      });
      expectSuccess('subscribeApp', answer);
    },

    async subscribedAppIds(wabaId) {
      const answer = await client.call({
        operation: 'subscribedAppIds',
        method: 'GET',
        path: `/${id(wabaId, 'WhatsApp Business Account')}/subscribed_apps`,
        schema: subscribedAppsSchema,
        retry: 'transient',
      });
      return appIdsOf(answer.data);
    },

    async grantedWabaIds() {
      const answer = await client.call({
        operation: 'grantedWabaIds',
        method: 'GET',
        path: '/debug_token',
        query: { input_token: options.accessToken },
        schema: debugTokenSchema,
        retry: 'transient',
      });
      if (answer.data.is_valid === false) {
        throw new MetaGraphError('token', 'Meta Graph grantedWabaIds: the access token is not valid.', {
          ...(answer.data.error?.code !== undefined ? { code: answer.data.error.code } : {}),
          ...(answer.data.error?.subcode !== undefined ? { subcode: answer.data.error.subcode } : {}),
        });
      }
      const ids = new Set<string>();
      for (const scope of answer.data.granular_scopes ?? []) {
        if (scope.scope === 'whatsapp_business_management') for (const target of scope.target_ids ?? []) ids.add(target);
      }
      return [...ids];
    },

    async requestDisplayNameChange(phoneNumberId, newDisplayName) {
      const answer = await client.call({
        operation: 'requestDisplayNameChange',
        method: 'POST',
        path: `/${id(phoneNumberId, 'phone-number')}`,
        body: { new_display_name: newDisplayName },
        schema: successSchema,
        // Repeated only when Meta answered "transient": after a timeout the request may already be under review.
        retry: 'answered-transient',
      });
      expectSuccess('requestDisplayNameChange', answer);
    },
  };
}

/**
 * The app ids of an expanded `subscribed_apps`: none when absent (Meta leaves an empty edge out of a
 * field-expanded answer), undefined when its shape is not understood (the subscription check is then skipped).
 */
function expandedSubscribedApps(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  const parsed = expandedSubscribedAppsSchema.safeParse(value);
  if (!parsed.success) return undefined;
  return appIdsOf(Array.isArray(parsed.data) ? parsed.data : parsed.data.data);
}

function appIdsOf(apps: GraphSubscribedApp[]): string[] {
  return apps.flatMap((app) => {
    const appId = app.whatsapp_business_api_data?.id ?? app.id;
    return appId ? [appId] : [];
  });
}

function toPhoneNumber(phone: GraphPhoneNumber): MetaPhoneNumber {
  return {
    id: phone.id,
    displayPhoneNumber: phone.display_phone_number,
    e164: toE164(phone.display_phone_number),
    verifiedName: phone.verified_name ?? null,
    codeVerificationStatus: phone.code_verification_status ?? null,
    nameStatus: phone.name_status ?? null,
    newNameStatus: phone.new_name_status ?? null,
    status: phone.status ?? null,
    qualityRating: phone.quality_rating ?? null,
    messagingLimit: stringOrNull(phone.whatsapp_business_manager_messaging_limit) ?? stringOrNull(phone.messaging_limit_tier),
    healthStatus: readHealthStatus(phone.health_status),
  };
}

/** The messaging limit comes in one of two fields depending on the version; anything but a non-empty string counts as absent. */
const stringOrNull = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
