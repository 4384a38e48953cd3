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
 * Carriers already opened, by the tag that ends the blob. Codex resends every earlier turn's reasoning items on every
 * request, so without this a long session verifies and inflates the same blobs again on each turn (about 0.1 ms
 * each: 30–50% of translating a 1 MB history). A hit needs the same whole blob and the same key, so a blob is never
 * taken on another key's word. Keyed by the tag, not the blob: each request's blobs are new strings, and a map
 * hashes every character of a new string key (a 1 MB history's 216 KB of blobs, on every request), where comparing
 * with the one remembered blob stops at the first difference. Bounded by the blobs' total length, least recently
 * used first out.
 */
const OPENED_MAX_CHARS = 16 * 1024 * 1024;
const opened = new Map<string, { tag: string; blob: string; key: string; value: unknown }>();
let openedChars = 0;

const tagOf = (blob: string) => blob.slice(blob.lastIndexOf('.') + 1);

function remember(blob: string, key: string, value: unknown): void {
  if (blob.length > OPENED_MAX_CHARS / 16) return;
  const tagged = tagOf(blob);
  const replaced = opened.get(tagged);
  if (replaced) {
    opened.delete(tagged);
    openedChars -= replaced.blob.length;
  }
  opened.set(tagged, { tag: tagged, blob, key, value: deepFreeze(value) });
  openedChars += blob.length;
  for (const [old, entry] of opened) {
    if (openedChars <= OPENED_MAX_CHARS) break;
    opened.delete(old);
    openedChars -= entry.blob.length;
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
  const tagged = tagOf(blob);
  const known = opened.get(tagged);
  if (known && known.key === key && known.blob === blob) {
    // Moved to the end under the tag it was remembered with: a tag cut from this request's blob would keep the
    // whole new blob alive as the key, and a long session's blobs would pile up in the old generation.
    opened.delete(tagged);
    opened.set(known.tag, known);
    return known.value;
  }
  const value = verifyAndInflate(prefix, blob, key);
  if (value !== undefined) remember(blob, key, value);
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
