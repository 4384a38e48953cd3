import { stableHash } from './hash.js';
import { isSensitiveKey } from './keys.js';
import { REDACTED, redactCut } from './values.js';

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key']);
const HASHED_HEADERS = new Set(['x-request-id', 'x-client-request-id']);

/** One header value as diagnostics may show it (the original's rules plus value patterns). */
export function redactHeaderValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (SECRET_HEADERS.has(lower) || isSensitiveKey(lower)) return REDACTED;
  if (HASHED_HEADERS.has(lower)) return stableHash(value);
  return redactCut(value, 96);
}

/** A copy of a header map safe for diagnostics; repeated values are joined with `, `. */
export function redactHeaders(headers: Readonly<Record<string, string | string[] | number | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = redactHeaderValue(name, Array.isArray(value) ? value.join(', ') : String(value));
  }
  return out;
}

/** A URL without credentials, query or fragment; an unparsable one is cut at the first `?` or `#`. */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(String(url));
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return redactCut(String(url).split(/[?#]/, 1)[0] ?? '', 96);
  }
}
