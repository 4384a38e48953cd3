import { isObject, SlotTemplate, type JsonObject } from '../../index.js';

/** The string each delta type carries: the only field `MessagesStream` reads of it besides `type`. */
const FIELDS: Readonly<Record<string, string>> = { text_delta: 'text', thinking_delta: 'thinking', input_json_delta: 'partial_json' };

/**
 * A block's `content_block_delta` events are the same JSON but for their text: learned from one, the next ones are
 * read without `JSON.parse` (most of a long stream's cost). The stream reads nothing of such an event but its block
 * index, its delta's type and that string, so one read through the template is the same as one parsed.
 */
export class DeltaTemplate {
  private constructor(
    private readonly index: number,
    private readonly type: string,
    private readonly field: string,
    private readonly slots: SlotTemplate,
  ) {}

  static of(text: string, event: JsonObject): DeltaTemplate | undefined {
    if (event.type !== 'content_block_delta' || typeof event.index !== 'number' || !isObject(event.delta)) return undefined;
    const type = event.delta.type;
    const field = typeof type === 'string' ? FIELDS[type] : undefined;
    const value = field === undefined ? undefined : event.delta[field];
    if (field === undefined || typeof value !== 'string') return undefined;
    const slots = SlotTemplate.learn(text, [{ key: field, value }]);
    return slots && new DeltaTemplate(event.index, type as string, field, slots);
  }

  /** The block index and the delta (its type and string) of an event that matches. */
  read(data: string): { index: number; delta: JsonObject } | undefined {
    const values = this.slots.match(data);
    return values && { index: this.index, delta: { type: this.type, [this.field]: values[0] } };
  }

  get hits(): number {
    return this.slots.hits;
  }
}
