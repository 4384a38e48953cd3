import { isObject, type ResponsesUsage } from '../../index.js';

/**
 * Chat usage → Responses usage, where output tokens include reasoning and total = input + output, however the
 * provider counts: OpenAI counts reasoning inside `completion_tokens`; xAI outside it (prompt 291, completion 26,
 * reasoning 196, total 513), which shows as a total that holds the reasoning once more, or reasoning above the
 * completion. DeepSeek's `prompt_cache_hit_tokens` wins over OpenAI's details. Missing → zeros.
 */
export function mapUsage(usage: unknown): ResponsesUsage {
  const u = isObject(usage) ? usage : {};
  const input = count(u.prompt_tokens);
  const completion = count(u.completion_tokens);
  const promptDetails = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const completionDetails = isObject(u.completion_tokens_details) ? u.completion_tokens_details : {};
  const reasoning = count(completionDetails.reasoning_tokens);
  const total = u.total_tokens === undefined ? undefined : count(u.total_tokens);
  const outside = reasoning > 0 && (total === input + completion + reasoning || reasoning > completion);
  const output = outside ? completion + reasoning : completion;
  const cached = u.prompt_cache_hit_tokens !== undefined ? count(u.prompt_cache_hit_tokens) : count(promptDetails.cached_tokens);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: Math.min(cached, input) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + output,
  };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.trunc(value) : 0;
}

/** Some providers put usage elsewhere (Groq: `x_groq.usage`). */
export function chunkUsage(chunk: Record<string, unknown>): unknown {
  if (isObject(chunk.usage)) return chunk.usage;
  if (isObject(chunk.x_groq) && isObject(chunk.x_groq.usage)) return chunk.x_groq.usage;
  return undefined;
}
