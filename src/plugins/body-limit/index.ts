import { definePlugin, GatewayError, Stage } from '../../index.js';
import { schema, type BodyLimitOptions } from './schema.js';

export type { BodyLimitOptions } from './schema.js';

/** The 413 Codex receives; it names the setting to raise. */
export function bodyTooLarge(limit: number, declared?: number): GatewayError {
  const size = declared === undefined ? `more than ${limit} bytes` : `${declared} bytes (limit ${limit})`;
  return new GatewayError({
    status: 413,
    type: 'invalid_request_error',
    code: 'request_body_too_large',
    message: `the request body is ${size}; raise this chain's body-limit option maxBytes, or set it to 0 for the server's limit alone (server.maxBodyBytes, REQUEST_BODY_LIMIT_BYTES)`,
  });
}

/**
 * Refuses request bodies over `maxBytes` with a 413: a declared `content-length` over the limit before reading, a
 * streamed body as soon as it passes the limit (the kernel stops reading; nothing over the limit is kept). It tightens
 * the server's limit for one chain; `server.maxBodyBytes` (REQUEST_BODY_LIMIT_BYTES) applies to every chain anyway.
 */
export default definePlugin<BodyLimitOptions>({
  name: 'body-limit',
  schema,
  apply({ hooks }, { maxBytes }) {
    if (maxBytes === 0) return;
    hooks.requestHead.tap({ name: 'body-limit', stage: Stage.Guard }, (head) => {
      const declared = head.contentLength !== undefined && head.contentLength > maxBytes ? head.contentLength : undefined;
      head.limitBody(maxBytes, () => bodyTooLarge(maxBytes, declared));
      return undefined;
    });
  },
});
