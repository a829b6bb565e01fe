import { createHmac } from 'node:crypto';
import { canonicalJson, META_SIGNATURE_HEADER, toAccountChangeEvents, verifyHandshake, verifyMetaSignature } from '../../src/domain/meta-webhook';

/* The edges of the webhook parsing: anchors of every pattern, and the exact words of what is ignored. */

const SECRET = 'test-app-secret';
const RECEIVED_AT = new Date('2026-11-02T12:00:00.000Z');
const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}', 'utf8');
const hex = createHmac('sha256', SECRET).update(body).digest('hex');
const envelope = (entry: Record<string, unknown>) => ({ object: 'whatsapp_business_account', entry: [entry] });
const change = (field: string, value: Record<string, unknown>) => ({ field, value });

describe('signature and handshake patterns are anchored', () => {
  it('the header is X-Hub-Signature-256, lower-cased as HTTP headers are read', () => {
    expect(META_SIGNATURE_HEADER).toBe('x-hub-signature-256');
  });

  it.each([`sha256=${hex}00`, `xsha256=${hex}`, `sha256=${hex} sha256=${hex}`, `md5=${hex}`])('refuses %s', (header) => {
    expect(verifyMetaSignature(body, header, SECRET)).toBe(false);
  });

  it.each(['abc<script>', '<b>1', '1 2', 'a'.repeat(257)])('does not echo the challenge %s', (challenge) => {
    expect(verifyHandshake({ mode: 'subscribe', verifyToken: 't', challenge }, 't')).toEqual({ ok: false });
  });

  it('compares the verify token in full', () => {
    expect(verifyHandshake({ mode: 'subscribe', verifyToken: 'token', challenge: '1' }, 'token')).toEqual({ ok: true, challenge: '1' });
    expect(verifyHandshake({ mode: 'subscribe', verifyToken: 'toke', challenge: '1' }, 'token')).toEqual({ ok: false });
  });
});

describe('canonicalJson', () => {
  it('is "null" for undefined, and turns undefined array items into null as JSON does', () => {
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson([1, undefined, { b: undefined, a: [undefined] }])).toBe('[1,null,{"a":[null]}]');
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
  });
});

