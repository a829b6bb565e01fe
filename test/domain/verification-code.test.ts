import fixtures from '../fixtures/whatsapp-code-sms.json';
import { normaliseSubmittedCode, parseWhatsAppCode } from '../../src/domain/verification-code';

describe('parseWhatsAppCode', () => {
  it.each(fixtures.cases)('reads $text', ({ text, code }) => {
    expect(parseWhatsAppCode(text)).toBe(code);
  });

  it.each([
    ['documented text', 'WhatsApp code 123-456', '123456'],
    ['localised Indonesian text', '# Kode WhatsApp Business: 706-924 Jangan bagikan kode ini', '706924'],
    ['localised Spanish text', 'Código de WhatsApp Business 123-456 No compartas este código', '123456'],
    ['space separator', 'Your WhatsApp code is 123 456', '123456'],
    ['plain six digits', 'Your WhatsApp code 654321', '654321'],
    ['upper-case brand', 'WHATSAPP CODE 222-333', '222333'],
    ['link only', 'Tap to verify WhatsApp: v.whatsapp.com/778899', '778899'],
    ['app-hash suffix', '<#> Your WhatsApp code: 123-456 Do not share it FA+9qCX9VSu', '123456'],
    ['app-hash with digits', '<#> WhatsApp code 123-456 a1b2c3d4e5f', '123456'],
  ])('reads the %s', (_label, text, code) => {
    expect(parseWhatsAppCode(text)).toBe(code);
  });

  it.each([
    ['no WhatsApp mention', 'Your verification code is 123-456'],
    ['no code at all', 'WhatsApp: welcome to the Business Platform'],
    ['two different codes', 'WhatsApp code 123-456, previous code 654-321'],
    ['link and text disagree', 'WhatsApp code 123-456 v.whatsapp.com/999999'],
    ['seven digits', 'WhatsApp code 1234567'],
    ['digits inside a word', 'WhatsApp ref AB123456CD'],
  ])('refuses a text with %s', (_label, text) => {
    expect(parseWhatsAppCode(text)).toBeNull();
  });
});

describe('normaliseSubmittedCode', () => {
  it.each([
    ['123456', '123456'],
    ['123-456', '123456'],
    [' 123 456 ', '123456'],
  ])('accepts %p', (input, expected) => expect(normaliseSubmittedCode(input)).toBe(expected));

  it.each(['12345', '1234567', '12-3456', 'abcdef', '123_456', ''])('refuses %p', (input) => expect(normaliseSubmittedCode(input)).toBeNull());
});
