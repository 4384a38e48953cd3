import { REDACTED, redactCut, redactText } from './values.js';

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
 * With `maxChars`, strings are also cut to that many characters, and only that much (plus a margin) is redacted.
 */
export function redactJson(value: unknown, o: { maxChars?: number } = {}): unknown {
  const text = o.maxChars === undefined ? redactText : (s: string) => redactCut(s, o.maxChars!);
  return redactValue(value, text, new WeakSet());
}

function redactValue(value: unknown, text: (s: string) => string, ancestors: WeakSet<object>): unknown {
  if (typeof value === 'string') return text(value);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[circular]';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactValue(item, text, ancestors));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // A secret can be a key too (a map from tokens to anything): keys pass through the value patterns as well.
      out[uniqueKey(out, text(key))] = isSensitiveKey(key) && (typeof item === 'string' || (typeof item === 'object' && item !== null)) ? REDACTED : redactValue(item, text, ancestors);
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/** `key`, or `key#2`, `key#3`… when two keys became the same once redacted, so no member is lost. */
function uniqueKey(out: Record<string, unknown>, key: string): string {
  if (!Object.hasOwn(out, key)) return key;
  let n = 2;
  while (Object.hasOwn(out, `${key}#${n}`)) n++;
  return `${key}#${n}`;
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

/**
 * For JSON that cannot be parsed (a cut-off prefix, an SSE line): sensitive `"key": "value"` members get their
 * value replaced (a value cut off by the end of the text too), then the value patterns run over the whole text.
 * Strings are read left to right, once each, so the work is linear in the text whatever its quotes and escapes.
 */
export function redactJsonText(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('"'); at !== -1; ) {
    const close = stringEnd(text, at);
    if (close === -1) break;
    let next = skipSpace(text, close + 1);
    if (text.charCodeAt(next) === COLON) {
      next = skipSpace(text, next + 1);
      if (text.charCodeAt(next) === QUOTE) {
        const valueEnd = stringEnd(text, next);
        const after = valueEnd === -1 ? text.length : valueEnd + 1;
        if (isSensitiveKey(text.slice(at + 1, close))) {
          out += `${text.slice(from, next)}"${REDACTED}"`;
          from = after;
        }
        at = text.indexOf('"', after);
        continue;
      }
    }
    at = text.indexOf('"', close + 1);
  }
  return redactText(from === 0 ? text : out + text.slice(from));
}

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;

/** Index of the quote that closes the JSON string opened at `open`, or -1 when the text ends first. */
function stringEnd(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}
