import { isObject, type JsonObject } from '../json/is-object.js';

// Reading the content parts of Codex's Responses items: the chat-translator and messages-translator share this.

/** The text of an `input_text` / `output_text` / `text` part. */
export function partText(part: JsonObject): string | undefined {
  return (part.type === 'input_text' || part.type === 'output_text' || part.type === 'text') && typeof part.text === 'string' ? part.text : undefined;
}

/** The URL (data or http) of an `input_image` / `image_url` part, in either of its shapes. */
export function imageUrl(part: JsonObject): string | undefined {
  const value = part.image_url;
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.url === 'string') return value.url;
  return undefined;
}

/** Whether a part is an image (`input_image`, or Chat's `image_url`). */
export function isImagePart(part: JsonObject): boolean {
  return part.type === 'input_image' || part.type === 'image_url';
}

/** Every text part of a content string or array, joined. */
export function textOf(content: unknown, separator: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as unknown[]).flatMap((p) => (isObject(p) && partText(p) !== undefined ? [partText(p)!] : [])).join(separator);
}
