import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/** A phone number in E.164 form, `+<digits>`. */
export type E164 = string & { readonly __brand: 'E164' };

export interface PhoneNumberParts {
  e164: E164;
  /** Country calling code without `+`, as Meta's `cc` parameter wants it. */
  countryCode: string;
  nationalNumber: string;
}

const ALLOWED = /^\+?[\d\s().-]+$/;

/**
 * Accepts E.164 with or without `+`, with spaces, dashes, dots or parentheses (docs/design.md §5).
 * Validation is by length and country calling code, not by carrier ranges: test ranges such
 * as 555-01xx must pass, and Meta itself is the authority on whether a number can be used.
 */
export function parsePhoneNumber(input: string): PhoneNumberParts | null {
  const trimmed = input.trim();
  if (!ALLOWED.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length < 8 || digits.length > 15 || digits.startsWith('0')) return null;
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  if (!parsed || !parsed.isPossible()) return null;
  return {
    e164: `+${digits}` as E164,
    countryCode: parsed.countryCallingCode,
    nationalNumber: parsed.nationalNumber,
  };
}

/** Normalises a number we did not validate ourselves (Meta's display form, event payloads). */
export function toE164(input: string): E164 | null {
  const digits = input.replace(/\D/g, '');
  return digits.length >= 8 && digits.length <= 15 ? (`+${digits}` as E164) : null;
}

/** For logs: `+1425****123`. Keeps the country prefix and the last three digits. */
export function maskPhoneNumber(input: string | null | undefined): string {
  if (!input) return '(none)';
  const digits = input.replace(/\D/g, '');
  if (digits.length < 7) return '+****';
  return `+${digits.slice(0, 4)}****${digits.slice(-3)}`;
}
