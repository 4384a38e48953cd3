/** Trims, strips one leading case-insensitive `Bearer ` and trims again; empty means unset. */
export function stripBearer(value: string | undefined | null): string {
  const trimmed = (value ?? '').trim();
  return trimmed.replace(/^bearer\s+/i, '').trim();
}

/** Whether every character is visible ASCII (what an HTTP header value and a token may hold). */
function isVisibleAscii(value: string): boolean {
  return /^[\x21-\x7e]+$/.test(value);
}

/** How an inbound `Authorization` from Codex may be used when no service-owned token exists. */
export type InboundAuthPolicy = 'off' | 'filtered' | 'any';

/** Words that mark a key as a stand-in, e.g. `OPENAI_API_KEY=dummy` set only to satisfy a client. */
const PLACEHOLDER = /(placeholder|dummy|changeme|change-me|not[-_ ]?needed|unused|example|your[-_]?(api[-_]?)?(key|token)|^none$|^null$|^undefined$|^test$|^x+$)/i;

/** Shortest inbound token `filtered` accepts: GitHub and Copilot tokens are far longer. */
const MIN_INBOUND_TOKEN_LENGTH = 20;

/**
 * Why an inbound token must not be forwarded to Copilot, or undefined when it may be. `filtered` refuses
 * OpenAI-style `sk-` keys, obvious placeholder words and values shorter than 20 characters.
 */
export function refuseInbound(token: string, policy: InboundAuthPolicy): string | undefined {
  if (policy === 'off') return 'inbound Authorization is disabled';
  if (!token) return 'no inbound Authorization';
  if (!isVisibleAscii(token)) return 'inbound Authorization is not visible ASCII';
  if (policy === 'any') return undefined;
  if (/^sk-/i.test(token)) return 'inbound Authorization looks like an OpenAI key (sk-…), not a Copilot token';
  if (token.length < MIN_INBOUND_TOKEN_LENGTH) return 'inbound Authorization is too short to be a Copilot token';
  if (PLACEHOLDER.test(token)) return 'inbound Authorization looks like a placeholder';
  return undefined;
}
