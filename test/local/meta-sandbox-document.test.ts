import { createMetaSandbox, metaSandboxWorldSchema, SandboxState, SEED_BUSINESS, SEED_WABA, type MetaSandbox } from '../../src/local/meta-sandbox';
import { jsonCall, type JsonAnswer } from '../support/json-call';

/**
 * What the sandbox does because Meta's document (and real Graph) say so: the HTTP status of each
 * kind of error, health_status, fields gated by version, `POST /{phone-number-id}`, unsubscribing
 * the app, and the control routes that move these (docs/meta-graph.md "Meta's document and real Graph").
 */
let sandbox: MetaSandbox;
let server: { url: string; close(): Promise<void> };

const APP_ID = '900000000000777';
const AUTH = { Authorization: 'Bearer any-token' };

/** Status and body only: these tests compare whole answers. */
type Answer = Omit<JsonAnswer, 'headers'>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<Answer> {
  const { status, body: answer } = await jsonCall(server.url, method, path, body, headers);
  return { status, body: answer };
}
const get = (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers);
const post = (path: string, body: unknown = {}) => call('POST', path, body);

function expectError(answer: Answer, status: number, code: number, subcode?: number): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({
    error: expect.objectContaining({ message: expect.any(String), type: expect.any(String), code, fbtrace_id: expect.any(String) }),
  });
  expect(answer.body.error.error_subcode).toBe(subcode);
}

beforeEach(async () => {
  sandbox = createMetaSandbox({ log: () => undefined, app: { id: APP_ID, secret: 'not-used-here' } });
  server = await sandbox.listen(0);
});

afterEach(async () => {
  await server.close();
});

const connectedNumber = (phoneNumber = '+14255550100', fields: Parameters<SandboxState['addPhoneNumber']>[2] = {}) =>
  sandbox.state.addPhoneNumber(SEED_WABA.id, phoneNumber, fields);

describe('HTTP status per kind of error', () => {
  it('answers a missing or broken token 401, as the document does', async () => {
    expectError(await get(`/v25.0/${SEED_WABA.id}`, {}), 401, 104);
    expectError(await get(`/v25.0/${SEED_WABA.id}`, { Authorization: 'Bearer expired-token' }), 401, 190, 463);
    expectError(await get(`/v25.0/${SEED_WABA.id}`, { Authorization: 'Bearer sandbox-business-token-made-up' }), 401, 190);
  });

  it('gives injected failures the status of their kind unless one is given', async () => {
    const cases: Array<[code: number, status: number]> = [
      [200, 403],
      [10, 403],
      [4, 429],
      [80008, 429],
      [130429, 429],
      [133016, 429],
      [2, 500],
      [131000, 500],
      [100, 400],
      [368, 400],
    ];
    for (const [code, status] of cases) {
      sandbox.state.failNext('get_waba', { code });
      expectError(await get(`/v25.0/${SEED_WABA.id}`), status, code);
    }
    sandbox.state.failNext('get_waba', { code: 200 }, { httpStatus: 400 });
    expect((await get(`/v25.0/${SEED_WABA.id}`)).status).toBe(400);
  });

  it("answers a missing object 400 100/33 by default, or the document's 404 803 when switched", async () => {
    const missing = await get('/v25.0/999999999');
    expectError(missing, 400, 100, 33);
    expect(missing.body.error.type).toBe('GraphMethodException');

    expect((await post('/_sandbox/missing-objects', { style: 'document-404-803' })).body).toEqual({ style: 'document-404-803' });
    const documented = await get('/v25.0/999999999');
    expectError(documented, 404, 803);
    expect(documented.body.error.type).toBe('GraphMethodException');
    sandbox.state.unshareWaba(SEED_WABA.id);
    expectError(await get(`/v25.0/${SEED_WABA.id}/subscribed_apps`), 404, 803);
    expectError(await call('DELETE', `/v25.0/${SEED_WABA.id}/subscribed_apps`), 404, 803);

    expect((await post('/_sandbox/missing-objects', { style: 'something-else' })).status).toBe(400);
    await post('/_sandbox/reset');
    expectError(await get('/v25.0/999999999'), 400, 100, 33);
  });
});

