import { createHmac } from 'node:crypto';
import { EventPayloadError, parseEventGridPayload } from '../../src/local/event-grid-endpoint';
import { SEED_WABA } from '../../src/local/meta-sandbox';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { smsReceived, webhookEnvelope } from '../support/events';
import { uniquePhoneNumber } from '../support/onboarding';

let app: AppHarness;
beforeAll(async () => (app = await startAppHarness()));
afterAll(() => app.close());

/** Built as text: serialising such a value would overflow the test's own stack. */
const nestedJson = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const PLACEHOLDER = '"__deep__"';

describe('bodies nested thousands of levels deep', () => {
  it('a signed webhook answers 400 validation-failed', async () => {
    const envelope = webhookEnvelope(SEED_WABA.id, [
      { field: 'account_update', value: { event: 'PARTNER_REMOVED', waba_info: { waba_id: SEED_WABA.id }, extra: '__deep__' } },
    ]);
    const body = JSON.stringify(envelope).replace(PLACEHOLDER, nestedJson(10_000));
    const headers = {
      'content-type': 'application/json',
      'x-hub-signature-256': `sha256=${createHmac('sha256', 'test-app-secret').update(body).digest('hex')}`,
    };
    const response = await app.call('metaWebhook', { body, headers });
    expect(response.status).toBe(400);
    expect(response.json.code).toBe('validation-failed');
  });

  it('an API body answers 400', async () => {
    const body = JSON.stringify({ phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'byo', deep: '__deep__' }).replace(PLACEHOLDER, nestedJson(10_000));
    const response = await app.call('createRegistration', { body, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
  });

  it('an Event Grid event is dropped as malformed, not retried', async () => {
    const event = { ...smsReceived(uniquePhoneNumber(), 'hello'), extra: JSON.parse(nestedJson(10_000)) as unknown };
    const delivery = await app.deliver('smsEvents', [event]);
    expect(delivery.status).toBe(202);
    expect(delivery.logs.join('\n')).toMatch(/dropped/);
  });

  it('an Event Grid delivery to the local host is refused as a bad payload', () => {
    expect(() => parseEventGridPayload(`[${nestedJson(10_000)}]`)).toThrow(EventPayloadError);
    expect(parseEventGridPayload(`[${nestedJson(20)}]`)).toHaveLength(1);
  });
});
