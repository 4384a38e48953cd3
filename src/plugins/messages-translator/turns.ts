import { imageUrl, isImagePart, isObject, partText, textOf, type JsonObject, type Logger, type ToolMap } from '../../index.js';
import { keptThinking, openThinking, THINKING_PREFIX, type ThinkingBlock } from './carrier.js';

export type Role = 'user' | 'assistant';
export type Block = JsonObject & { type: string };

export interface Turn {
  role: Role;
  content: Block[];
}

export const IMAGE_OMITTED = '[image omitted: this model does not accept images]';
/** What a `tool_use` gets when Codex's history has no result for it (an interrupted call). */
export const NO_RESULT = 'No result: the call did not complete.';
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export interface TurnOptions {
  map: ToolMap;
  images: boolean;
  /** The upstream model: carried thinking is sent back only to the model that wrote it. */
  upstreamModel: string;
  /** Whether the request thinks: without, reasoning items are dropped unopened (their thinking would not be sent). */
  thinking: boolean;
  carrierKey?: string;
  /** Reads a kept `encrypted_content` (the request's blobs are kept out of the parse). */
  original?: (value: unknown) => unknown;
  /** Marks a text the body keeps as bytes (carried thinking, when the request's texts are kept: upstream-body.ts). */
  keep?: (content: Buffer) => string;
  log: Logger;
}


/** What a builder resumes from: the call ids seen and answered by an earlier request's first `items` items. */
export interface ResumedTurns {
  items: number;
  calls: readonly (readonly [string, number])[];
  results: readonly (readonly [string, number])[];
}

interface Entry {
  role: Role;
  block: Block;
}

/**
 * Walks Codex's input items in order and builds Anthropic's turns: leading developer/system text becomes `system`;
 * the rest becomes blocks that are grouped into alternating turns at the end, with every `tool_use`'s result first in
 * the user turn right after it (parallel results together, in call order) wherever Codex put the output.
 */
export class TurnBuilder {
  readonly system: string[] = [];
  private readonly entries: Entry[] = [];
  /** Call ids answered and seen, each with the item that answered or made it. */
  private readonly results = new Map<string, number>();
  private readonly calls = new Map<string, number>();
  private pendingThinking: ThinkingBlock[] = [];
  private started = false;
  private current = -1;
  /** Per item index: no thinking waits for its message after that item (a later request may go on from there). */
  readonly settled: boolean[] = [];
  private resumed = false;
  /**
   * The input item each block was made from. -1 for the opening placeholder, which no later item changes; Infinity
   * for what depends on items not yet sent (a missing result, the closing placeholder).
   */
  readonly itemOf = new Map<Block, number>();

  constructor(private readonly o: TurnOptions) {}

  private tag<T extends Block>(block: T, item: number): T {
    this.itemOf.set(block, item);
    return block;
  }

  /** Goes on after an earlier request's first `items` items, whose turns are not rebuilt (nor in `finish()`). */
  resume(from: ResumedTurns): void {
    for (const [id, item] of from.calls) this.calls.set(id, item);
    for (const [id, item] of from.results) this.results.set(id, item);
    this.started = true;
    this.resumed = true;
  }

  /** The call ids seen and answered by items before `items`, as a later builder resumes from them. */
  idsBefore(items: number): Pick<ResumedTurns, 'calls' | 'results'> {
    const before = (ids: Map<string, number>) => [...ids].filter(([, item]) => item < items);
    return { calls: before(this.calls), results: before(this.results) };
  }

  add(raw: unknown, index: number): void {
    this.current = index;
    this.item(raw);
    this.settled[index] = this.pendingThinking.length === 0;
  }

  private item(raw: unknown): void {
    if (!isObject(raw)) return;
    const type = raw.type ?? (raw.role ? 'message' : undefined);
    switch (type) {
      case 'message':
        return this.message(raw);
      case 'reasoning':
        return this.reasoning(raw);
      case 'function_call':
      case 'custom_tool_call':
        return this.call(raw);
      case 'function_call_output':
      case 'custom_tool_call_output':
        return this.output(raw);
      case 'agent_message': {
        const text = textOf(raw.content, '\n\n');
        if (text.trim()) this.push('user', { type: 'text', text });
        return;
      }
      default:
        // tool_search_call/output, web_search_call, local_shell_call, item_reference, compaction, …: the Messages
        // API has no block for them.
        this.o.log.debug({ item: type }, 'messages-translator: dropping input item the Messages API has no place for');
    }
  }

