import { redactJson } from '../../index.js';

const MAX_STRING_CHARS = 512;

/**
 * One JSONL line: `{"timestamp_unix_ms","kind","fields"}`. Sensitive keys and secret-shaped values are redacted
 * and strings cut to 512 characters (each redacted before the cut, over the first 512 plus a margin, so the cut
 * cannot leave an unrecognisable prefix of a secret and a long string costs no more than a short one), then a line
 * over `maxBytes` is replaced by a `diagnostic_event_truncated` marker.
 */
export function eventLine(kind: string, fields: Record<string, unknown>, maxBytes: number, now = Date.now()): string {
  const safe = redactJson(fields, { maxChars: MAX_STRING_CHARS });
  const line = JSON.stringify({ timestamp_unix_ms: now, kind, fields: safe });
  const bytes = Buffer.byteLength(line);
  if (bytes <= maxBytes) return line;
  return JSON.stringify({ timestamp_unix_ms: now, kind: 'diagnostic_event_truncated', fields: { original_kind: kind, max_bytes: maxBytes, original_bytes: bytes } });
}