describe('request_code', () => {
  it("takes the language in the document's form xx_XX only", async () => {
    const phone = connectedNumber('+14255550100', { status: 'PENDING', codeVerificationStatus: 'NOT_VERIFIED', registered: false });
    for (const language of ['en', 'EN_us', 'en-US', 'eng_US', 'en_USA']) {
      expectError(await post(`/v25.0/${phone.id}/request_code`, { code_method: 'SMS', language }), 400, 100);
    }
    expect(sandbox.state.lastCode(phone.id)).toBeNull();
    for (const language of ['en_US', 'pt_BR']) {
      expect((await post(`/v25.0/${phone.id}/request_code`, { code_method: 'SMS', language })).body).toEqual({ success: true });
    }
  });
});

describe('fields gated by version', () => {
  it('knows messaging_limit_tier up to v23 and whatsapp_business_manager_messaging_limit from v24', async () => {
    const phone = connectedNumber('+14255550100', { messagingLimit: 'TIER_250' });
    expect((await get(`/v23.0/${phone.id}?fields=messaging_limit_tier`)).body).toEqual({ messaging_limit_tier: 'TIER_250' });
    const unknownInV23 = await get(`/v23.0/${phone.id}?fields=id,whatsapp_business_manager_messaging_limit`);
    expectError(unknownInV23, 400, 100);
    expect(unknownInV23.body.error.message).toContain('whatsapp_business_manager_messaging_limit');
    for (const version of ['v24.0', 'v25.0']) {
      expect((await get(`/${version}/${phone.id}?fields=whatsapp_business_manager_messaging_limit`)).body).toEqual({
        whatsapp_business_manager_messaging_limit: 'TIER_250',
      });
      expectError(await get(`/${version}/${phone.id}?fields=messaging_limit_tier`), 400, 100);
    }
    // No version prefix: served as v25.0.
    expectError(await get(`/${phone.id}?fields=messaging_limit_tier`), 400, 100);
  });

  it('gates the expanded phone list the same way', async () => {
    connectedNumber();
    expectError(await get(`/v25.0/${SEED_WABA.id}?fields=id,phone_numbers{id,messaging_limit_tier}`), 400, 100);
    expectError(await get(`/v25.0/${SEED_WABA.id}/phone_numbers?fields=id,messaging_limit_tier`), 400, 100);
    expect((await get(`/v23.0/${SEED_WABA.id}/phone_numbers?fields=messaging_limit_tier`)).body.data).toEqual([{ messaging_limit_tier: 'TIER_250' }]);
  });

  it('serves platform_type, new_name_status and health_status in v23 as in later versions', async () => {
    const phone = connectedNumber();
    for (const version of ['v23.0', 'v25.0']) {
      const answer = await get(`/${version}/${phone.id}?fields=platform_type,new_name_status,health_status`);
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body).sort()).toEqual(['health_status', 'new_name_status', 'platform_type']);
      expect((await get(`/${version}/${SEED_WABA.id}?fields=health_status`)).status).toBe(200);
    }
  });
});