describe('toAccountChangeEvents edges', () => {
  it('refuses a receipt time that is not a date', () => {
    expect(() => toAccountChangeEvents(envelope({ id: '1', changes: [] }), new Date('nonsense'))).toThrow(new TypeError('receivedAt must be a valid Date'));
  });

  it('takes ids as digits only, trimmed, and numbers only while exact', () => {
    const review = change('account_review_update', { decision: 'APPROVED' });
    expect(toAccountChangeEvents(envelope({ id: ' 611 ', time: 1762083000, changes: [review] }), RECEIVED_AT).events[0]?.data.wabaId).toBe('611');
    expect(toAccountChangeEvents(envelope({ id: 611, time: 1762083000, changes: [review] }), RECEIVED_AT).events[0]?.data.wabaId).toBe('611');
    for (const id of ['x611', '611x', '6 11', 2 ** 53 + 2, -1, 1.5, '1'.repeat(33)]) {
      const result = toAccountChangeEvents(envelope({ id, time: 1762083000, changes: [review] }), RECEIVED_AT);
      expect([id, result.events]).toEqual([id, []]);
      expect(result.ignored).toEqual([expect.stringMatching(/^entry\[0\]: id: /)]);
    }
    expect(toAccountChangeEvents(envelope({ id: 'x', changes: [review] }), RECEIVED_AT).ignored).toEqual(['entry[0]: id: must be a Meta id (digits)']);
  });

  it('reads an entry time given as a string of digits, trimmed', () => {
    const review = change('account_review_update', { decision: 'APPROVED' });
    for (const time of ['1762083000', ' 1762083000 ']) {
      expect(toAccountChangeEvents(envelope({ id: '1', time, changes: [review] }), RECEIVED_AT).events[0]?.time).toBe('2025-11-02T11:30:00.000Z');
    }
  });

  it('a text field of blanks is missing', () => {
    const result = toAccountChangeEvents(envelope({ id: '1', time: 1762083000, changes: [change('account_review_update', { decision: '   ' })] }), RECEIVED_AT);
    expect(result.events).toEqual([]);
    expect(result.ignored).toEqual([expect.stringMatching(/^entry\[0\]\.changes\[0\]: account_review_update: decision: /)]);
  });

  it('reads the WABA from waba_info only for account_update, and checks its id', () => {
    const info = { waba_info: { waba_id: '999' } };
    const review = toAccountChangeEvents(
      envelope({ id: '611', time: 1762083000, changes: [change('account_review_update', { decision: 'APPROVED', ...info })] }),
      RECEIVED_AT,
    );
    expect(review.events[0]).toMatchObject({ subject: '611', data: { wabaId: '611' } });
    const update = toAccountChangeEvents(
      envelope({ id: '611', time: 1762083000, changes: [change('account_update', { event: 'PARTNER_ADDED', ...info })] }),
      RECEIVED_AT,
    );
    expect(update.events[0]).toMatchObject({ subject: '999', source: '/whatsapp/business-accounts/999', data: { wabaId: '999' } });
    const bad = toAccountChangeEvents(
      envelope({ id: '611', time: 1762083000, changes: [change('account_update', { event: 'PARTNER_ADDED', waba_info: { waba_id: 'abc' } })] }),
      RECEIVED_AT,
    );
    expect(bad.ignored).toEqual(['entry[0].changes[0]: account_update PARTNER_ADDED: waba_info.waba_id is missing or invalid']);
  });

  it('only phone-level changes get a phone subject', () => {
    const value = { decision: 'APPROVED', display_phone_number: '+1 425 555 0100' };
    const review = toAccountChangeEvents(envelope({ id: '611', time: 1762083000, changes: [change('account_review_update', value)] }), RECEIVED_AT);
    expect(review.events[0]?.subject).toBe('611');
    const account = toAccountChangeEvents(
      envelope({ id: '611', time: 1762083000, changes: [change('account_update', { event: 'ACCOUNT_DELETED' })] }),
      RECEIVED_AT,
    );
    expect(account.events[0]?.subject).toBe('611');
    const quality = toAccountChangeEvents(
      envelope({
        id: '611',
        time: 1762083000,
        changes: [change('phone_number_quality_update', { event: 'UPGRADE', display_phone_number: '+1 425 555 0100' })],
      }),
      RECEIVED_AT,
    );
    expect(quality.events[0]?.subject).toBe('611/phone-numbers/14255550100');
  });

  it('says in words what it ignored, without payload values', () => {
    expect(toAccountChangeEvents(envelope({ id: '1', changes: [change('messages', { text: 'secret' })] }), RECEIVED_AT).ignored).toEqual([
      'entry[0].changes[0]: field "messages" is not an account change',
    ]);
    expect(toAccountChangeEvents(envelope({ id: '1', changes: [change('x'.repeat(100), {})] }), RECEIVED_AT).ignored).toEqual([
      `entry[0].changes[0]: field "${'x'.repeat(64)}" is not an account change`,
    ]);
    expect(toAccountChangeEvents({ object: 'p'.repeat(100), entry: [] }, RECEIVED_AT).ignored).toEqual([
      `envelope: object "${'p'.repeat(64)}" is not whatsapp_business_account`,
    ]);
    expect(toAccountChangeEvents({ object: 'whatsapp_business_account' }, RECEIVED_AT).ignored).toEqual([expect.stringMatching(/^envelope: entry: /)]);
    expect(toAccountChangeEvents(42, RECEIVED_AT).ignored).toEqual(['envelope: Invalid input: expected object, received number']);
    const many = toAccountChangeEvents(envelope({ id: '1', changes: [change('phone_number_name_update', { a: 1 })] }), RECEIVED_AT).ignored;
    expect(many).toEqual([expect.stringMatching(/^entry\[0\]\.changes\[0\]: phone_number_name_update: display_phone_number: .+; decision: .+$/)]);
  });
});
