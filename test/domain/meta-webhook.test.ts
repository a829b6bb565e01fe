import { createHmac } from 'node:crypto';
import accountReviewUpdate from '../fixtures/meta-webhook.account-review-update.json';
import partnerRemoved from '../fixtures/meta-webhook.account-update.partner-removed.json';
import phoneNumberNameUpdate from '../fixtures/meta-webhook.phone-number-name-update.json';
import {
  ACCOUNT_REVIEW_UPDATE_EVENT,
  ACCOUNT_UPDATE_EVENT,
  canonicalJson,
  PHONE_NUMBER_NAME_UPDATE_EVENT,
  PHONE_NUMBER_QUALITY_UPDATE_EVENT,
  toAccountChangeEvents,
  verifyHandshake,
  verifyMetaSignature,
  WHATSAPP_EVENT_TYPES,
} from '../../src/domain/meta-webhook';

const SECRET = 'test-app-secret';
const RECEIVED_AT = new Date('2026-11-02T12:00:00.000Z');

const sign = (body: Uint8Array | string, secret = SECRET): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('verifyMetaSignature', () => {
  const body = Buffer.from(JSON.stringify(accountReviewUpdate), 'utf8');

  it('accepts the HMAC-SHA256 of the raw body', () => {
    expect(verifyMetaSignature(body, sign(body), SECRET)).toBe(true);
  });

  it('accepts upper-case hex and surrounding whitespace', () => {
    const header = sign(body);
    expect(verifyMetaSignature(body, `  sha256=${header.slice(7).toUpperCase()} `, SECRET)).toBe(true);
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyMetaSignature(body, sign(body, 'other-secret'), SECRET)).toBe(false);
  });

  it('rejects a body changed by one byte', () => {
    const tampered = Buffer.from(body);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 2) ^ 1, tampered.length - 2);
    expect(verifyMetaSignature(tampered, sign(body), SECRET)).toBe(false);
  });

  it.each([
    ['missing', null],
    ['undefined', undefined],
    ['empty', ''],
    ['without the algorithm', 'a'.repeat(64)],
    ['with sha1', `sha1=${'a'.repeat(40)}`],
    ['too short', `sha256=${'a'.repeat(63)}`],
    ['too long', `sha256=${'a'.repeat(66)}`],
    ['odd characters', `sha256=${'g'.repeat(64)}`],
    ['two signatures', `sha256=${'a'.repeat(64)},sha256=${'b'.repeat(64)}`],
  ])('rejects a header that is %s without throwing', (_label, header) => {
    expect(verifyMetaSignature(body, header, SECRET)).toBe(false);
  });

  it('never verifies with an empty app secret', () => {
    expect(verifyMetaSignature(body, sign(body, ''), '')).toBe(false);
  });

  it('hashes the exact bytes of a unicode-escaped body, which re-serialising would change', () => {
    // Meta sends non-ASCII as \u escapes; JSON.parse + JSON.stringify turns them into raw UTF-8.
    const raw =
      '{"object":"whatsapp_business_account","entry":[{"id":"611200938475521","time":1762083000,"changes":[{"field":"phone_number_name_update","value":{"display_phone_number":"4930123456","decision":"APPROVED","requested_verified_name":"B\\u00e4ckerei M\\u00fcller"}}]}]}';
    const bytes = Buffer.from(raw, 'utf8');
    const header = sign(bytes);

    expect(raw).toContain('\\u00e4');
    expect(verifyMetaSignature(bytes, header, SECRET)).toBe(true);

    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw)), 'utf8');
    expect(reserialised.toString('utf8')).toContain('Bäckerei');
    expect(reserialised.equals(bytes)).toBe(false);
    expect(verifyMetaSignature(reserialised, header, SECRET)).toBe(false);
  });

  it('takes a Uint8Array as well as a Buffer', () => {
    const bytes = new TextEncoder().encode('{"a":1}');
    expect(verifyMetaSignature(bytes, sign(bytes), SECRET)).toBe(true);
  });
});

