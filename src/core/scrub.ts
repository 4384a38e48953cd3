import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { isSecretHeader, REDACTED, redactText } from '../redact/index.js';
import { GatewayError } from './errors.js';
import type { HeaderMap, StreamEvent } from './types.js';

/** Shorter values are too common to scrub byte for byte (a one-letter test key would eat every `k`). */
const MIN_SECRET_CHARS = 8;

/**
 * Adds to `into` every credential a request carries: the values of secret headers (`authorization`, cookies, API
 * keys, any name with `token` or `secret`), the credential after an `authorization` scheme, and each cookie value.
 * An upstream may echo any of them back; what comes back from it is scrubbed of them (see `scrubText`).
 */
export function collectSecrets(headers: Readonly<HeaderMap>, into: Set<string>): void {
  for (const name in headers) {
    if (!isSecretHeader(name)) continue;
    const value = headers[name]!.trim();
    add(into, value);
    const scheme = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(value);
    if (scheme) add(into, scheme[1]!);
    if (name === 'cookie') for (const pair of value.split(';')) add(into, pair.slice(pair.indexOf('=') + 1).trim());
  }
}

function add(into: Set<string>, value: string): void {
  if (value.length >= MIN_SECRET_CHARS) into.add(value);
}

/**
 * `text` without the exact `secrets` (as sent, and as they read inside a JSON string) and without anything the value
 * patterns recognise. Linear in the text per secret; longest first, so a credential inside a longer one goes too.
 */
export function scrubText(text: string, secrets: ReadonlySet<string>): string {
  let out = text;
  if (secrets.size > 0) {
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join(REDACTED);
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret) out = out.split(escaped).join(REDACTED);
    }
  }
  return redactText(out);
}

/** The same error with its message and string details scrubbed; the error itself when nothing changes. */
export function scrubError(err: GatewayError, secrets: ReadonlySet<string>): GatewayError {
  const message = scrubText(err.message, secrets);
  let changed = message !== err.message;
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err.details)) {
    details[key] = typeof value === 'string' ? scrubText(value, secrets) : value;
    if (details[key] !== value) changed = true;
  }
  if (!changed) return err;
  return new GatewayError({ status: err.status, type: err.type, code: err.code, message, expose: err.expose, headers: err.headers, details, cause: err });
}

const FAILURE_DATA = /^\s*\{\s*"type"\s*:\s*"(?:response\.failed|error)"/;

/** A `response.failed` or `error` event, whoever made it, carries error text: scrub it. Others pass untouched. */
export function scrubFailureEvent(event: StreamEvent, secrets: ReadonlySet<string>): StreamEvent {
  const failure = event.event !== undefined ? event.event === 'response.failed' || event.event === 'error' : FAILURE_DATA.test(event.data);
  if (!failure) return event;
  const data = scrubText(event.data, secrets);
  return data === event.data ? event : { ...event, data };
}

/** A compressed error body may unpack to at most this much; beyond that it is not shown. */
const MAX_UNPACKED_BYTES = 8 * 1024 * 1024;
const UNPACK: Record<string, (body: Buffer) => Buffer> = {
  gzip: (b) => gunzipSync(b, { maxOutputLength: MAX_UNPACKED_BYTES }),
  'x-gzip': (b) => gunzipSync(b, { maxOutputLength: MAX_UNPACKED_BYTES }),
  deflate: (b) => inflateSync(b, { maxOutputLength: MAX_UNPACKED_BYTES }),
  br: (b) => brotliDecompressSync(b, { maxOutputLength: MAX_UNPACKED_BYTES }),
};

/**
 * An upstream error body as it may be forwarded: scrubbed like error text. The bytes stay as sent when nothing was
 * scrubbed; a compressed body is unpacked to be read (and forwarded unpacked); one that cannot be read is replaced
 * by a JSON error saying so. `encoding` false: the body is sent without its `content-encoding`.
 */
export function scrubErrorBody(body: Buffer, status: number, contentEncoding: string | undefined, secrets: ReadonlySet<string>): { body: Buffer; keepEncoding: boolean; contentType?: string } {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  let plain = body;
  if (encoding && encoding !== 'identity') {
    try {
      const unpack = UNPACK[encoding];
      if (!unpack) throw new Error(`unknown content-encoding ${encoding}`);
      plain = unpack(body);
    } catch {
      const message = `upstream HTTP ${status}; its error body (content-encoding ${encoding}) could not be read to be shown safely`;
      const error = { message, type: status < 500 ? 'invalid_request_error' : 'server_error', code: 'upstream_error', upstream_status: status };
      return { body: Buffer.from(JSON.stringify({ error })), keepEncoding: false, contentType: 'application/json; charset=utf-8' };
    }
  }
  const text = plain.toString('utf8');
  const scrubbed = scrubText(text, secrets);
  if (scrubbed === text) return { body, keepEncoding: true };
  return { body: Buffer.from(scrubbed), keepEncoding: false };
}
