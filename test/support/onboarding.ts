import { randomInt } from 'node:crypto';
import { SEED_BUSINESS, SEED_WABA } from '../../src/local/meta-sandbox';
import type { AppHarness } from './app-harness';

/**
 * A distinct valid number per call: sequential within a process from a random start, so test files
 * that share tables (the e2e hosts) practically never pick the same number.
 */
let sequence = randomInt(0, 8_000_000);
export const uniquePhoneNumber = (): string => `+1425${2_000_000 + (sequence++ % 8_000_000)}`;

/** A clock tests can move forward (cooldowns, retry windows). */
export function testClock(start = Date.now()) {
  let now = start;
  return { now: () => new Date(now), advance: (seconds: number) => void (now += seconds * 1000) };
}

/** Drives the API from sign-up to the stage named, and returns the registration as last answered. */
export async function registerUpTo(
  app: AppHarness,
  stage: 'SignupStarted' | 'BusinessAccountSelected' | 'ProfileSelected' | 'CodeRequested' | 'Connected',
  /** `headers`: who calls (see test/support/principal.ts), when the app trusts the principal header. */
  options: { phoneNumber?: string; source?: 'acs' | 'byo'; wabaId?: string; headers?: Record<string, string> } = {},
) {
  const headers = options.headers ?? {};
  const phoneNumber = options.phoneNumber ?? uniquePhoneNumber();
  let response = await app.call('createRegistration', { headers, body: { phoneNumber, phoneNumberSource: options.source ?? 'byo' } });
  expectStatus(response, 201);
  const id: string = response.json.id;
  const steps: Array<[string, () => Promise<typeof response>, number]> = [
    ['BusinessAccountSelected', () => app.call('selectBusinessAccount', { headers, params: { id }, body: { businessId: SEED_BUSINESS.id } }), 200],
    [
      'ProfileSelected',
      () =>
        app.call('selectWhatsAppProfile', {
          headers,
          params: { id },
          body: { whatsAppBusinessAccountId: options.wabaId ?? SEED_WABA.id, displayName: 'Contoso Bikes' },
        }),
      200,
    ],
    ['CodeRequested', () => app.call('requestVerificationCode', { headers, params: { id }, body: { method: 'SMS' } }), 202],
    ['Connected', () => app.call('submitVerificationCode', { headers, params: { id }, body: { code: app.sandbox.state.lastCode(phoneNumber)! } }), 200],
  ];
  for (const [reached, call, status] of steps) {
    if (response.json.stage === stage) break;
    response = await call();
    expectStatus(response, status);
    if (reached === stage) break;
  }
  return { id, phoneNumber, registration: response.json, etag: response.headers.etag! };
}

function expectStatus(response: { status: number; text: string }, status: number): void {
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${response.text}`);
}