describe('health_status', () => {
  it('of a connected number on a verified, approved account: AVAILABLE for every entity', async () => {
    const phone = connectedNumber();
    expect((await get(`/v25.0/${phone.id}?fields=health_status`)).body.health_status).toEqual({
      can_send_message: 'AVAILABLE',
      entities: [
        { entity_type: 'PHONE_NUMBER', id: phone.id, can_send_message: 'AVAILABLE' },
        { entity_type: 'WABA', id: SEED_WABA.id, can_send_message: 'AVAILABLE' },
        { entity_type: 'BUSINESS', id: SEED_BUSINESS.id, can_send_message: 'AVAILABLE' },
        { entity_type: 'APP', id: APP_ID, can_send_message: 'AVAILABLE' },
      ],
    });
    expect((await get(`/v25.0/${SEED_WABA.id}?fields=health_status`)).body.health_status).toEqual({
      can_send_message: 'AVAILABLE',
      entities: [
        { entity_type: 'WABA', id: SEED_WABA.id, can_send_message: 'AVAILABLE' },
        { entity_type: 'BUSINESS', id: SEED_BUSINESS.id, can_send_message: 'AVAILABLE' },
        { entity_type: 'APP', id: APP_ID, can_send_message: 'AVAILABLE' },
      ],
    });
  });

  it.each([
    ['BANNED', 'BLOCKED'],
    ['FLAGGED', 'BLOCKED'],
    ['DISCONNECTED', 'BLOCKED'],
    ['PENDING', 'BLOCKED'],
    ['RESTRICTED', 'LIMITED'],
    ['RATE_LIMITED', 'LIMITED'],
  ])('of a number with status %s: the number is %s, with an error saying why', async (status, canSend) => {
    const phone = connectedNumber('+14255550100', { status });
    const health = (await get(`/v25.0/${phone.id}?fields=health_status`)).body.health_status;
    expect(health.can_send_message).toBe(canSend);
    expect(health.entities[0]).toEqual({
      entity_type: 'PHONE_NUMBER',
      id: phone.id,
      can_send_message: canSend,
      errors: [{ error_code: expect.any(Number), error_description: expect.any(String), possible_solution: expect.any(String) }],
    });
  });

  it('of a REJECTED account blocks the account and its numbers; an unverified business limits them', async () => {
    const phone = connectedNumber();
    sandbox.state.setAccountReviewStatus(SEED_WABA.id, 'REJECTED');
    const waba = (await get(`/v25.0/${SEED_WABA.id}?fields=health_status`)).body.health_status;
    expect(waba.can_send_message).toBe('BLOCKED');
    expect(waba.entities[0]).toEqual(
      expect.objectContaining({ entity_type: 'WABA', can_send_message: 'BLOCKED', errors: [expect.objectContaining({ error_code: 141014 })] }),
    );
    expect((await get(`/v25.0/${phone.id}?fields=health_status`)).body.health_status.can_send_message).toBe('BLOCKED');

    sandbox.state.setAccountReviewStatus(SEED_WABA.id, 'APPROVED');
    sandbox.state.setBusinessVerificationStatus(SEED_WABA.id, 'pending');
    const limited = (await get(`/v25.0/${phone.id}?fields=health_status`)).body.health_status;
    expect(limited.can_send_message).toBe('LIMITED');
    expect(limited.entities[2]).toEqual(
      expect.objectContaining({ entity_type: 'BUSINESS', can_send_message: 'LIMITED', errors: [expect.objectContaining({ error_code: 141010 })] }),
    );
  });

  it('set by control routes replaces the computed entity until it is cleared', async () => {
    const phone = connectedNumber();
    const set = await post(`/_sandbox/phone-numbers/${phone.id}/health`, {
      canSendMessage: 'LIMITED',
      errors: [{ errorCode: 141006, errorDescription: 'Payment method error.', possibleSolution: 'Add a payment method.' }],
    });
    expect(set.status).toBe(200);
    const health = (await get(`/v25.0/${phone.id}?fields=health_status`)).body.health_status;
    expect(health.can_send_message).toBe('LIMITED');
    expect(health.entities[0]).toEqual({
      entity_type: 'PHONE_NUMBER',
      id: phone.id,
      can_send_message: 'LIMITED',
      errors: [{ error_code: 141006, error_description: 'Payment method error.', possible_solution: 'Add a payment method.' }],
    });

    expect((await post(`/_sandbox/wabas/${SEED_WABA.id}/health`, { canSendMessage: 'BLOCKED' })).status).toBe(200);
    expect((await get(`/v25.0/${SEED_WABA.id}?fields=health_status`)).body.health_status.entities[0]).toEqual({
      entity_type: 'WABA',
      id: SEED_WABA.id,
      can_send_message: 'BLOCKED',
    });
    expect((await get(`/v25.0/${phone.id}?fields=health_status`)).body.health_status.can_send_message).toBe('BLOCKED');

    await call('DELETE', `/_sandbox/wabas/${SEED_WABA.id}/health`);
    await call('DELETE', `/_sandbox/phone-numbers/${phone.id}/health`);
    expect((await get(`/v25.0/${phone.id}?fields=health_status`)).body.health_status.can_send_message).toBe('AVAILABLE');
  });

  it('refuses a health body outside the document', async () => {
    const phone = connectedNumber();
    expect((await post(`/_sandbox/phone-numbers/${phone.id}/health`, { canSendMessage: 'MAYBE' })).status).toBe(400);
    expect((await post(`/_sandbox/phone-numbers/${phone.id}/health`, { canSendMessage: 'BLOCKED', errors: [{ errorCode: 1 }] })).status).toBe(400);
    expect((await post('/_sandbox/wabas/404/health', { canSendMessage: 'BLOCKED' })).status).toBe(404);
    expect(sandbox.state.phoneNumber(phone.id)!.health).toBeNull();
  });
});

