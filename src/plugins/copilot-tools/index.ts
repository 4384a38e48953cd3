import { customInput, definePlugin, eventJson, isObject, PEEK_MIN_BYTES, type Exchange, type JsonObject, type StreamEvent, type ToolMap } from '../../index.js';
import { schema, type CopilotToolsOptions } from './schema.js';
import { hasNoCustomTool, wrapCustomTools } from './wrap.js';

export type { CopilotToolsOptions } from './schema.js';

const NAME = 'copilot-tools';
const STATE = Symbol(NAME);

interface State {
  map: ToolMap;
  /** Ids of function_call items that are wrapped custom calls (their argument deltas are dropped). */
  wrapped: Set<string>;
}

/**
 * Copilot's `/responses` refuses Codex's freeform (`custom`) tools such as apply_patch. For exchanges that stay on
 * the Responses wire this sends them as function tools and turns the model's calls back into the
 * `custom_tool_call` items Codex executes. Only those exchanges parse their stream (`streamEventsOnDemand`).
 */
export default definePlugin<CopilotToolsOptions>({
  name: NAME,
  schema,
  streamEventsOnDemand: true,
  apply({ hooks }, options) {
    if (options.customTools === 'keep') return;
    const stateOf = (ex: Exchange) => ex.state.get(STATE) as State | undefined;

    hooks.request.tap(NAME, (ex) => {
      if (ex.inbound.route !== 'responses' || ex.upstream.wire !== 'responses') return undefined;
      if (ex.inbound.body.length >= PEEK_MIN_BYTES && hasNoCustomTool(ex.inbound.body)) return undefined;
      const wrapped = wrapCustomTools(ex.inbound.json(), ex.log);
      if (!wrapped) return undefined;
      ex.upstream.body = Buffer.from(JSON.stringify(wrapped.body));
      ex.state.set(STATE, { map: wrapped.map, wrapped: new Set() } satisfies State);
      ex.streamEvents = true;
      ex.log.debug({ tools: [...wrapped.map.byUpstream.keys()] }, 'copilot-tools: custom tools sent as function tools');
      return undefined;
    });

    hooks.streamChunk.tap(NAME, (events, ex) => {
      const state = stateOf(ex);
      if (!state) return events;
      const out: StreamEvent[] = [];
      for (const event of events) {
        const payload = eventJson(event);
        if (!isObject(payload)) {
          out.push(event);
          continue;
        }
        const rewritten = unwrapEvent(payload, state);
        if (rewritten === null) continue;
        out.push(rewritten === payload ? event : { ...event, data: JSON.stringify(rewritten) });
      }
      return out;
    });
  },
});

/** The event with wrapped calls turned back into custom calls; null drops it; the same object when untouched. */
function unwrapEvent(payload: JsonObject, state: State): JsonObject | null {
  switch (payload.type) {
    case 'response.function_call_arguments.delta':
    case 'response.function_call_arguments.done':
      return typeof payload.item_id === 'string' && state.wrapped.has(payload.item_id) ? null : payload;
    case 'response.output_item.added':
    case 'response.output_item.done': {
      const item = unwrapItem(payload.item, state);
      return item === payload.item ? payload : { ...payload, item };
    }
    case 'response.completed':
    case 'response.incomplete':
    case 'response.failed': {
      const response = payload.response;
      if (!isObject(response) || !Array.isArray(response.output)) return payload;
      const output = response.output.map((item) => unwrapItem(item, state));
      return output.every((item, i) => item === (response.output as unknown[])[i]) ? payload : { ...payload, response: { ...response, output } };
    }
    default:
      return payload;
  }
}

function unwrapItem(item: unknown, state: State): unknown {
  if (!isObject(item) || item.type !== 'function_call' || typeof item.name !== 'string') return item;
  const target = state.map.byUpstream.get(item.name);
  if (!target || target.kind !== 'custom') return item;
  if (typeof item.id === 'string') state.wrapped.add(item.id);
  const args = typeof item.arguments === 'string' ? item.arguments : '';
  return { type: 'custom_tool_call', ...(item.id !== undefined && { id: item.id }), call_id: item.call_id, name: target.name, input: args ? customInput(args, target.field ?? 'input') : '', ...(item.status !== undefined && { status: item.status }) };
}

