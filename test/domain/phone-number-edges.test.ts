import { maskPhoneNumber, parsePhoneNumber, toE164 } from '../../src/domain/phone-number';
import { parseWhatsAppCode } from '../../src/domain/verification-code';

/* Boundaries of E.164 (8 to 15 digits here) with numbers the phone library itself calls possible. */

describe('parsePhoneNumber boundaries', () => {
  it('accepts 8 and 15 digits, trims the input', () => {
    expect(parsePhoneNumber('+29012345')?.e164).toBe('+29012345');
    expect(parsePhoneNumber('+491234567890123')?.e164).toBe('+491234567890123');
    expect(parsePhoneNumber('  +14255550123  ')?.e164).toBe('+14255550123');
  });

  it('refuses 7 and 16 digits even where the country would allow them, and anything before the number', () => {
    expect(parsePhoneNumber('+6831234')).toBeNull();
    expect(parsePhoneNumber('+4930123456789012')).toBeNull();
    expect(parsePhoneNumber('x+1 425 555 0123')).toBeNull();
  });
});

describe('toE164 and maskPhoneNumber boundaries', () => {
  it('keeps 8 to 15 digits', () => {
    expect(toE164('12345678')).toBe('+12345678');
    expect(toE164('1234567')).toBeNull();
    expect(toE164('123456789012345')).toBe('+123456789012345');
    expect(toE164('1234567890123456')).toBeNull();
  });

  it('masks from 7 digits on', () => {
    expect(maskPhoneNumber('+1234567')).toBe('+1234****567');
    expect(maskPhoneNumber('+123456')).toBe('+****');
  });
});

describe('parseWhatsAppCode edges', () => {
  it('reads "Whats App" written apart', () => {
    expect(parseWhatsAppCode('Your Whats App code 123-456')).toBe('123456');
  });

  it('reads a link code even when letters follow it', () => {
    expect(parseWhatsAppCode('WhatsApp: v.whatsapp.com/778899abc')).toBe('778899');
    expect(parseWhatsAppCode('WhatsApp: v.whatsapp.com/7788991')).toBeNull();
  });
});