  /** The alternating turns, user first and last. */
  finish(): Turn[] {
    let turns = group(this.entries.map((e) => ({ role: e.role, content: [e.block] })));
    for (let i = 0; i < turns.length; i++) {
      const turn = turns[i]!;
      if (turn.role !== 'assistant') continue;
      const ids = turn.content.filter((b) => b.type === 'tool_use').map((b) => b.id as string);
      if (!ids.length) continue;
      const results = ids.map((id) => takeResult(turns, i + 1, id) ?? this.tag({ type: 'tool_result', tool_use_id: id, content: NO_RESULT, is_error: true }, Infinity));
      const next = turns[i + 1];
      if (next?.role === 'user') next.content.unshift(...results);
      else turns.splice(i + 1, 0, { role: 'user', content: results });
    }
    // A turn left empty by a moved result joins its neighbours back into alternation.
    turns = group(turns.filter((t) => t.content.length > 0));
    // A resumed builder's turns follow the earlier request's: they open nothing.
    if (turns[0]?.role === 'assistant' && !this.resumed) turns.unshift({ role: 'user', content: [this.tag({ type: 'text', text: '(The conversation so far follows.)' }, -1)] });
    if (turns.at(-1)?.role === 'assistant') turns.push({ role: 'user', content: [this.tag({ type: 'text', text: 'Please continue.' }, Infinity)] });
    return turns;
  }

  private push(role: Role, block: Block): void {
    if (role === 'assistant' && this.pendingThinking.length) {
      for (const thinking of this.pendingThinking.splice(0)) this.entries.push({ role, block: this.tag({ ...thinking }, this.current) });
    } else if (role === 'user') this.pendingThinking = [];
    this.entries.push({ role, block: this.tag(block, this.current) });
    this.started = true;
  }

  private message(item: JsonObject): void {
    const role = item.role;
    if (role === 'developer' || role === 'system') {
      const text = textOf(item.content, '\n\n');
      if (!text.trim()) return;
      // Leading instructions are the system prompt; later ones stay where Codex put them, so the cached history
      // before them is unchanged.
      if (!this.started) this.system.push(text);
      else this.push('user', { type: 'text', text });
      return;
    }
    if (role === 'assistant') {
      for (const part of Array.isArray(item.content) ? (item.content as unknown[]) : [item.content]) {
        const text = typeof part === 'string' ? part : isObject(part) ? (partText(part) ?? (part.type === 'refusal' && typeof part.refusal === 'string' ? part.refusal : undefined)) : undefined;
        if (text?.trim()) this.push('assistant', { type: 'text', text });
      }
      return;
    }
    for (const block of this.userBlocks(item.content)) this.push('user', block);
  }

  private reasoning(item: JsonObject): void {
    if (!this.o.thinking) return;
    const blob = this.o.original ? this.o.original(item.encrypted_content) : item.encrypted_content;
    const carried = openThinking(blob, this.o.carrierKey);
    if (carried && carried.model === this.o.upstreamModel) {
      this.pendingThinking.push(...(this.o.keep ? keptThinking(carried, this.o.keep) : carried.blocks));
      return;
    }
    const why = carried ? 'written by another model' : typeof blob === 'string' && blob.startsWith(THINKING_PREFIX) ? 'altered or sealed with another key' : 'not from this translator';
    this.o.log.debug({ why }, 'messages-translator: dropping a reasoning item whose thinking cannot be sent back');
  }

  private call(item: JsonObject): void {
    const id = typeof item.call_id === 'string' && item.call_id ? item.call_id : typeof item.id === 'string' ? item.id : '';
    if (!id || typeof item.name !== 'string' || this.calls.has(id)) return;
    this.calls.set(id, this.current);
    const namespace = typeof item.namespace === 'string' && item.namespace ? item.namespace : undefined;
    const { map } = this.o;
    let name: string;
    let input: JsonObject;
    if (item.type === 'custom_tool_call') {
      name = map.upstreamName('custom', item.name, namespace);
      input = { [map.customField(item.name, namespace)]: typeof item.input === 'string' ? item.input : '' };
    } else {
      const custom = map.isCustom(item.name, namespace);
      name = map.upstreamName(custom ? 'custom' : 'function', item.name, namespace);
      input = argumentsObject(item.arguments, this.o.log);
    }
    this.push('assistant', { type: 'tool_use', id, name, input });
  }

