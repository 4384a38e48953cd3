import { customInput, isObject, newResponsesId, ResponsesWriter, type CustomToolCallItem, type FunctionCallItem, type JsonObject, type MessageItem, type ContentPart, type ReasoningItem, type StreamEvent, type TerminalStatus, type ToolMap, type ToolTarget } from '../../index.js';
import { inStreamError, type StreamFailure } from './errors.js';
import { FieldDecoder } from './field-decoder.js';
import { encodeCarrier, THINK_FIELD, type ReasoningCache } from './reasoning-carrier.js';
import { contentPieces, hasContent, reasoningOf } from './chunk-fields.js';
import { ChunkTemplate } from './chunk-template.js';
import { chatAnnotation, numberedCitations } from './citations.js';
import { ReasoningDetails } from './reasoning-details.js';
import { ThinkSplitter } from './think-tags.js';
import { chunkUsage, mapUsage } from './usage.js';

export interface StreamOptions {
  /** Model name reported to Codex (the one it asked for). */
  model: string;
  upstreamModel: string;
  map: ToolMap;
  carrierKey?: string;
  cache?: ReasoningCache;
  responseId?: string;
  /** How `delta.refusal` reaches the client: a `refusal` content part, or answer text. Default `refusal`. */
  refusalAs?: 'refusal' | 'output_text';
  /** Split a leading `<think>…</think>` block out of `content` as reasoning. */
  thinkTags?: boolean;
  /** Read chunks that match a learned template without parsing them (default true); false parses every chunk. */
  chunkTemplates?: boolean;
}

/** Templates a stream may learn that then match nothing, before it stops learning (chunks that all differ). */
const WASTED_TEMPLATES = 4;

interface CallState {
  slot: number;
  callId: string;
  upstreamName: string;
  args: string;
  pending: string[];
  item?: FunctionCallItem | CustomToolCallItem;
  target?: ToolTarget;
  decoder?: FieldDecoder;
}

/**
 * Chat Completions chunks in, the full Responses event sequence out (`chat-translation.md` §4.2): live deltas, and
 * every `.done` held back until the terminal state is known, so a cut stream can never make Codex run a tool.
 */
export class ResponseStream {
  private readonly w: ResponsesWriter;
  private reasoning: { item: ReasoningItem; field: string; details?: ReasoningDetails } | undefined;
  private message: { item: MessageItem; text: ContentPart | undefined; refusal: ContentPart | undefined } | undefined;
  private readonly calls = new Map<number, CallState>();
  private readonly callIds = new Set<string>();
  private finishReason: string | undefined;
  private usage: unknown;
  /** url citations already given, by URL; those waiting for the answer text to annotate. */
  private cited: Set<string> | undefined;
  private pendingAnnotations: JsonObject[] | undefined;
  /** Perplexity's citation list and search results (the latest; repeated on every chunk). */
  private citations: unknown[] | undefined;
  private searchResults: unknown;
  /** Why the stream failed, once it did. */
  failure: StreamFailure | undefined;

  private readonly think: ThinkSplitter | undefined;
  private template: ChunkTemplate | undefined;
  private templatesLeft: number;

  constructor(private readonly o: StreamOptions) {
    this.w = new ResponsesWriter({ model: o.model, responseId: o.responseId });
    if (o.thinkTags) this.think = new ThinkSplitter((text) => this.addReasoning(text, THINK_FIELD), (text) => this.addText(text));
    this.templatesLeft = o.chunkTemplates === false ? 0 : WASTED_TEMPLATES;
  }

  get id(): string {
    return this.w.id;
  }

  get createdAt(): number {
    return this.w.createdAt;
  }

  /** The terminal `response` object, once decided. */
  get result(): JsonObject | undefined {
    return this.w.result;
  }

  get terminal(): TerminalStatus | undefined {
    return this.w.terminal;
  }

  open(): StreamEvent[] {
    this.w.start();
    return this.w.drain();
  }

  idle(): StreamEvent[] {
    this.w.heartbeat();
    return this.w.drain();
  }

