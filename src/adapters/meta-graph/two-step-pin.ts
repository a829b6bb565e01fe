import { createHmac } from 'node:crypto';

/**
 * The two-step verification PIN of a number (docs/meta-graph.md step 4), derived instead
 * of stored: `HMAC-SHA256(pinSecret, phoneNumberId)`, whose first 8 bytes, read as an unsigned
 * 64-bit big-endian integer, are reduced modulo 10^6 and left-padded to 6 digits.
 *
 * Bias: 2^64 is not a multiple of 10^6, so 551,616 of the 10^6 PINs are reachable from one more
 * 64-bit value than the others: a relative bias of about 10^6 / 2^64 ≈ 5·10^-14, far below
 * anything observable, which is why no rejection sampling is done.
 *
 * The same secret and phone-number id always give the same PIN, so a second `register` (after a
 * display-name change or a reconnect) presents the PIN set by the first. Changing
 * REGISTRATION_PIN_SECRET therefore changes every PIN: numbers registered with the old secret
 * would need two-step verification reset in WhatsApp Manager.
 *
 * Never log or return the result; it exists only inside the `register` request body.
 */
export function deriveTwoStepPin(pinSecret: string, phoneNumberId: string): string {
  if (pinSecret.length === 0) throw new Error('The PIN secret must not be empty.');
  if (phoneNumberId.length === 0) throw new Error('The phone-number id must not be empty.');
  const digest = createHmac('sha256', pinSecret).update(phoneNumberId, 'utf8').digest();
  const value = digest.readBigUInt64BE(0);
  return (value % 1_000_000n).toString().padStart(6, '0');
}
