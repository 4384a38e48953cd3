import type { UpstreamResponse } from '../core/types.js';

/** Error bodies are small; a larger one is not worth holding in memory to classify. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** An upstream error answer's body, or undefined when it is larger than `limit` or cannot be read. */
export async function readErrorBody(response: UpstreamResponse, limit = ERROR_BODY_LIMIT): Promise<Buffer | undefined> {
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  try {
    return await response.readBody(limit);
  } catch {
    return undefined;
  }
}
