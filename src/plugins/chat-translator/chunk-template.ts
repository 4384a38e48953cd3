import { isObject, SlotTemplate, type JsonObject } from '../../index.js';

/** The delta field a template chunk carries its text in. */
export type TextField = 'content' | 'reasoning_content' | 'reasoning';

const TEXT_FIELDS: readonly TextField[] = ['content', 'reasoning_content', 'reasoning'];

/**
 * A provider's chunks of one kind (answer text, or reasoning) are the same JSON but for the text: learned from one
 * chunk, the next ones are read without `JSON.parse` (most of a long stream's cost). Only chunks whose one effect
 * on the stream is their text qualify, so reading one through the template is the same as parsing it; OpenAI's
 * `obfuscation` padding, which differs on every chunk and is read by nobody, is a slot of its own.
 */
export class ChunkTemplate {
  private constructor(
    readonly field: TextField,
    private readonly slots: SlotTemplate,
  ) {}

  /** The template of a chunk (its text as received, and its parse), when its only effect is its delta's text. */
  static of(text: string, chunk: JsonObject, choice: JsonObject, delta: JsonObject): ChunkTemplate | undefined {
    const field = textField(chunk, choice, delta);
    if (!field) return undefined;
    const slots: { key: string; value: string }[] = [{ key: field, value: delta[field] as string }];
    if (typeof chunk.obfuscation === 'string') slots.push({ key: 'obfuscation', value: chunk.obfuscation });
    const template = SlotTemplate.learn(text, slots);
    return template && new ChunkTemplate(field, template);
  }

  /** The delta of a chunk that matches, holding only its text (the rest of the chunk is the template's). */
  delta(data: string): JsonObject | undefined {
    const values = this.slots.match(data);
    if (!values) return undefined;
    const text = values[0]!;
    return this.field === 'content' ? { content: text } : this.field === 'reasoning_content' ? { reasoning_content: text } : { reasoning: text };
  }

  get hits(): number {
    return this.slots.hits;
  }
}

/**
 * The one delta field whose string is all the chunk does, or undefined. Everything `ResponseStream.apply` reads is
 * checked here: no error, usage, citations or search results; one choice, index 0, a `delta` object, no
 * finish_reason; in the delta one of the text fields a string and the other two absent or null, and no reasoning
 * details, refusal, annotations or tool calls.
 */
function textField(chunk: JsonObject, choice: JsonObject, delta: JsonObject): TextField | undefined {
  if (chunk.error !== undefined && chunk.error !== null) return undefined;
  if (isObject(chunk.usage) || (isObject(chunk.x_groq) && isObject(chunk.x_groq.usage))) return undefined;
  if (Array.isArray(chunk.citations) || chunk.search_results !== undefined) return undefined;
  if (!Array.isArray(chunk.choices) || chunk.choices.length !== 1 || chunk.choices[0] !== choice) return undefined;
  if ((choice.index !== undefined && choice.index !== 0) || choice.delta !== delta) return undefined;
  if (typeof choice.finish_reason === 'string' && choice.finish_reason) return undefined;
  if (!absent(delta.refusal) || !absent(delta.annotations) || !absentOrEmpty(delta.reasoning_details) || !absentOrEmpty(delta.tool_calls)) return undefined;
  let field: TextField | undefined;
  for (const name of TEXT_FIELDS) {
    const value = delta[name];
    if (typeof value === 'string' && !field) field = name;
    else if (!absent(value)) return undefined;
  }
  return field;
}

function absent(value: unknown): boolean {
  return value === undefined || value === null;
}

function absentOrEmpty(value: unknown): boolean {
  return absent(value) || (Array.isArray(value) && value.length === 0);
}
