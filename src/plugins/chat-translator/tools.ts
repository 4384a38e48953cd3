import { isObject, type ToolMap } from '../../index.js';

/** Responses `tool_choice` → Chat; undefined when it should not be sent. */
export function convertToolChoice(choice: unknown, map: ToolMap): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isObject(choice)) {
    if ((choice.type === 'function' || choice.type === 'custom') && typeof choice.name === 'string') {
      return { type: 'function', function: { name: map.upstreamName(choice.type, choice.name, typeof choice.namespace === 'string' ? choice.namespace : undefined) } };
    }
    if (choice.type === 'function' && isObject(choice.function)) return choice;
  }
  return undefined;
}
