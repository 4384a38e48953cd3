import { isObject, type JsonObject, type ToolMap } from '../../index.js';

/** Responses `tool_choice` → Chat; undefined when it should not be sent. */
export function convertToolChoice(choice: unknown, map: ToolMap): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isObject(choice)) {
    const c = choice as JsonObject;
    if ((c.type === 'function' || c.type === 'custom') && typeof c.name === 'string') {
      return { type: 'function', function: { name: map.upstreamName(c.type, c.name, typeof c.namespace === 'string' ? c.namespace : undefined) } };
    }
    if (c.type === 'function' && isObject(c.function)) return c;
  }
  return undefined;
}
