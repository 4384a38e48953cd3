import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * What an upstream needs back on the next turn travels inside a reasoning item's `encrypted_content`, which Codex
 * echoes verbatim: `<prefix><base64url(deflate(JSON))>.<base64url(tag)>`. The tag (HMAC-SHA256 over prefix and body,
 * 16 bytes) rejects altered or foreign blobs; it is integrity, not secrecy. Each translator has its own prefix and
 * default key, so one never takes the other's blobs.
 */
const MAX_INFLATED = 4 * 1024 * 1024;

export function sealCarrier(prefix: string, value: unknown, key: string): string {
  const body = deflateRawSync(Buffer.from(JSON.stringify(value))).toString('base64url');
  return `${prefix}${body}.${tag(prefix, body, key)}`;
}

/** The sealed JSON value, or undefined for anything that is not an intact carrier with this prefix and key. */
export function openCarrier(prefix: string, blob: unknown, key: string): unknown {
  if (typeof blob !== 'string' || !blob.startsWith(prefix)) return undefined;
  const rest = blob.slice(prefix.length);
  const dot = rest.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const body = rest.slice(0, dot);
  const expected = Buffer.from(tag(prefix, body, key));
  const given = Buffer.from(rest.slice(dot + 1));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    return JSON.parse(inflateRawSync(Buffer.from(body, 'base64url'), { maxOutputLength: MAX_INFLATED }).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function tag(prefix: string, body: string, key: string): string {
  return createHmac('sha256', key).update(prefix).update(body).digest().subarray(0, 16).toString('base64url');
}
