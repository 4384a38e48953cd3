import { imageUrl, isObject, partText, textOf, type JsonObject, type Logger, type ToolMap } from '../../index.js';
import { CARRIER_PREFIX, carriedTextBytes, decodeCarrier, THINK_FIELD, type ReasoningCache } from './reasoning-carrier.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | JsonObject[] | null;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  [field: string]: unknown;
}

export const IMAGE_OMITTED = '[image omitted: this model does not accept images]';

export interface BuilderOptions {
  map: ToolMap;
  images: boolean;
  reasoningField: string | null;
  log: Logger;
  carrierKey?: string;
  cache?: ReasoningCache;
  /** Marks a text the body keeps as bytes (the request's texts are kept by keepTexts: see index.ts). */
  keep?: (content: Buffer) => string;
  /** Reads a kept `encrypted_content` (the request's blobs are kept out of the parse). */
  original?: (value: unknown) => unknown;
  /** A text with its kept texts put back: compares this body's assistant text with a resumed builder's last. */
  text?: (value: string) => string;
}

/**
 * The builder's state after an item where every message so far is final: no call group that a later output could
 * answer or a later image join, no assistant text a call could join, no reasoning waiting for its message. Sizes,
 * not copies: the sets grow in order, so their first `seen` and `answered` entries are the state then.
 */
export interface Boundary {
  items: number;
  messages: number;
  system: number;
  seen: number;
  answered: number;
  lastAssistant: string | undefined;
  /** `lastAssistant` is already the text itself (a resumed builder's), not a marker of this body. */
  lastDecoded: boolean;
}

/** What a builder resumes from: the state at a boundary of an earlier request with the same first items. */
export interface Resumed {
  items: number;
  seen: readonly string[];
  answered: readonly string[];
  /** The text itself, compared through `BuilderOptions.text` with this body's (marked) texts. */
  lastAssistant: string | undefined;
}

interface ToolGroup {
  message: ChatMessage;
  ids: string[];
  answered: Set<string>;
  images: JsonObject[];
}

/** Walks Codex's input items in order and keeps the Chat message list valid as it goes. */
export class MessageBuilder {
  readonly system: string[] = [];
  /** Reasoning is attached only to assistant messages built from items after this index. */
  replayFrom = -1;
  private readonly messages: ChatMessage[] = [];
  private group: ToolGroup | undefined;
  private pendingReasoning: string | undefined;
  private pendingDetails: JsonObject[] | undefined;
  private readonly seenCalls = new Set<string>();
  private readonly answered = new Set<string>();
  /** The last pushed message is assistant text that a following call group may join. */
  private mergeable: ChatMessage | undefined;
  private lastAssistantText: string | undefined;
  private lastDecoded = false;
  /** The last item after which every message was final (see `Boundary`). */
  boundary: Boundary | undefined;

  constructor(private readonly o: BuilderOptions) {}

  /** Goes on from an earlier request's boundary: its messages are not rebuilt, and none is in `finish()`. */
  resume(from: Resumed): void {
    for (const id of from.seen) this.seenCalls.add(id);
    for (const id of from.answered) this.answered.add(id);
    this.lastAssistantText = from.lastAssistant;
    this.lastDecoded = from.lastAssistant !== undefined;
    this.boundary = { items: from.items, messages: 0, system: this.system.length, seen: this.seenCalls.size, answered: this.answered.size, lastAssistant: from.lastAssistant, lastDecoded: this.lastDecoded };
  }

  /** The first `seen` and `answered` call ids, as a later builder resumes from them. */
  callsAt(boundary: Boundary): { seen: string[]; answered: string[] } {
    return { seen: [...this.seenCalls].slice(0, boundary.seen), answered: [...this.answered].slice(0, boundary.answered) };
  }

  add(raw: unknown, index: number): void {
    this.item(raw, index);
    const group = this.group;
    if (this.mergeable || this.pendingReasoning !== undefined || this.pendingDetails !== undefined) return;
    // A group whose calls are all answered and that has no images is closed by whatever comes next, adding nothing.
    if (group && (group.answered.size < group.ids.length || group.images.length > 0)) return;
    this.boundary = { items: index + 1, messages: this.messages.length, system: this.system.length, seen: this.seenCalls.size, answered: this.answered.size, lastAssistant: this.lastAssistantText, lastDecoded: this.lastDecoded };
  }

