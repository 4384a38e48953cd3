import { GatewayError, isObject, type JsonObject } from '../../index.js';
import { MessagesStream, type MessagesStreamOptions } from './stream.js';

/**
 * A whole Messages answer → the Responses object, replayed through the stream translator as the events it stands
 * for, so a blocking answer is exactly the `response` of the streaming terminal event.
 */
export function translateMessage(message: unknown, options: MessagesStreamOptions): JsonObject {
  const stream = new MessagesStream(options);
  for (const event of messageEvents(message)) stream.event(JSON.stringify(event));
  stream.end();
  const result = stream.result!;
  if (result.status === 'failed') {
    const error = result.error as { code: string; message: string };
    const status = error.code === 'context_length_exceeded' || error.code === 'invalid_prompt' ? 400 : 502;
    throw new GatewayError({ status, type: status === 400 ? 'invalid_request_error' : 'server_error', code: error.code, message: error.message, expose: true });
  }
  return result;
}

/** The events of one `message` body: each content block whole, then its stop reason and usage. */
export function messageEvents(message: unknown): JsonObject[] {
  if (!isObject(message)) return [{ type: 'error', error: { type: 'api_error', message: 'the upstream answered with a body that is not a JSON object' } }];
  if (message.type === 'error' || isObject(message.error)) return [{ type: 'error', error: message.error }];
  const content = Array.isArray(message.content) ? (message.content as unknown[]) : [];
  const events: JsonObject[] = [{ type: 'message_start', message: { ...message, content: [] } }];
  content.forEach((block, index) => {
    events.push({ type: 'content_block_start', index, content_block: block });
    events.push({ type: 'content_block_stop', index });
  });
  events.push({ type: 'message_delta', delta: { stop_reason: message.stop_reason ?? null, stop_details: message.stop_details ?? null }, usage: message.usage ?? {} });
  events.push({ type: 'message_stop' });
  return events;
}