describe('phone status from the control route', () => {
  it.each(['CONNECTED', 'PENDING', 'FLAGGED', 'RESTRICTED', 'BANNED', 'DISCONNECTED', 'DELETED', 'MIGRATED', 'RATE_LIMITED', 'UNVERIFIED'])(
    'sets %s by id or by digits, and Graph answers it',
    async (status) => {
      const phone = connectedNumber('+14255550100');
      expect((await post('/_sandbox/phone-numbers/14255550100/status', { status })).status).toBe(200);
      expect((await get(`/v25.0/${phone.id}?fields=status`)).body).toEqual({ status });
    },
  );
});

describe('POST /{phone-number-id}', () => {
  it('sets the two-step PIN: register must then use it', async () => {
    const phone = connectedNumber('+14255550100', { status: 'PENDING', registered: false });
    expect(await post(`/v25.0/${phone.id}`, { pin: '123456' })).toEqual({ status: 200, body: { success: true } });
    expect((await get(`/v25.0/${phone.id}?fields=is_pin_enabled`)).body).toEqual({ is_pin_enabled: true });
    expectError(await post(`/v25.0/${phone.id}/register`, { messaging_product: 'whatsapp', pin: '654321' }), 422, 133005);
    expect((await post(`/v25.0/${phone.id}/register`, { messaging_product: 'whatsapp', pin: '123456' })).body).toEqual({ success: true });
    expect(JSON.stringify(sandbox.state.snapshot())).not.toContain('123456');
  });

  it('asks for a new display name: PENDING_REVIEW, the verified name unchanged until approved', async () => {
    const phone = connectedNumber('+14255550100', { verifiedName: 'Contoso Bikes' });
    expect((await post(`/v25.0/${phone.id}`, { new_display_name: '  Contoso Cycles  ' })).body).toEqual({ success: true });
    expect((await get(`/v25.0/${phone.id}?fields=verified_name,name_status,new_name_status`)).body).toEqual({
      verified_name: 'Contoso Bikes',
      name_status: 'APPROVED',
      new_name_status: 'PENDING_REVIEW',
    });
    expect(sandbox.state.phoneNumber(phone.id)!.requestedDisplayName).toBe('Contoso Cycles');

    expect((await post(`/_sandbox/phone-numbers/${phone.id}/new-name-status`, { newNameStatus: 'APPROVED' })).status).toBe(200);
    expect((await get(`/v25.0/${phone.id}?fields=verified_name,name_status,new_name_status`)).body).toEqual({
      verified_name: 'Contoso Cycles',
      name_status: 'APPROVED',
      new_name_status: 'APPROVED',
    });
  });

  it('keeps the name when Meta declines the change', async () => {
    const phone = connectedNumber('+14255550100', { verifiedName: 'Contoso Bikes', nameStatus: 'PENDING_REVIEW' });
    await post(`/v25.0/${phone.id}`, { new_display_name: 'Contoso Cycles' });
    await post('/_sandbox/phone-numbers/14255550100/new-name-status', { newNameStatus: 'DECLINED' });
    expect((await get(`/v25.0/${phone.id}?fields=verified_name,name_status,new_name_status`)).body).toEqual({
      verified_name: 'Contoso Bikes',
      name_status: 'PENDING_REVIEW',
      new_name_status: 'DECLINED',
    });
    // Nothing is pending any more.
    expect((await post(`/_sandbox/phone-numbers/${phone.id}/new-name-status`, { newNameStatus: 'APPROVED' })).status).toBe(409);
  });

  it('refuses a bad PIN, a name outside 2–75 characters, unknown or no parameters, and changes nothing', async () => {
    const phone = connectedNumber('+14255550100', { verifiedName: 'Contoso Bikes' });
    for (const body of [
      { pin: '12345' },
      { pin: '12345a' },
      { new_display_name: 'C' },
      { new_display_name: 'C'.repeat(76) },
      { pin: '123456', new_display_name: 'C' },
      { pin: '123456', connection_status: 'CONNECTED' },
      {},
    ]) {
      expectError(await post(`/v25.0/${phone.id}`, body), 400, 100);
    }
    const record = sandbox.state.phoneNumber(phone.id)!;
    expect(record).toEqual(expect.objectContaining({ pinHash: null, requestedDisplayName: null, newNameStatus: 'NONE', verifiedName: 'Contoso Bikes' }));
    expect((await post(`/v25.0/${phone.id}`, { new_display_name: 'C'.repeat(75) })).status).toBe(200);
  });

  it('answers a deleted number as missing', async () => {
    const phone = connectedNumber();
    sandbox.state.deletePhoneNumber(phone.id);
    expectError(await post(`/v25.0/${phone.id}`, { pin: '123456' }), 400, 100, 33);
    expect(sandbox.state.calls('update_phone_number')).toBe(1);
  });
});

