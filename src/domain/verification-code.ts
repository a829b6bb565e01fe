/**
 * Reads WhatsApp's verification code out of an SMS text (docs/meta-graph.md, "The
 * verification SMS"). Refuses rather than guesses: a text that does not mention WhatsApp, or
 * that holds two different candidate codes, yields null, because forwarding a wrong code to
 * Meta costs an attempt and repeated failures lock the number.
 */
const MENTIONS_WHATSAPP = /whats\s?app/i;
// 3+3 digits with an optional dash or space, not part of a longer run of letters or digits
// (so an Android app-hash suffix or a phone number does not count as a code).
const SPLIT_OR_PLAIN_CODE = /(?<![\p{L}\p{N}])(\d{3})[-\s]?(\d{3})(?![\p{L}\p{N}])/gu;
const LINK_CODE = /v\.whatsapp\.com\/(\d{6})(?!\d)/gi;

export function parseWhatsAppCode(text: string): string | null {
  if (!MENTIONS_WHATSAPP.test(text)) return null;
  const candidates = new Set<string>();
  for (const match of text.matchAll(LINK_CODE)) candidates.add(match[1]!);
  for (const match of text.matchAll(SPLIT_OR_PLAIN_CODE)) candidates.add(`${match[1]}${match[2]}`);
  if (candidates.size !== 1) return null;
  return [...candidates][0]!;
}

/** A code typed by a person: `123456` or `123-456` (a space is tolerated too). */
export function normaliseSubmittedCode(input: string): string | null {
  const match = /^\s*(\d{3})[-\s]?(\d{3})\s*$/.exec(input);
  return match ? `${match[1]}${match[2]}` : null;
}
