import { REDACTED, redactText } from './values.js';

const SENSITIVE_KEYS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'device_code',
  'encrypted_content',
  'access_token',
  'githubtoken',
  'copilottoken',
  'github_token',
  'copilot_token',
  'api_key',
  'apikey',
  'api-key',
  'x-api-key',
  'password',
  'passwd',
  'private_key',
]);

/**
 * The original's key rule (exact names, or any name containing `token` or `secret`), case-insensitive.
 * Unlike the original, a number or boolean under such a key is kept: `max_output_tokens: 100` is a count, not
 * a secret.
 */
export function isSensitiveKey(key: string): boolean {
  const lower = key.toLowerCase();
  return SENSITIVE_KEYS.has(lower) || lower.includes('token') || lower.includes('secret');
}

/**
 * A deep copy with sensitive keys replaced by `<redacted>` and every other string passed through the value
 * patterns. Safe on any JSON value: a cycle is cut, while an object that merely appears twice is copied twice.
 */
export function redactJson(value: unknown, ancestors = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[circular]';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactJson(item, ancestors));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSensitiveKey(key) && (typeof item === 'string' || (typeof item === 'object' && item !== null)) ? REDACTED : redactJson(item, ancestors);
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/** Marker that replaces every string at the `content_redacted` level. */
export const REDACTED_CONTENT = '<redacted-content>';

/** Every string becomes `<redacted-content>`; numbers, booleans, null and the structure stay. */
export function redactAllStrings(value: unknown): unknown {
  if (typeof value === 'string') return REDACTED_CONTENT;
  if (Array.isArray(value)) return value.map(redactAllStrings);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactAllStrings(item)]));
  }
  return value;
}

const JSON_STRING_MEMBER = /"((?:[^"\\]|\\.)*)"(\s*:\s*)"(?:[^"\\]|\\.)*(?:"|$)/g;

/**
 * For JSON that cannot be parsed (a cut-off prefix, an SSE line): sensitive `"key": "value"` members get their
 * value replaced, then the value patterns run over the whole text.
 */
export function redactJsonText(text: string): string {
  const keyed = text.replace(JSON_STRING_MEMBER, (member: string, key: string, colon: string) => (isSensitiveKey(key) ? `"${key}"${colon}"${REDACTED}"` : member));
  return redactText(keyed);
}
