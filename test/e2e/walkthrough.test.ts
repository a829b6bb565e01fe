import validation from '../fixtures/subscription-validation.eventgrid.json';
import type { E2eApi } from '../support/e2e-api';
import { startLocalHostProcess, type LocalHostProcess } from '../support/local-host-process';

let host: LocalHostProcess;
beforeAll(async () => (host = await startLocalHostProcess()), 90_000);
afterAll(() => host?.stop());

const api: E2eApi = (...args) => host.api(...args);

describe('the local host (npm start) over HTTP with the Meta sandbox', () => {
  it('prints every function with its URL and says loudly that Meta is the sandbox', () => {
    const output = host.output();
    expect(output).toMatch(/createRegistration: \[POST\] http:\/\/localhost:\d+\/api\/registrations/);
    expect(output).toMatch(/SANDBOX/);
    expect(output).not.toMatch(/sandbox-token/);
    // Without AUTH_TRUST_PRINCIPAL_HEADER the host must say plainly that anyone is ops (docs/design.md §5.1).
    expect(output).toMatch(/X-MS-CLIENT-PRINCIPAL is NOT trusted[\s\S]*Registrations\.Ops[\s\S]*anonymous/);
  });

  it('walks the README: a bring-your-own number from POST to Connected', async () => {
    const phoneNumber = '+1 425 555 0199';
    const created = await api('POST', '/api/registrations', { phoneNumber, phoneNumberSource: 'byo' });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect(created.headers.get('location')).toBe(`/api/registrations/${id}`);

    expect((await api('PUT', `/api/registrations/${id}/business-account`, { businessId: '100000000000001' })).status).toBe(200);
    const profile = await api('PUT', `/api/registrations/${id}/whatsapp-profile`, {
      whatsAppBusinessAccountId: '200000000000001',
      displayName: 'Contoso Bikes',
    });
    expect(profile.json.stage).toBe('ProfileSelected');
    const requested = await api('POST', `/api/registrations/${id}/verification`, { method: 'SMS' });
    expect(requested.status).toBe(202);

    const sandboxCode = await api('GET', '/meta-sandbox/_sandbox/codes/14255550199');
    expect(sandboxCode.json.code).toMatch(/^\d{6}$/);
    // The code reaches the sandbox's own console for a developer, and never the service's log lines.
    const code = sandboxCode.json.code as string;
    const verified = await api('POST', `/api/registrations/${id}/verification/code`, { code: `${code.slice(0, 3)}-${code.slice(3)}` });
    expect(verified.status).toBe(200);
    expect(verified.json).toMatchObject({ stage: 'Connected', status: 'DisplayNameReviewPending', messaging: { canSend: true, limited: true } });
    const serviceLines = host
      .output()
      .split('\n')
      .filter((line) => !line.includes('[meta-sandbox]'));
    expect(serviceLines.join('\n')).not.toContain(code);
    expect(serviceLines.join('\n')).not.toContain('14255550199');

    const listed = await api('GET', '/api/registrations?status=DisplayNameReviewPending');
    expect(listed.json.items.map((item: { id: string }) => item.id)).toContain(id);
  });

  it('answers problems for bad input over the wire', async () => {
    const wrongType = await api('POST', '/api/registrations', 'phoneNumber=1', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.headers.get('content-type')).toBe('application/problem+json');
    const tooLarge = await api('POST', '/api/registrations', JSON.stringify({ pad: 'x'.repeat(65 * 1024) }));
    expect(tooLarge.status).toBe(413);
    const missing = await api('GET', '/api/registrations/nope');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('not-found');
  });

  it('serves the Event Grid webhook with the Functions host semantics', async () => {
    const handshake = await api('POST', '/runtime/webhooks/eventgrid?functionName=smsEvents', validation, { 'aeg-event-type': 'SubscriptionValidation' });
    expect(handshake.status).toBe(200);
    expect(handshake.json).toEqual({ validationResponse: validation[0]!.data.validationCode });
    expect((await api('POST', '/runtime/webhooks/eventgrid?functionName=smsEvents', [])).status).toBe(400);
    expect((await api('POST', '/runtime/webhooks/eventgrid?functionName=noSuchFunction', [], { 'aeg-event-type': 'Notification' })).status).toBe(404);
    const options = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=accountEvents`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(options.status).toBe(200);
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('serves the OpenAPI document and health', async () => {
    expect((await api('GET', '/api/health')).json.status).toBe('ok');
    expect((await api('GET', '/api/openapi.json')).json.openapi).toBe('3.1.0');
  });
});
