import type { StreamEvent } from '../../src/index.js';

// What Codex needs of a Responses event stream (shared/spec/codex-contract.md §3), checked strictly: a translator's
// output either passes every rule here or the test names the first one it breaks.

export interface ResponsesEvent {
  type: string;
  sequence_number: number;
  [field: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
const DELTAS: Record<string, string> = {
  'response.output_text.delta': 'message',
  'response.refusal.delta': 'message',
  'response.reasoning_summary_text.delta': 'reasoning',
  'response.function_call_arguments.delta': 'function_call',
  'response.custom_tool_call_input.delta': 'custom_tool_call',
};

/** Parses the events and throws, naming the rule, when the stream is not one Codex reads correctly. */
export function checkResponsesStream(stream: StreamEvent[]): ResponsesEvent[] {
  const events = stream.map((e, i) => {
    const parsed = JSON.parse(e.data) as ResponsesEvent;
    if (e.event !== undefined && e.event !== parsed.type) fail(`event ${i}: SSE name ${e.event} is not its type ${parsed.type}`);
    return parsed;
  });
  events.forEach((e, i) => e.sequence_number !== i && fail(`event ${i} (${e.type}) has sequence_number ${e.sequence_number}`));
  if (events[0]?.type !== 'response.created') fail('the stream does not open with response.created');
  const terminals = events.filter((e) => TERMINAL.has(e.type));
  if (terminals.length !== 1) fail(`${terminals.length} terminal events`);
  const end = terminals[0]!;
  if (events.at(-1) !== end) fail(`events follow the terminal ${end.type}`);
  const id = events[0]!.response.id;
  if (end.response.id !== id || typeof id !== 'string') fail('the terminal response id is not the created one');
  if (end.type === 'response.completed' || end.type === 'response.incomplete') checkUsage(end.response.usage);

  const open = new Map<string, { type: string; index: number; done: boolean; text: string }>();
  let nextIndex = 0;
  const done: ResponsesEvent[] = [];
  for (const e of events) {
    if (e.type === 'response.output_item.added') {
      if (e.output_index !== nextIndex++) fail(`output_item.added at index ${e.output_index}, expected ${nextIndex - 1}`);
      if (open.has(e.item.id)) fail(`item ${e.item.id} added twice`);
      open.set(e.item.id, { type: e.item.type, index: e.output_index, done: false, text: '' });
    } else if (DELTAS[e.type]) {
      const item = open.get(e.item_id);
      if (!item) fail(`${e.type} for an item never added`);
      if (item!.done) fail(`${e.type} after its item was done`);
      if (item!.type !== DELTAS[e.type]) fail(`${e.type} on a ${item!.type} item`);
      if (item!.index !== e.output_index) fail(`${e.type} with output_index ${e.output_index}, the item has ${item!.index}`);
      if (typeof e.delta !== 'string') fail(`${e.type} without a string delta`);
      item!.text += e.delta;
    } else if (e.type === 'response.output_item.done') {
      const item = open.get(e.item.id);
      if (!item || item.done) fail(`output_item.done for ${e.item.id}, not open`);
      item!.done = true;
      done.push(e);
      checkDone(e.item, item!.text);
    }
  }
  const calls = done.filter((e) => e.item.type === 'function_call' || e.item.type === 'custom_tool_call');
  if (end.type !== 'response.completed' && calls.length) fail(`a tool call was finalized in a ${end.type} response`);
  if (end.type === 'response.failed') {
    // Codex records items from their .done: a failed attempt must leave nothing recorded before Codex retries it.
    if (done.length) fail(`${done.length} item(s) finalized in a failed response`);
    if (typeof end.response.error?.code !== 'string' || typeof end.response.error?.message !== 'string' || !end.response.error.message) fail('response.failed without error code and message');
    if (end.response.output.length) fail('response.failed with output');
  } else {
    if (end.type === 'response.completed') for (const [itemId, item] of open) if (!item.done) fail(`item ${itemId} never done in a completed response`);
    const output = done.map((e) => e.item).sort((a, b) => indexOf(done, a) - indexOf(done, b));
    if (JSON.stringify(end.response.output) !== JSON.stringify(output)) fail('response.output is not the done items in output order');
  }
  return events;
}

function indexOf(done: ResponsesEvent[], item: unknown): number {
  return done.find((e) => e.item === item)!.output_index as number;
}

function checkDone(item: ResponsesEvent['item'], streamed: string): void {
  if (item.type === 'message') {
    const text = (item.content as { type: string; text?: string; refusal?: string }[]).map((p) => p.text ?? p.refusal ?? '').join('');
    if (text !== streamed) fail(`message ${item.id}: done text is not the streamed deltas`);
  } else if (item.type === 'reasoning') {
    const text = (item.summary as { text: string }[]).map((p) => p.text).join('');
    if (text !== streamed) fail(`reasoning ${item.id}: done summary is not the streamed deltas`);
  } else if (item.type === 'function_call') {
    if (item.arguments !== streamed) fail(`function_call ${item.id}: done arguments are not the streamed deltas`);
    try {
      JSON.parse(item.arguments as string);
    } catch {
      fail(`function_call ${item.id}: arguments are not JSON`);
    }
    if (typeof item.call_id !== 'string' || !item.call_id || typeof item.name !== 'string') fail(`function_call ${item.id} without call_id or name`);
  } else if (item.type === 'custom_tool_call') {
    if (item.input !== streamed) fail(`custom_tool_call ${item.id}: done input is not the streamed deltas`);
  } else fail(`an output item of type ${String(item.type)}`);
}

function checkUsage(usage: Record<string, any> | undefined): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!usage) return fail('terminal response without usage');
  for (const key of ['input_tokens', 'output_tokens', 'total_tokens']) if (!Number.isInteger(usage[key]) || usage[key] < 0) fail(`usage.${key} is not a count`);
  if (!Number.isInteger(usage.input_tokens_details?.cached_tokens)) fail('usage.input_tokens_details.cached_tokens missing');
  if (usage.input_tokens_details.cached_tokens > usage.input_tokens) fail('more cached than input tokens');
}

function fail(message: string): never {
  throw new Error(`Responses contract: ${message}`);
}