  private output(item: JsonObject): void {
    const id = typeof item.call_id === 'string' ? item.call_id : '';
    if (this.results.has(id)) return;
    const content = this.resultContent(item.output);
    if (!this.calls.has(id)) {
      // An output whose call is not in the history: a tool_result would be refused, the text is kept.
      const text = typeof content === 'string' ? content : content.map((b) => (b.type === 'text' ? (b.text as string) : '[image]')).join('\n\n');
      this.push('user', { type: 'text', text: `Output of an earlier tool call${id ? ` (${id})` : ''}:\n${text || '(empty)'}` });
      return;
    }
    const block: Block = { type: 'tool_result', tool_use_id: id };
    if (typeof content === 'string' ? content !== '' : content.length > 0) block.content = content;
    this.results.set(id, this.current);
    this.push('user', block);
  }

  private userBlocks(content: unknown): Block[] {
    if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
    if (!Array.isArray(content)) return [];
    const out: Block[] = [];
    for (const part of content as unknown[]) {
      if (!isObject(part)) continue;
      const text = partText(part);
      if (text !== undefined) {
        if (text) out.push({ type: 'text', text });
      } else if (isImagePart(part)) out.push(this.image(part));
      else out.push({ type: 'text', text: `[${String(part.type)} omitted: not supported by this provider]` });
    }
    return out;
  }

  private resultContent(output: unknown): string | Block[] {
    if (typeof output === 'string') return output;
    if (!Array.isArray(output)) return output === undefined || output === null ? '' : JSON.stringify(output);
    const blocks: Block[] = [];
    for (const part of output as unknown[]) {
      if (!isObject(part)) continue;
      const text = partText(part);
      if (text !== undefined) {
        if (text) blocks.push({ type: 'text', text });
      } else if (isImagePart(part)) blocks.push(this.image(part));
      else blocks.push({ type: 'text', text: JSON.stringify(part) });
    }
    return blocks;
  }

  private image(part: JsonObject): Block {
    const url = imageUrl(part);
    if (!this.o.images || !url) return { type: 'text', text: IMAGE_OMITTED };
    // Parameters may stand between the media type and `;base64` (`data:image/png;name=a.png;base64,...`).
    const data = /^data:([^;,]+)(?:;[^;,]*)*?;base64,(.*)$/is.exec(url);
    if (data) {
      const mediaType = data[1]!.toLowerCase();
      if (!IMAGE_TYPES.has(mediaType)) return { type: 'text', text: `[image omitted: ${mediaType} is not a type the Messages API takes]` };
      // The API refuses an empty image with a 400 for the whole turn; the rest of the turn can still go.
      if (!data[2]) return { type: 'text', text: '[image omitted: its data URL holds no data]' };
      return { type: 'image', source: { type: 'base64', media_type: mediaType, data: data[2] } };
    }
    if (/^data:/i.test(url)) return { type: 'text', text: '[image omitted: a data URL that is not base64]' };
    if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
    return { type: 'text', text: '[image omitted: not a data or http URL]' };
  }
}

function group(turns: Turn[]): Turn[] {
  const out: Turn[] = [];
  for (const turn of turns) {
    const last = out.at(-1);
    if (last && last.role === turn.role) last.content.push(...turn.content);
    else out.push({ role: turn.role, content: [...turn.content] });
  }
  return out;
}

/** Removes the result of call `id` from the turns from `from` on, wherever Codex put it. */
function takeResult(turns: Turn[], from: number, id: string): Block | undefined {
  for (let i = from; i < turns.length; i++) {
    const turn = turns[i]!;
    if (turn.role !== 'user') continue;
    const at = turn.content.findIndex((b) => b.type === 'tool_result' && b.tool_use_id === id);
    if (at >= 0) return turn.content.splice(at, 1)[0];
  }
  return undefined;
}

/** A call's arguments as the object `tool_use.input` must be; anything else is sent as `{}` (logged). */
function argumentsObject(args: unknown, log: Logger): JsonObject {
  if (isObject(args)) return args;
  if (typeof args === 'string' && args.trim()) {
    try {
      const parsed = JSON.parse(args) as unknown;
      if (isObject(parsed)) return parsed;
    } catch {
      // fall through
    }
    log.debug('messages-translator: a function call in the history has arguments that are not a JSON object; sent as {}');
  }
  return {};
}