describe('subscribed_apps', () => {
  it("lists the sandbox's own app in the document's shape, and unsubscribes it with DELETE", async () => {
    await post(`/v25.0/${SEED_WABA.id}/subscribed_apps`);
    expect((await get(`/v25.0/${SEED_WABA.id}/subscribed_apps`)).body).toEqual({
      data: [{ whatsapp_business_api_data: { id: APP_ID, link: expect.stringContaining(APP_ID), name: expect.any(String) } }],
    });
    expect(await call('DELETE', `/v25.0/${SEED_WABA.id}/subscribed_apps`)).toEqual({ status: 200, body: { success: true } });
    expect((await get(`/v25.0/${SEED_WABA.id}/subscribed_apps`)).body).toEqual({ data: [] });
    expect(sandbox.state.calls('unsubscribe_app')).toBe(1);
  });

  it('is unsubscribed by the control route too', async () => {
    await post(`/v25.0/${SEED_WABA.id}/subscribed_apps`);
    expect((await post(`/_sandbox/wabas/${SEED_WABA.id}/unsubscribe-app`)).body).toEqual(expect.objectContaining({ subscribedApp: false }));
    expect((await get(`/v25.0/${SEED_WABA.id}/subscribed_apps`)).body).toEqual({ data: [] });
  });

  it('reads as a WABA field by expansion, left out when empty like any edge', async () => {
    expect((await get(`/v25.0/${SEED_WABA.id}?fields=id,subscribed_apps`)).body).toEqual({ id: SEED_WABA.id });
    await post(`/v25.0/${SEED_WABA.id}/subscribed_apps`);
    expect((await get(`/v25.0/${SEED_WABA.id}?fields=id,subscribed_apps`)).body).toEqual({
      id: SEED_WABA.id,
      subscribed_apps: { data: [{ whatsapp_business_api_data: expect.objectContaining({ id: APP_ID }) }] },
    });
  });

  it('names the same app in debug_token', async () => {
    expect((await get('/v25.0/debug_token?input_token=any-token')).body.data.app_id).toBe(APP_ID);
  });
});

describe('the world with the new fields', () => {
  it('keeps health overrides and a pending display name across a restart', () => {
    const phone = connectedNumber();
    sandbox.state.setPhoneHealth(phone.id, { canSendMessage: 'BLOCKED', errors: [] });
    sandbox.state.setWabaHealth(SEED_WABA.id, { canSendMessage: 'LIMITED', errors: [] });
    sandbox.state.requestDisplayName(phone.id, 'Contoso Cycles');
    const saved = metaSandboxWorldSchema.parse(JSON.parse(JSON.stringify(sandbox.state.world())));
    const restored = new SandboxState({ seed: false });
    restored.restoreWorld(saved);
    expect(restored.phoneNumber(phone.id)).toEqual(
      expect.objectContaining({ health: { canSendMessage: 'BLOCKED', errors: [] }, requestedDisplayName: 'Contoso Cycles' }),
    );
    expect(restored.waba(SEED_WABA.id)!.health).toEqual({ canSendMessage: 'LIMITED', errors: [] });
  });

  it('reads a world saved before these fields existed', () => {
    connectedNumber();
    const world = JSON.parse(JSON.stringify(sandbox.state.world()));
    for (const waba of world.wabas) delete waba.health;
    for (const phone of world.phoneNumbers) {
      delete phone.health;
      delete phone.requestedDisplayName;
    }
    const parsed = metaSandboxWorldSchema.parse(world);
    expect(parsed.wabas[0]!.health).toBeNull();
    expect(parsed.phoneNumbers[0]).toEqual(expect.objectContaining({ health: null, requestedDisplayName: null }));
  });
});
