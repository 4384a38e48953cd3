import { GatewayError, isObject } from '../../index.js';
import { ResponseStream, type StreamOptions } from './stream-state.js';

/**
 * A whole Chat completion → the Responses object, built by replaying it through the stream translator as one chunk,
 * so a blocking answer is exactly the `response` of the streaming terminal event.
 */
export function translateCompletion(completion: unknown, options: StreamOptions): Record<string, unknown> {
  const stream = new ResponseStream(options);
  for (const chunk of completionChunks(completion)) stream.chunk(JSON.stringify(chunk));
  stream.end();
  const result = stream.result!;
  const failure = stream.failure;
  if (failure) {
    const status = failure.status ?? 502;
    const type = status === 429 ? (failure.code === 'insufficient_quota' ? 'insufficient_quota' : 'rate_limit_exceeded') : status < 500 ? 'invalid_request_error' : 'server_error';
    throw new GatewayError({ status, type, code: failure.code, message: failure.message, expose: true });
  }
  return result;
}

/** The synthetic stream of one completion: the message as a single delta, with its finish_reason and usage. */
export function completionChunks(completion: unknown): Record<string, unknown>[] {
  if (!isObject(completion)) return [{ error: { message: 'the upstream answered with a body that is not a JSON object' } }];
  if (completion.error !== undefined && completion.error !== null) return [{ error: completion.error }];
  const choices = Array.isArray(completion.choices) ? completion.choices : [];
  const choice = isObject(choices[0]) ? choices[0] : { message: {}, finish_reason: 'stop' };
  const message = isObject(choice.message) ? choice.message : {};
  const delta: Record<string, unknown> = { ...message };
  if (Array.isArray(message.tool_calls)) {
    delta.tool_calls = (message.tool_calls as unknown[]).map((tc, index) => (isObject(tc) ? { index, ...tc } : tc));
  }
  const finish = typeof choice.finish_reason === 'string' ? choice.finish_reason : 'stop';
  const chunk: Record<string, unknown> = { choices: [{ index: 0, delta, finish_reason: finish }], usage: completion.usage };
  if (completion.citations !== undefined) chunk.citations = completion.citations;
  if (completion.search_results !== undefined) chunk.search_results = completion.search_results;
  return [chunk];
}
