import { isObject, type JsonObject } from '../../index.js';

// How the fields of a Chat chunk's delta are read, across providers.

export function reasoningOf(delta: JsonObject): { text: string; field: string } {
  for (const field of ['reasoning_content', 'reasoning']) {
    const value = delta[field];
    if (typeof value === 'string' && value) return { text: value, field };
    if (isObject(value)) {
      const text = typeof value.text === 'string' ? value.text : typeof value.content === 'string' ? value.content : '';
      if (text) return { text, field };
    }
  }
  return { text: '', field: 'reasoning_content' };
}

/** `content` as a string, or an array of parts (Mistral's `thinking` parts carry reasoning). */
export function contentPieces(content: unknown): { text: string; thinking: boolean }[] {
  if (typeof content === 'string') return content ? [{ text: content, thinking: false }] : [];
  if (!Array.isArray(content)) return [];
  const out: { text: string; thinking: boolean }[] = [];
  for (const part of content as unknown[]) {
    if (typeof part === 'string') out.push({ text: part, thinking: false });
    else if (isObject(part) && part.type === 'thinking') {
      const inner = Array.isArray(part.thinking) ? (part.thinking as unknown[]).map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('') : typeof part.thinking === 'string' ? part.thinking : '';
      if (inner) out.push({ text: inner, thinking: true });
    } else if (isObject(part) && typeof part.text === 'string' && part.text) out.push({ text: part.text, thinking: false });
  }
  return out;
}

export function hasContent(delta: JsonObject): boolean {
  return Boolean(reasoningOf(delta).text) || contentPieces(delta.content).length > 0 || (typeof delta.refusal === 'string' && delta.refusal !== '') || (Array.isArray(delta.reasoning_details) && delta.reasoning_details.length > 0) || (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0);
}
