import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * What an upstream needs back on the next turn travels inside a reasoning item's `encrypted_content`, which Codex
 * echoes verbatim: `<prefix><base64url(deflate(JSON))>.<base64url(tag)>`. The tag (HMAC-SHA256 over prefix and body,
 * 16 bytes) rejects altered or foreign blobs; it is integrity, not secrecy. Each translator has its own prefix and
 * default key, so one never takes the other's blobs.
 */
const MAX_INFLATED = 4 * 1024 * 1024;

/**
 * Carriers already opened. Codex resends every earlier turn's reasoning items on every request, so without this a
 * long session verifies and inflates the same blobs again on each turn (about 0.1 ms each: 30–50% of translating a
 * 1 MB history). Keyed by the blob's tag, compared whole on a hit: hashing every resent blob (each request parses
 * them as new strings) cost about 0.5 ms per 1 MB history, twice a 22-character key and a comparison. A hit needs
 * the same blob and the same key, so a blob is never taken on another key's word. Bounded by the blobs' total
 * length, least recently used first out.
 */
const OPENED_MAX_CHARS = 16 * 1024 * 1024;
const opened = new Map<string, { blob: string; key: string; value: unknown }>();
let openedChars = 0;

function remember(id: string, blob: string, key: string, value: unknown): void {
  if (blob.length > OPENED_MAX_CHARS / 16) return;
  const replaced = opened.get(id);
  if (replaced) openedChars -= replaced.blob.length;
  opened.delete(id);
  opened.set(id, { blob, key, value: deepFreeze(value) });
  openedChars += blob.length;
  for (const [oldId, old] of opened) {
    if (openedChars <= OPENED_MAX_CHARS) break;
    opened.delete(oldId);
    openedChars -= old.blob.length;
  }
}

/** The value is shared by every request that sends the blob: frozen, so a change is an error, not a leak. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export function sealCarrier(prefix: string, value: unknown, key: string): string {
  const body = deflateRawSync(Buffer.from(JSON.stringify(value))).toString('base64url');
  return `${prefix}${body}.${tag(prefix, body, key)}`;
}

/** The sealed JSON value (frozen: shared with every later request that sends the same blob), or undefined for anything that is not an intact carrier with this prefix and key. */
export function openCarrier(prefix: string, blob: unknown, key: string): unknown {
  if (typeof blob !== 'string' || !blob.startsWith(prefix)) return undefined;
  const id = blob.slice(blob.lastIndexOf('.') + 1);
  const known = opened.get(id);
  if (known && known.blob === blob && known.key === key) {
    opened.delete(id);
    opened.set(id, known);
    return known.value;
  }
  const value = verifyAndInflate(prefix, blob, key);
  if (value !== undefined) remember(id, blob, key, value);
  return value;
}

function verifyAndInflate(prefix: string, blob: string, key: string): unknown {
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
