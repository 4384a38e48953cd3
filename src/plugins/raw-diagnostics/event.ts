import { redactJson, truncate } from '../../index.js';

const MAX_STRING_CHARS = 512;

function truncateStrings(value: unknown): unknown {
  if (typeof value === 'string') return truncate(value, MAX_STRING_CHARS);
  if (Array.isArray(value)) return value.map(truncateStrings);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, truncateStrings(v)]));
  return value;
}

/**
 * One JSONL line: `{"timestamp_unix_ms","kind","fields"}`. Sensitive keys and secret-shaped values are redacted
 * first (so truncation cannot cut a secret into an unrecognisable prefix), then strings are cut to 512 characters,
 * then a line over `maxBytes` is replaced by a `diagnostic_event_truncated` marker.
 */
export function eventLine(kind: string, fields: Record<string, unknown>, maxBytes: number, now = Date.now()): string {
  const safe = truncateStrings(redactJson(fields));
  const line = JSON.stringify({ timestamp_unix_ms: now, kind, fields: safe });
  const bytes = Buffer.byteLength(line);
  if (bytes <= maxBytes) return line;
  return JSON.stringify({ timestamp_unix_ms: now, kind: 'diagnostic_event_truncated', fields: { original_kind: kind, max_bytes: maxBytes, original_bytes: bytes } });
}