  private item(raw: unknown, index: number): void {
    if (!isObject(raw)) return;
    const item = raw;
    const type = item.type ?? (item.role ? 'message' : undefined);
    switch (type) {
      case 'message':
        return this.message(item, index);
      case 'reasoning':
        return this.reasoning(item);
      case 'function_call':
      case 'custom_tool_call':
        return this.call(item, index);
      case 'function_call_output':
      case 'custom_tool_call_output':
        return this.output(item);
      case 'agent_message': {
        const text = textOf(item.content, '\n\n');
        if (text.trim()) this.push({ role: 'user', content: text });
        return;
      }
      default:
        // tool_search_call/output, web_search_call, local_shell_call, item_reference, compaction, …: a Chat
        // upstream has no use for them and strict ones reject empty placeholder messages.
        this.o.log.debug({ item: type }, 'chat-translator: dropping input item the Chat API has no place for');
    }
  }

  /** The system message (every system text, in order) and the messages after it (a resumed builder's only). */
  finish(): { system: ChatMessage | undefined; messages: ChatMessage[] } {
    this.closeGroup();
    const system = this.system.filter((s) => s.trim()).join('\n\n');
    return { system: system ? { role: 'system', content: system } : undefined, messages: this.messages };
  }

  private message(item: JsonObject, index: number): void {
    const role = item.role;
    if (role === 'developer' || role === 'system') {
      // Merged in order into the one leading system message: never dropped, never between tool calls and outputs.
      const text = textOf(item.content, '\n\n');
      if (text.trim()) this.system.push(text);
      return;
    }
    if (role === 'assistant') {
      this.closeGroup();
      const text = textOf(item.content, '');
      if (!text.trim() || this.repeats(text)) return;
      const message: ChatMessage = { role: 'assistant', content: text };
      this.attachReasoning(message, index);
      this.push(message);
      this.mergeable = message;
      this.lastAssistantText = text;
      this.lastDecoded = false;
      return;
    }
    this.closeGroup();
    this.pendingReasoning = undefined;
    const content = this.userContent(item.content);
    if (content === undefined) return;
    this.push({ role: 'user', content });
  }

  private repeats(text: string): boolean {
    if (!this.lastDecoded) return text === this.lastAssistantText;
    return (this.o.text ? this.o.text(text) : text) === this.lastAssistantText;
  }

  private reasoning(item: JsonObject): void {
    // Codex puts a response's reasoning before its message and calls: a reasoning item starts a new response.
    this.mergeable = undefined;
    const blob = this.o.original ? this.o.original(item.encrypted_content) : item.encrypted_content;
    const carried = decodeCarrier(blob, this.o.carrierKey);
    if (carried?.field === THINK_FIELD) return;
    // The carried text is only moved into the Chat message: kept as bytes when the body keeps texts.
    const text = carried?.text && this.o.keep ? this.o.keep(carriedTextBytes(carried)) : (carried?.text ?? (typeof item.id === 'string' ? this.o.cache?.get(item.id) : undefined));
    if (carried?.details?.length) this.pendingDetails = [...(this.pendingDetails ?? []), ...carried.details];
    if (text) this.pendingReasoning = this.pendingReasoning ? `${this.pendingReasoning}\n\n${text}` : text;
    else if (carried) return;
    else if (typeof blob === 'string' && !blob.startsWith(CARRIER_PREFIX)) {
      this.o.log.debug('chat-translator: dropping a foreign reasoning item');
    }
  }

  private call(item: JsonObject, index: number): void {
    const callId = typeof item.call_id === 'string' && item.call_id ? item.call_id : typeof item.id === 'string' ? item.id : '';
    if (!callId || typeof item.name !== 'string' || this.seenCalls.has(callId)) return;
    this.seenCalls.add(callId);
    const namespace = typeof item.namespace === 'string' && item.namespace ? item.namespace : undefined;
    let name: string;
    let args: string;
    if (item.type === 'custom_tool_call') {
      name = this.o.map.upstreamName('custom', item.name, namespace);
      args = JSON.stringify({ [this.o.map.customField(item.name, namespace)]: typeof item.input === 'string' ? item.input : '' });
    } else {
      name = this.o.map.upstreamName(this.o.map.isCustom(item.name, namespace) ? 'custom' : 'function', item.name, namespace);
      args = typeof item.arguments === 'string' && item.arguments.trim() ? item.arguments : '{}';
    }
    if (this.group && this.group.answered.size > 0) this.closeGroup();
    if (!this.group) {
      const message = this.mergeable ?? { role: 'assistant', content: null };
      message.tool_calls = [];
      if (!this.mergeable) {
        this.attachReasoning(message, index);
        this.push(message);
      }
      this.mergeable = undefined;
      this.group = { message, ids: [], answered: new Set(), images: [] };
    }
    this.group.message.tool_calls!.push({ id: callId, type: 'function', function: { name, arguments: args } });
    this.group.ids.push(callId);
  }

