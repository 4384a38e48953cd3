import { isObject, type ResponsesUsage } from '../../index.js';

/**
 * Anthropic usage → Responses usage. The API counts uncached input, cache writes and cache reads apart; Codex's
 * `input_tokens` is their sum and `cached_tokens` the reads. Thinking is inside `output_tokens` (not reported apart).
 */
export function mapUsage(usage: unknown): ResponsesUsage {
  const u = isObject(usage) ? usage : {};
  const read = count(u.cache_read_input_tokens);
  const input = count(u.input_tokens) + count(u.cache_creation_input_tokens) + read;
  const output = count(u.output_tokens);
  return { input_tokens: input, input_tokens_details: { cached_tokens: read }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.trunc(value) : 0;
}