  /** One upstream SSE data payload (`[DONE]` included). */
  chunk(data: string): StreamEvent[] {
    this.w.start();
    if (this.result) return this.w.drain();
    const fast = this.template?.delta(data);
    if (fast) {
      this.applyChoiceDelta(fast);
      return this.w.drain();
    }
    const text = data.trim();
    if (!text) return this.w.drain();
    if (text === '[DONE]') {
      this.finish(this.finishReason ?? 'stop');
      return this.w.drain();
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(text);
    } catch {
      this.fail({ code: 'invalid_stream_chunk', message: 'the upstream sent a stream chunk that is not JSON' });
      return this.w.drain();
    }
    this.apply(chunk, text);
    return this.w.drain();
  }

  /** The upstream stream ended cleanly (EOF): a finish_reason makes a missing `[DONE]` fine. */
  end(): StreamEvent[] {
    this.w.start();
    if (!this.result) {
      if (this.finishReason) this.finish(this.finishReason);
      else this.fail({ code: 'stream_incomplete', message: 'stream disconnected before completion: the upstream ended without a finish_reason' });
    }
    return this.w.drain();
  }

  failWith(failure: StreamFailure): StreamEvent[] {
    this.w.start();
    this.fail(failure);
    return this.w.drain();
  }

  private apply(chunk: unknown, text: string): void {
    if (!isObject(chunk)) return this.fail({ code: 'invalid_stream_chunk', message: 'the upstream sent a stream chunk that is not an object' });
    if (chunk.error !== undefined && chunk.error !== null) {
      const usage = chunkUsage(chunk);
      if (usage !== undefined) this.usage = usage;
      return this.fail(inStreamError(chunk.error));
    }
    const usage = chunkUsage(chunk);
    if (usage !== undefined) this.usage = usage;
    if (Array.isArray(chunk.citations)) this.citations = chunk.citations as unknown[];
    if (chunk.search_results !== undefined) this.searchResults = chunk.search_results;
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as unknown[]) : [];
    if (choices.length > 1) return this.fail({ code: 'unsupported_stream_choices', message: 'the upstream streamed several choices; only n=1 is supported' });
    const choice = choices[0];
    if (!isObject(choice)) return;
    if (choice.index !== undefined && choice.index !== 0) return this.fail({ code: 'unsupported_stream_choices', message: `the upstream streamed choice index ${String(choice.index)}; only n=1 is supported` });
    const delta = isObject(choice.delta) ? choice.delta : isObject(choice.message) ? choice.message : {};
    if (this.templatesLeft > 0) this.learn(text, chunk, choice, delta);
    this.applyChoiceDelta(delta);
    if (typeof choice.finish_reason === 'string' && choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  /** A chunk whose only effect is its text becomes the template the next chunks are matched against. */
  private learn(text: string, chunk: JsonObject, choice: JsonObject, delta: JsonObject): void {
    const template = ChunkTemplate.of(text, chunk, choice, delta);
    if (!template) return;
    if (this.template && this.template.hits === 0) this.templatesLeft -= 1;
    this.template = template;
  }

  private applyChoiceDelta(delta: JsonObject): void {
    if (this.finishReason && hasContent(delta)) return this.fail({ code: 'unsupported_stream_choices', message: 'the upstream sent choice data after its finish_reason' });
    this.applyDelta(delta);
  }

  private applyDelta(delta: JsonObject): void {
    const reasoning = reasoningOf(delta);
    if (reasoning.text) this.addReasoning(reasoning.text, reasoning.field);
    if (Array.isArray(delta.reasoning_details) && delta.reasoning_details.length) this.addDetails(delta.reasoning_details as unknown[]);
    for (const piece of contentPieces(delta.content)) {
      if (piece.thinking) this.addReasoning(piece.text, 'reasoning_content');
      else if (this.think) this.think.push(piece.text);
      else this.addText(piece.text);
    }
    if (typeof delta.refusal === 'string') this.addRefusal(delta.refusal);
    if (Array.isArray(delta.annotations)) for (const a of delta.annotations as unknown[]) this.addAnnotation(chatAnnotation(a));
    if (Array.isArray(delta.tool_calls)) {
      (delta.tool_calls as unknown[]).forEach((tc, position) => {
        if (isObject(tc) && !this.result) this.addCallPiece(tc, position);
      });
    }
  }

  private addReasoning(text: string, field: string): void {
    if (!text) return;
    this.reasoning ??= { item: this.w.openReasoning(), field };
    this.w.reasoningDelta(this.reasoning.item, text);
  }

  /** OpenRouter's `reasoning_details` ride in the carrier to go back next turn; encrypted ones alone make an item. */
  private addDetails(details: unknown[]): void {
    if (!this.reasoning && !details.some((d) => isObject(d) && Boolean(d.data || d.signature || d.text || d.summary))) return;
    this.reasoning ??= { item: this.w.openReasoning(), field: 'reasoning' };
    (this.reasoning.details ??= new ReasoningDetails()).add(details);
  }

  private addText(text: string): void {
    if (!text) return;
    this.message ??= { item: this.w.openMessage(), text: undefined, refusal: undefined };
    if (!this.message.text) {
      this.message.text = this.w.openPart(this.message.item, 'output_text');
      for (const a of this.pendingAnnotations?.splice(0) ?? []) this.w.annotate(this.message.item, this.message.text, a);
    }
    this.w.partDelta(this.message.item, this.message.text, text);
  }

  /** An annotation of the answer text, once per URL; held until there is answer text to annotate. */
  private addAnnotation(annotation: JsonObject | undefined): void {
    if (!annotation) return;
    this.cited ??= new Set();
    if (this.cited.has(annotation.url as string)) return;
    this.cited.add(annotation.url as string);
    if (this.message?.text) this.w.annotate(this.message.item, this.message.text, annotation);
    else (this.pendingAnnotations ??= []).push(annotation);
  }

  /** `delta.refusal`: a refusal part, as the Responses API gives one, or answer text for clients that drop it. */
  private addRefusal(text: string): void {
    if (!text) return;
    if (this.o.refusalAs === 'output_text') return this.addText(text);
    this.message ??= { item: this.w.openMessage(), text: undefined, refusal: undefined };
    this.message.refusal ??= this.w.openPart(this.message.item, 'refusal');
    this.w.partDelta(this.message.item, this.message.refusal, text);
  }

  private addCallPiece(tc: JsonObject, position: number): void {
    const slot = typeof tc.index === 'number' ? tc.index : position;
    let call = this.calls.get(slot);
    if (!call) {
      // A new call means every earlier call's name is complete.
      for (const other of this.calls.values()) if (!this.ensureAdded(other)) return;
      call = { slot, callId: '', upstreamName: '', args: '', pending: [] };
      this.calls.set(slot, call);
    }
    const fn = isObject(tc.function) ? tc.function : {};
    if (!call.item) {
      const id = typeof tc.id === 'string' ? tc.id : '';
      const name = typeof fn.name === 'string' ? fn.name : '';
      // Names come whole with the call's first chunk (OpenAI), in pieces (a few servers), or again on every chunk
      // (MiniMax through NVIDIA NIM): a chunk that repeats the call's id, or the whole name so far, repeats it.
      const repeat = (id !== '' && id === call.callId) || (name !== '' && name === call.upstreamName);
      if (id && !call.callId) call.callId = id;
      if (name && !repeat) call.upstreamName += name;
    }
    const args = typeof fn.arguments === 'string' ? fn.arguments : isObject(fn.arguments) ? JSON.stringify(fn.arguments) : '';
    if (!args) return;
    call.args += args;
    if (call.item) this.argsDelta(call, args);
    else {
      call.pending.push(args);
      this.ensureAdded(call);
    }
  }

  /** Opens the call's item once its name is complete; false when the call is invalid (failed). */
  private ensureAdded(call: CallState): boolean {
    if (call.item) return true;
    const target = this.o.map.byUpstream.get(call.upstreamName);
    if (!target) {
      this.fail({ code: 'invalid_tool_call', message: `the upstream called ${call.upstreamName ? JSON.stringify(call.upstreamName) : 'a tool without a name'}, which this request did not declare` });
      return false;
    }
    if (!call.callId) call.callId = newResponsesId('call');
    if (this.callIds.has(call.callId)) {
      this.fail({ code: 'invalid_tool_call', message: `the upstream reused tool call id ${call.callId}` });
      return false;
    }
    this.callIds.add(call.callId);
    call.target = target;
    if (target.kind === 'custom') {
      call.decoder = new FieldDecoder(target.field ?? 'input');
      call.item = this.w.openCustomToolCall({ callId: call.callId, name: target.name });
    } else {
      call.item = this.w.openFunctionCall({ callId: call.callId, name: target.name, namespace: target.namespace, fields: target.plaintextArgs ? { encrypted_function_args: [] } : undefined });
    }
    for (const piece of call.pending.splice(0)) this.argsDelta(call, piece);
    return true;
  }

  private argsDelta(call: CallState, piece: string): void {
    const item = call.item!;
    if (item.kind === 'function_call') this.w.argumentsDelta(item, piece);
    else this.w.inputDelta(item, call.decoder!.push(piece));
  }

  /** The terminal state is known: close items in output_index order, then exactly one terminal event. */
  private finish(reason: string): void {
    this.think?.end();
    let incomplete: string | undefined;
    if (reason === 'length') incomplete = 'max_output_tokens';
    else if (reason === 'content_filter') incomplete = 'content_filter';
    else if (reason !== 'stop' && reason !== 'tool_calls' && reason !== 'function_call') return this.fail({ code: reason, message: `the upstream stopped with finish_reason ${JSON.stringify(reason)}` });

    if (!incomplete) {
      for (const call of this.calls.values()) if (!this.ensureAdded(call)) return;
    }
    if (this.citations && this.message?.text) for (const a of numberedCitations(this.citations, this.searchResults, this.message.text.text)) this.addAnnotation(a);
    const closing: { index: number; close: () => void }[] = [];
    if (this.reasoning) {
      const r = this.reasoning;
      closing.push({ index: r.item.outputIndex, close: () => this.closeReasoning(r.item, r.field, r.details) });
    }
    if (this.message) {
      const m = this.message.item;
      closing.push({ index: m.outputIndex, close: () => this.w.closeMessage(m) });
    }
    if (!incomplete) for (const call of this.calls.values()) closing.push({ index: call.item!.outputIndex, close: () => this.closeCall(call) });
    closing.sort((a, b) => a.index - b.index);
    for (const c of closing) c.close();
    if (incomplete) this.w.incomplete(incomplete, mapUsage(this.usage));
    else this.w.complete(mapUsage(this.usage));
  }

  private closeReasoning(item: ReasoningItem, field: string, details: ReasoningDetails | undefined): void {
    this.o.cache?.set(item.id, item.text);
    const carried = { text: item.text, field, model: this.o.upstreamModel, details: details?.useful ? details.blocks : undefined };
    this.w.closeReasoning(item, encodeCarrier(carried, this.o.carrierKey));
  }

  private closeCall(call: CallState): void {
    const item = call.item!;
    if (item.kind === 'function_call') {
      this.w.closeFunctionCall(item, call.args.trim() ? call.args : '{}');
      return;
    }
    const decoder = call.decoder!;
    // Arguments shaped {"<field>":"…: the live-decoded text is the input (even when the JSON was cut short);
    // anything else: the field of the parsed JSON, else the raw text.
    this.w.closeCustomToolCall(item, decoder.entered ? item.input + decoder.finish() : customInput(call.args, call.target?.field ?? 'input'));
  }

  private fail(failure: StreamFailure): void {
    if (this.result) return;
    this.failure = failure;
    this.w.fail({ code: failure.code, message: failure.message }, mapUsage(this.usage));
  }
}
