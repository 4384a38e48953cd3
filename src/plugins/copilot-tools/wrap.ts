import { convertTools, isObject, jsonItems, jsonMembers, jsonString, type JsonObject, type Logger, type ToolMap } from '../../index.js';

/**
 * The request body with every top-level `custom` tool as a Responses function tool (the translator's conversion,
 * so names, the single string field and the grammar hint are the same on both paths), and the history's custom
 * calls and outputs as function calls and outputs. Undefined when the request has no custom tool.
 */
export function wrapCustomTools(body: unknown, log: Logger): { body: JsonObject; map: ToolMap } | undefined {
  if (!isObject(body) || !Array.isArray(body.tools)) return undefined;
  const customs = body.tools.filter((t): t is JsonObject => isObject(t) && t.type === 'custom' && typeof t.name === 'string' && t.name !== '');
  if (customs.length === 0) return undefined;
  const { tools: converted, map } = convertTools(customs, log);
  const byName = new Map(converted.map((t) => [t.function.name, t.function]));
  const tools = body.tools.map((tool) => {
    if (!isObject(tool) || tool.type !== 'custom' || typeof tool.name !== 'string') return tool;
    const fn = byName.get(map.upstreamName('custom', tool.name));
    return fn ? { type: 'function', name: fn.name, description: fn.description, parameters: fn.parameters, strict: false } : tool;
  });
  const input = Array.isArray(body.input) ? body.input.map((item) => wrapItem(item, map)) : body.input;
  const out: JsonObject = { ...body, tools, input };
  const choice = body.tool_choice;
  if (isObject(choice) && choice.type === 'custom' && typeof choice.name === 'string') out.tool_choice = { type: 'function', name: map.upstreamName('custom', choice.name) };
  return { body: out, map };
}

function wrapItem(item: unknown, map: ToolMap): unknown {
  if (!isObject(item)) return item;
  if (item.type === 'custom_tool_call' && typeof item.name === 'string') {
    const field = map.customField(item.name);
    return { type: 'function_call', call_id: item.call_id, name: map.upstreamName('custom', item.name), arguments: JSON.stringify({ [field]: typeof item.input === 'string' ? item.input : '' }), ...(item.status !== undefined && { status: item.status }) };
  }
  if (item.type === 'custom_tool_call_output') return { type: 'function_call_output', call_id: item.call_id, output: item.output };
  return item;
}

/** True when a peek shows no `custom` tool, so most requests skip the full parse; false when unsure. */
export function hasNoCustomTool(body: Buffer): boolean {
  const members = jsonMembers(body);
  if (!members) return false;
  const tools = members.get('tools');
  if (!tools) return true;
  const items = jsonItems(body, tools);
  if (!items) return true;
  return items.every((tool) => {
    const fields = jsonMembers(body, tool);
    return !fields || jsonString(body, fields.get('type')) !== 'custom';
  });
}