  private output(item: JsonObject): void {
    const callId = typeof item.call_id === 'string' ? item.call_id : '';
    const group = this.group;
    if (!group || !group.ids.includes(callId) || group.answered.has(callId)) {
      // A duplicate, or an output whose call is not in the history: a Chat upstream would reject a tool message
      // that answers nothing.
      this.o.log.debug({ answered: this.answered.has(callId) }, 'chat-translator: dropping a tool output without a pending call');
      return;
    }
    group.answered.add(callId);
    this.answered.add(callId);
    this.messages.push({ role: 'tool', tool_call_id: callId, content: this.toolContent(item.output, group) });
  }

  /** Every call gets an answer (interrupted turns get a placeholder) and tool images follow as a user message. */
  private closeGroup(): void {
    const group = this.group;
    if (!group) return;
    this.group = undefined;
    for (const id of group.ids) {
      if (!group.answered.has(id)) this.messages.push({ role: 'tool', tool_call_id: id, content: 'aborted' });
    }
    if (group.images.length) this.messages.push({ role: 'user', content: [{ type: 'text', text: 'Images returned by the tool calls above:' }, ...group.images] });
  }

  private push(message: ChatMessage): void {
    this.mergeable = undefined;
    this.messages.push(message);
  }

  private attachReasoning(message: ChatMessage, index: number): void {
    const text = this.pendingReasoning;
    const details = this.pendingDetails;
    this.pendingReasoning = undefined;
    this.pendingDetails = undefined;
    if (index <= this.replayFrom) return;
    // OpenRouter's reasoning_details are the whole reasoning (text, signatures, encrypted blocks): sent back as
    // they came, they replace the plain field, which would only repeat their text.
    if (details) message.reasoning_details = details;
    else if (text && this.o.reasoningField) message[this.o.reasoningField] = text;
  }

  private userContent(content: unknown): string | JsonObject[] | undefined {
    if (typeof content === 'string') return content.trim() ? content : undefined;
    if (!Array.isArray(content)) return undefined;
    const parts: JsonObject[] = [];
    for (const part of content as unknown[]) {
      if (!isObject(part)) continue;
      const text = partText(part);
      if (text !== undefined) parts.push({ type: 'text', text });
      else if (part.type === 'input_image' || part.type === 'image_url') {
        const url = imageUrl(part);
        parts.push(this.o.images && url ? { type: 'image_url', image_url: { url } } : { type: 'text', text: IMAGE_OMITTED });
      } else parts.push({ type: 'text', text: `[${String(part.type)} omitted: not supported by this provider]` });
    }
    if (parts.every((p) => p.type === 'text')) {
      const text = parts.map((p) => p.text as string).filter((t) => t.trim()).join('\n\n');
      return text ? text : undefined;
    }
    return parts;
  }

  private toolContent(output: unknown, group: ToolGroup): string {
    if (typeof output === 'string') return output;
    if (!Array.isArray(output)) return output === undefined || output === null ? '' : JSON.stringify(output);
    const texts: string[] = [];
    for (const part of output as unknown[]) {
      if (!isObject(part)) continue;
      const text = partText(part);
      if (text !== undefined) texts.push(text);
      else if (part.type === 'input_image' || part.type === 'image_url') {
        const url = imageUrl(part);
        // Chat tool messages cannot carry images on most upstreams: they follow the tool group as a user message.
        if (this.o.images && url) {
          group.images.push({ type: 'image_url', image_url: { url } });
          texts.push('[image attached in the next message]');
        } else texts.push(IMAGE_OMITTED);
      } else texts.push(JSON.stringify(part));
    }
    return texts.join('\n\n');
  }
}