describe('verifyHandshake', () => {
  const TOKEN = 'verify-me';

  it('echoes the challenge when mode and token match', () => {
    expect(verifyHandshake({ mode: 'subscribe', verifyToken: TOKEN, challenge: '1158201444' }, TOKEN)).toEqual({
      ok: true,
      challenge: '1158201444',
    });
  });

  it.each([
    ['a wrong token', { mode: 'subscribe', verifyToken: 'verify-mE', challenge: '1' }],
    ['a longer token', { mode: 'subscribe', verifyToken: `${TOKEN}x`, challenge: '1' }],
    ['a missing token', { mode: 'subscribe', verifyToken: null, challenge: '1' }],
    ['a wrong mode', { mode: 'unsubscribe', verifyToken: TOKEN, challenge: '1' }],
    ['a missing mode', { mode: undefined, verifyToken: TOKEN, challenge: '1' }],
    ['a missing challenge', { mode: 'subscribe', verifyToken: TOKEN, challenge: null }],
    ['an empty challenge', { mode: 'subscribe', verifyToken: TOKEN, challenge: '' }],
    ['a markup challenge', { mode: 'subscribe', verifyToken: TOKEN, challenge: '<script>alert(1)</script>' }],
  ])('refuses %s', (_label, query) => {
    expect(verifyHandshake(query, TOKEN)).toEqual({ ok: false });
  });

  it('refuses everything when no token is configured', () => {
    expect(verifyHandshake({ mode: 'subscribe', verifyToken: '', challenge: '1' }, '')).toEqual({ ok: false });
    expect(verifyHandshake({ mode: 'subscribe', verifyToken: '', challenge: '1' }, undefined)).toEqual({ ok: false });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('drops undefined properties like JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });
});

describe('toAccountChangeEvents', () => {
  it('exports the four event types', () => {
    expect(WHATSAPP_EVENT_TYPES).toEqual([
      'WhatsApp.AccountUpdate',
      'WhatsApp.AccountReviewUpdate',
      'WhatsApp.PhoneNumberNameUpdate',
      'WhatsApp.PhoneNumberQualityUpdate',
    ]);
  });

  it('reads the WABA of a PARTNER_REMOVED event from waba_info, not from entry.id', () => {
    const { events, ignored } = toAccountChangeEvents(partnerRemoved, RECEIVED_AT);
    expect(ignored).toEqual([]);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{64}$/),
      type: ACCOUNT_UPDATE_EVENT,
      source: '/whatsapp/business-accounts/611200938475521',
      subject: '611200938475521',
      time: '2025-11-02T09:30:00.000Z',
      data: {
        event: 'PARTNER_REMOVED',
        waba_info: { waba_id: '611200938475521', owner_business_id: '774410293384112' },
        wabaId: '611200938475521',
        occurredAt: '2025-11-02T09:30:00.000Z',
      },
    });
  });

  it('uses entry.id for an account_update without waba_info', () => {
    const envelope = {
      object: 'whatsapp_business_account',
      entry: [{ id: '611200938475521', time: 1762075800, changes: [{ field: 'account_update', value: { event: 'ACCOUNT_DELETED' } }] }],
    };
    const { events } = toAccountChangeEvents(envelope, RECEIVED_AT);
    expect(events[0]?.data).toMatchObject({ event: 'ACCOUNT_DELETED', wabaId: '611200938475521' });
  });

  it('ignores a PARTNER_* event without waba_info, rather than taking the partner business for the WABA', () => {
    const envelope = clone(partnerRemoved) as { entry: Array<{ changes: Array<{ value: Record<string, unknown> }> }> };
    delete envelope.entry[0]!.changes[0]!.value.waba_info;
    const { events, ignored } = toAccountChangeEvents(envelope, RECEIVED_AT);
    expect(events).toEqual([]);
    expect(ignored).toEqual([expect.stringMatching(/^entry\[0\]\.changes\[0\]: .*waba_info/)]);
  });

  it('maps account_review_update and phone_number_name_update, with phone-level subjects under the WABA', () => {
    const review = toAccountChangeEvents(accountReviewUpdate, RECEIVED_AT).events;
    expect(review).toEqual([
      expect.objectContaining({
        type: ACCOUNT_REVIEW_UPDATE_EVENT,
        source: '/whatsapp/business-accounts/611200938475521',
        subject: '611200938475521',
        data: { decision: 'REJECTED', wabaId: '611200938475521', occurredAt: '2025-11-02T11:30:00.000Z' },
      }),
    ]);

    const name = toAccountChangeEvents(phoneNumberNameUpdate, RECEIVED_AT).events;
    expect(name).toEqual([
      expect.objectContaining({
        type: PHONE_NUMBER_NAME_UPDATE_EVENT,
        subject: '611200938475521/phone-numbers/14255550100',
        time: '2025-11-02T10:30:00.000Z',
        data: {
          display_phone_number: '14255550100',
          decision: 'APPROVED',
          requested_verified_name: 'Contoso Bikes',
          rejection_reason: null,
          wabaId: '611200938475521',
          occurredAt: '2025-11-02T10:30:00.000Z',
        },
      }),
    ]);
  });

  it('gives Meta redeliveries of the same change the same id, whatever the key order', () => {
    const first = toAccountChangeEvents(partnerRemoved, RECEIVED_AT).events;
    const again = toAccountChangeEvents(clone(partnerRemoved), new Date('2026-11-05T00:00:00Z')).events;
    expect(again.map((event) => event.id)).toEqual(first.map((event) => event.id));

    const reordered = {
      entry: [
        {
          changes: [
            { value: { waba_info: { owner_business_id: '774410293384112', waba_id: '611200938475521' }, event: 'PARTNER_REMOVED' }, field: 'account_update' },
          ],
          time: 1762075800,
          id: '3058112200467711',
        },
      ],
      object: 'whatsapp_business_account',
    };
    expect(toAccountChangeEvents(reordered, RECEIVED_AT).events[0]?.id).toBe(first[0]?.id);
  });

  it('gives different changes different ids', () => {
    const base = { object: 'whatsapp_business_account', entry: [{ id: '611200938475521', time: 1762083000, changes: [] as unknown[] }] };
    const at = (changes: unknown[], time = 1762083000) => ({ ...base, entry: [{ ...base.entry[0], time, changes }] });
    const ids = [
      toAccountChangeEvents(at([{ field: 'account_review_update', value: { decision: 'REJECTED' } }]), RECEIVED_AT),
      toAccountChangeEvents(at([{ field: 'account_review_update', value: { decision: 'APPROVED' } }]), RECEIVED_AT),
      toAccountChangeEvents(at([{ field: 'account_review_update', value: { decision: 'REJECTED' } }], 1762083001), RECEIVED_AT),
      toAccountChangeEvents(at([{ field: 'account_update', value: { decision: 'REJECTED', event: 'ACCOUNT_VIOLATION' } }]), RECEIVED_AT),
    ].map((result) => result.events[0]?.id);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('turns a multi-entry, multi-change envelope into one event per account change, in order', () => {
    const envelope = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '611200938475521',
          time: 1762083000,
          changes: [
            { field: 'account_review_update', value: { decision: 'APPROVED' } },
            { field: 'messages', value: { messaging_product: 'whatsapp', messages: [] } },
            {
              field: 'phone_number_quality_update',
              value: { display_phone_number: '14255550100', event: 'UPGRADE', max_daily_conversations_per_business: 'TIER_10K' },
            },
          ],
        },
        {
          id: '722300148596632',
          time: 1762083060,
          changes: [
            { field: 'account_update', value: { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: ['DISABLE'] } } },
            { field: 'message_template_status_update', value: { event: 'APPROVED' } },
          ],
        },
      ],
    };
    const { events, ignored } = toAccountChangeEvents(envelope, RECEIVED_AT);
    expect(events.map((event) => [event.type, event.source, event.subject])).toEqual([
      [ACCOUNT_REVIEW_UPDATE_EVENT, '/whatsapp/business-accounts/611200938475521', '611200938475521'],
      [PHONE_NUMBER_QUALITY_UPDATE_EVENT, '/whatsapp/business-accounts/611200938475521', '611200938475521/phone-numbers/14255550100'],
      [ACCOUNT_UPDATE_EVENT, '/whatsapp/business-accounts/722300148596632', '722300148596632'],
    ]);
    expect(events[2]?.time).toBe('2025-11-02T11:31:00.000Z');
    expect(events[2]?.data).toMatchObject({ ban_info: { waba_ban_state: ['DISABLE'] }, wabaId: '722300148596632' });
    expect(new Set(events.map((event) => event.id)).size).toBe(3);
    expect(ignored).toEqual([
      'entry[0].changes[1]: field "messages" is not an account change',
      'entry[1].changes[1]: field "message_template_status_update" is not an account change',
    ]);
  });

  it('skips a malformed change, keeps the rest, and never throws', () => {
    const envelope = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '611200938475521',
          time: 1762083000,
          changes: [
            { field: 'account_review_update', value: { decision: 42 } },
            { field: 'account_review_update' },
            'not a change',
            { field: 'phone_number_name_update', value: { decision: 'APPROVED' } },
            { field: 'account_update', value: { event: 'ACCOUNT_DELETED' } },
          ],
        },
        { id: 'not-digits', time: 1762083000, changes: [{ field: 'account_update', value: { event: 'ACCOUNT_DELETED' } }] },
        { id: '611200938475521', time: 1762083000 },
      ],
    };
    const { events, ignored } = toAccountChangeEvents(envelope, RECEIVED_AT);
    expect(events.map((event) => event.data.event)).toEqual(['ACCOUNT_DELETED']);
    expect(ignored).toHaveLength(6);
    expect(ignored[0]).toMatch(/^entry\[0\]\.changes\[0\]: account_review_update: decision/);
    expect(ignored[1]).toMatch(/^entry\[0\]\.changes\[1\]: value/);
    expect(ignored[2]).toMatch(/^entry\[0\]\.changes\[2\]: /);
    expect(ignored[3]).toMatch(/^entry\[0\]\.changes\[3\]: phone_number_name_update: display_phone_number/);
    expect(ignored[4]).toMatch(/^entry\[1\]: id/);
    expect(ignored[5]).toMatch(/^entry\[2\]: changes/);
  });

  it('publishes nothing for another webhook object or a non-envelope', () => {
    expect(toAccountChangeEvents({ ...clone(partnerRemoved), object: 'page' }, RECEIVED_AT)).toEqual({
      events: [],
      ignored: ['envelope: object "page" is not whatsapp_business_account'],
    });
    for (const junk of [null, 'text', 42, [], {}, { object: 'whatsapp_business_account' }, { object: 'whatsapp_business_account', entry: {} }]) {
      const result = toAccountChangeEvents(junk, RECEIVED_AT);
      expect(result.events).toEqual([]);
      expect(result.ignored).toHaveLength(1);
    }
  });

  it('lets unknown fields through, and Meta values cannot overwrite wabaId or occurredAt', () => {
    const envelope = {
      object: 'whatsapp_business_account',
      extra: true,
      entry: [
        {
          id: '611200938475521',
          time: 1762083000,
          extra: 1,
          changes: [{ field: 'account_review_update', extra: 2, value: { decision: 'PENDING', wabaId: 'x', occurredAt: 'y', new_field: [1] } }],
        },
      ],
    };
    const [event] = toAccountChangeEvents(envelope, RECEIVED_AT).events;
    expect(event?.data).toEqual({ decision: 'PENDING', new_field: [1], wabaId: '611200938475521', occurredAt: '2025-11-02T11:30:00.000Z' });
  });

  it('reads a millisecond entry.time as such, and falls back to the receipt time when it is missing', () => {
    const change = { field: 'account_review_update', value: { decision: 'APPROVED' } };
    const inMs = toAccountChangeEvents({ object: 'whatsapp_business_account', entry: [{ id: '1', time: 1762083000123, changes: [change] }] }, RECEIVED_AT);
    const inSeconds = toAccountChangeEvents({ object: 'whatsapp_business_account', entry: [{ id: '1', time: 1762083000, changes: [change] }] }, RECEIVED_AT);
    expect(inMs.events[0]?.time).toBe('2025-11-02T11:30:00.000Z');
    expect(inMs.events[0]?.id).toBe(inSeconds.events[0]?.id);

    const noTime = toAccountChangeEvents({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [change] }] }, RECEIVED_AT);
    const noTimeLater = toAccountChangeEvents(
      { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [change] }] },
      new Date('2026-12-01T00:00:00Z'),
    );
    expect(noTime.events[0]?.time).toBe(RECEIVED_AT.toISOString());
    expect(noTime.events[0]?.data.occurredAt).toBe(RECEIVED_AT.toISOString());
    expect(noTimeLater.events[0]?.id).toBe(noTime.events[0]?.id);

    const absurd = toAccountChangeEvents({ object: 'whatsapp_business_account', entry: [{ id: '1', time: 1e30, changes: [change] }] }, RECEIVED_AT);
    expect(absurd.events[0]?.time).toBe(RECEIVED_AT.toISOString());
  });
});
