import { startLocalHostProcess, type LocalHostProcess } from '../support/local-host-process';

/** docs/design.md §5.2 over the wire: `npm start` with its Meta sandbox playing the Embedded Signup popup. */
let host: LocalHostProcess;
beforeAll(async () => (host = await startLocalHostProcess()), 90_000);
afterAll(() => host?.stop());

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? (JSON.parse(text) as any) : undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

describe('Embedded Signup through the local host', () => {
  it('takes a number verified in the popup from sign-up to Connected in one call, and a retry changes nothing', async () => {
    const created = await api('POST', '/api/registrations', { phoneNumber: '+1 425 555 0188', phoneNumberSource: 'byo' });
    expect(created.status).toBe(201);
    const id = created.json.id as string;

    const popup = await api('POST', '/meta-sandbox/_sandbox/embedded-signup', { phoneNumber: '+14255550188', verifiedName: 'Contoso Signup' });
    expect(popup.status).toBe(201);
    const body = {
      code: popup.json.code,
      businessId: popup.json.data.business_id,
      whatsAppBusinessAccountId: popup.json.data.waba_id,
      phoneNumberId: popup.json.data.phone_number_id,
    };
    const connected = await api('POST', `/api/registrations/${id}/embedded-signup`, body);
    expect(connected.status).toBe(200);
    expect(connected.json).toMatchObject({
      stage: 'Connected',
      status: 'DisplayNameReviewPending',
      displayName: 'Contoso Signup',
      phoneNumberId: body.phoneNumberId,
    });

    const retry = await api('POST', `/api/registrations/${id}/embedded-signup`, body);
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(connected.json);

    const session = await api('GET', `/meta-sandbox/_sandbox/embedded-signup/${encodeURIComponent(body.code)}`);
    const token = session.json.accessToken as string;
    expect(token).toBeTruthy();
    const history = await api('GET', `/api/registrations/${id}/history`);
    const events = await api('GET', '/api/events?limit=100');
    const seen = [host.output(), connected.text, retry.text, history.text, events.text].join('\n');
    expect(seen).not.toContain(token);
    expect(seen).not.toContain(body.code);
    const serviceLines = host
      .output()
      .split('\n')
      .filter((line) => !line.includes('[meta-sandbox]'));
    expect(serviceLines.join('\n')).not.toContain('14255550188');
  });

  it('after FINISH_ONLY_WABA stops at ProfileSelected; the code is then requested and verified as usual', async () => {
    const created = await api('POST', '/api/registrations', { phoneNumber: '+1 425 555 0187', phoneNumberSource: 'byo' });
    const id = created.json.id as string;
    const popup = await api('POST', '/meta-sandbox/_sandbox/embedded-signup', { onlyWaba: true });
    const profile = await api('POST', `/api/registrations/${id}/embedded-signup`, {
      code: popup.json.code,
      businessId: popup.json.data.business_id,
      whatsAppBusinessAccountId: popup.json.data.waba_id,
      displayName: 'Contoso Bikes',
    });
    expect(profile.status).toBe(200);
    expect(profile.json).toMatchObject({ stage: 'ProfileSelected', whatsAppBusinessAccountId: popup.json.data.waba_id });
    expect((await api('POST', `/api/registrations/${id}/verification`, { method: 'SMS' })).status).toBe(202);
    const code = (await api('GET', '/meta-sandbox/_sandbox/codes/14255550187')).json.code as string;
    const verified = await api('POST', `/api/registrations/${id}/verification/code`, { code });
    expect(verified.json.stage).toBe('Connected');
  });
});
