import { customInput, FieldDecoder, isObject, ResponsesWriter, type CustomToolCallItem, type FunctionCallItem, type JsonObject, type MessageItem, type ContentPart, type ReasoningItem, type ResponsesFailure, type StreamEvent, type ToolMap } from '../../index.js';
import { sealThinking, type ThinkingBlock } from './carrier.js';
import { DeltaTemplate } from './delta-template.js';
import { isContextOverflow, streamErrorFailure } from './errors.js';
import { mapUsage } from './usage.js';

export interface MessagesStreamOptions {
  /** Model name reported to Codex (the one it asked for). */
  model: string;
  upstreamModel: string;
  map: ToolMap;
  carrierKey?: string;
  responseId?: string;
  /** Read delta events that match a learned template without parsing them (default true); false parses every event. */
  eventTemplates?: boolean;
}

/** Templates a stream may learn that then match nothing, before it stops learning. */
const WASTED_TEMPLATES = 4;

type BlockState =
  | { kind: 'text' }
  | { kind: 'thinking'; item: ReasoningItem; block: ThinkingBlock }
  | { kind: 'function'; item: FunctionCallItem; args: string }
  | { kind: 'custom'; item: CustomToolCallItem; args: string; field: string; decoder: FieldDecoder }
  | { kind: 'ignored'; type: string };

/**
 * Anthropic Messages stream events in, the Responses event sequence out, through the shared writer: text blocks as
 * one assistant message, each thinking block as a reasoning item whose `encrypted_content` carries it (signature
 * included) to the next request, `tool_use` as function or custom tool calls. Deltas go out live; every `.done`
 * waits for the stop reason (Codex records and runs items from `.done`), so a cut or refused stream never leaves
 * Codex with half an answer or makes it run a tool. Server-side tool blocks (the API ran them) are skipped.
 */
export class MessagesStream {
  private readonly writer: ResponsesWriter;
  private messageId: string | undefined;
  private readonly blocks = new Map<number, BlockState>();
  private readonly calls: (Extract<BlockState, { kind: 'function' | 'custom' }>)[] = [];
  private readonly callIds = new Set<string>();
  private message: { item: MessageItem; part: ContentPart } | undefined;
  /** Every text and thinking item, closed in output order once the stop reason is known. */
  private readonly closing: { index: number; close: () => void }[] = [];
  /** Whether the latest output item is the open message, so the next text block continues it. */
  private messageIsLatest = false;
  private stopReason: string | undefined;
  private stopDetails: unknown;
  private usage: JsonObject = {};
  private content = false;
  private template: DeltaTemplate | undefined;
  private templatesLeft: number;

  constructor(private readonly o: MessagesStreamOptions) {
    this.writer = new ResponsesWriter({ model: o.model, responseId: o.responseId });
    this.templatesLeft = o.eventTemplates === false ? 0 : WASTED_TEMPLATES;
  }

  get result(): JsonObject | undefined {
    return this.writer.result;
  }

  open(): StreamEvent[] {
    this.writer.start();
    return this.writer.drain();
  }

  idle(): StreamEvent[] {
    this.writer.heartbeat();
    return this.writer.drain();
  }

  /** One upstream SSE data payload. */
  event(data: string): StreamEvent[] {
    this.writer.start();
    if (this.writer.result) return this.writer.drain();
    const fast = this.template?.read(data);
    if (fast) {
      this.blockDelta(fast.index, fast.delta);
      return this.writer.drain();
    }
    const text = data.trim();
    if (!text) return this.writer.drain();
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      this.fail({ code: 'invalid_stream_event', message: 'the upstream sent a stream event that is not JSON' });
      return this.writer.drain();
    }
    if (isObject(event)) {
      if (this.templatesLeft > 0 && event.type === 'content_block_delta') this.learn(text, event);
      this.apply(event);
    }
    else this.fail({ code: 'invalid_stream_event', message: 'the upstream sent a stream event that is not an object' });
    return this.writer.drain();
  }

  /** The upstream stream ended (EOF): a stop reason makes a missing `message_stop` fine. */
  end(): StreamEvent[] {
    this.writer.start();
    if (!this.writer.result) {
      if (this.stopReason) this.finish();
      else this.fail({ code: 'stream_incomplete', message: 'stream disconnected before completion: the upstream ended without a stop reason' });
    }
    return this.writer.drain();
  }

  failWith(failure: ResponsesFailure): StreamEvent[] {
    this.writer.start();
    this.fail(failure);
    return this.writer.drain();
  }

  private learn(text: string, event: JsonObject): void {
    const template = DeltaTemplate.of(text, event);
    if (!template) return;
    if (this.template && this.template.hits === 0) this.templatesLeft -= 1;
    this.template = template;
  }

  private apply(event: JsonObject): void {
    switch (event.type) {
      case 'message_start':
        return this.messageStart(event.message);
      case 'content_block_start':
        return this.blockStart(event.index, event.content_block);
      case 'content_block_delta':
        return this.blockDelta(event.index, event.delta);
      case 'content_block_stop':
        return this.blockStop(event.index);
      case 'message_delta':
        if (isObject(event.delta)) {
          if (typeof event.delta.stop_reason === 'string') this.stopReason = event.delta.stop_reason;
          if (event.delta.stop_details !== undefined && event.delta.stop_details !== null) this.stopDetails = event.delta.stop_details;
        }
        if (isObject(event.usage)) this.usage = { ...this.usage, ...event.usage };
        return;
      case 'message_stop':
        if (!this.stopReason) return this.fail({ code: 'invalid_stream_event', message: 'the upstream stopped its message without a stop reason' });
        return this.finish();
      case 'error':
        return this.fail(streamErrorFailure(event.error));
      default:
        // `ping`, and event types added later: nothing to translate.
        return;
    }
  }

  private messageStart(message: unknown): void {
    const id = isObject(message) && typeof message.id === 'string' ? message.id : '';
    if (this.messageId !== undefined) {
      // The same start sent twice is harmless; another message spliced into this one cannot be told apart.
      if (id === this.messageId && !this.content) return;
      return this.fail({ code: 'invalid_stream_event', message: `the upstream started a second message (${id || 'no id'}) inside message ${this.messageId || '(no id)'}` });
    }
    this.messageId = id;
    if (!isObject(message)) return;
    if (isObject(message.usage)) this.usage = { ...message.usage };
    // A message the API sends whole in its start (programmatic tool calls): its blocks and stop reason as if streamed.
    const content = Array.isArray(message.content) ? (message.content as unknown[]) : [];
    content.forEach((block, index) => {
      this.blockStart(index, block);
      this.blockStop(index);
    });
    if (typeof message.stop_reason === 'string') this.stopReason = message.stop_reason;
  }

  private blockStart(index: unknown, raw: unknown): void {
    if (typeof index !== 'number' || !isObject(raw) || typeof raw.type !== 'string') return this.fail({ code: 'invalid_stream_event', message: 'the upstream sent a content block without an index or type' });
    if (this.blocks.has(index)) return this.fail({ code: 'invalid_stream_event', message: `the upstream started content block ${index} twice` });
    this.content = true;
    if (raw.type === 'text') {
      this.blocks.set(index, { kind: 'text' });
      if (!this.message || !this.messageIsLatest) {
        this.closeMessage();
        const item = this.writer.openMessage();
        this.message = { item, part: this.writer.openPart(item, 'output_text') };
        this.messageIsLatest = true;
        this.closing.push({ index: item.outputIndex, close: () => this.writer.closeMessage(item) });
      }
      if (typeof raw.text === 'string') this.text(raw.text);
      return;
    }
    if (raw.type === 'thinking' || raw.type === 'redacted_thinking') {
      this.closeMessage();
      const item = this.writer.openReasoning();
      const block: ThinkingBlock = raw.type === 'thinking' ? { type: 'thinking', thinking: '', signature: typeof raw.signature === 'string' ? raw.signature : '' } : { type: 'redacted_thinking', data: typeof raw.data === 'string' ? raw.data : '' };
      this.blocks.set(index, { kind: 'thinking', item, block });
      this.closing.push({ index: item.outputIndex, close: () => this.writer.closeReasoning(item, sealThinking({ blocks: [block], model: this.o.upstreamModel }, this.o.carrierKey)) });
      if (raw.type === 'thinking' && typeof raw.thinking === 'string') this.thinking(index, raw.thinking);
      return;
    }
    if (raw.type === 'tool_use') return this.toolStart(index, raw);
    // server_tool_use, *_tool_result, fallback, …: run or decided by the API itself, nothing for Codex to do.
    this.blocks.set(index, { kind: 'ignored', type: raw.type });
  }

  private toolStart(index: number, raw: JsonObject): void {
    const name = typeof raw.name === 'string' ? raw.name : '';
    const target = this.o.map.byUpstream.get(name);
    if (!target) return this.fail({ code: 'invalid_tool_call', message: `the upstream called ${name ? JSON.stringify(name) : 'a tool without a name'}, which this request did not declare` });
    const callId = typeof raw.id === 'string' && raw.id ? raw.id : `toolu_${this.callIds.size}_${Date.now()}`;
    if (this.callIds.has(callId)) return this.fail({ code: 'invalid_tool_call', message: `the upstream reused tool call id ${callId}` });
    this.callIds.add(callId);
    this.closeMessage();
    let state: Extract<BlockState, { kind: 'function' | 'custom' }>;
    if (target.kind === 'custom') {
      const field = target.field ?? 'input';
      state = { kind: 'custom', item: this.writer.openCustomToolCall({ callId, name: target.name }), args: '', field, decoder: new FieldDecoder(field) };
    } else {
      const fields = target.plaintextArgs ? { encrypted_function_args: [] } : undefined;
      state = { kind: 'function', item: this.writer.openFunctionCall({ callId, name: target.name, namespace: target.namespace, fields }), args: '' };
    }
    this.blocks.set(index, state);
    this.calls.push(state);
    // A whole answer replayed as events starts its tool_use with the full input.
    if (isObject(raw.input) && Object.keys(raw.input).length > 0) this.args(state, JSON.stringify(raw.input));
  }

  private blockDelta(index: unknown, delta: unknown): void {
    const state = typeof index === 'number' ? this.blocks.get(index) : undefined;
    if (!state || !isObject(delta)) return this.fail({ code: 'invalid_stream_event', message: `the upstream sent a delta for content block ${String(index)}, which it did not start` });
    if (state.kind === 'ignored') return;
    if (delta.type === 'text_delta' && state.kind === 'text' && typeof delta.text === 'string') return this.text(delta.text);
    if (delta.type === 'thinking_delta' && state.kind === 'thinking' && typeof delta.thinking === 'string') return this.thinking(index as number, delta.thinking);
    if (delta.type === 'signature_delta' && state.kind === 'thinking' && state.block.type === 'thinking' && typeof delta.signature === 'string') {
      state.block.signature += delta.signature;
      return;
    }
    if (delta.type === 'input_json_delta' && (state.kind === 'function' || state.kind === 'custom') && typeof delta.partial_json === 'string') return this.args(state, delta.partial_json);
    // citations_delta and later delta types carry nothing Codex reads.
  }

  private blockStop(index: unknown): void {
    const state = typeof index === 'number' ? this.blocks.get(index) : undefined;
    if (!state) return this.fail({ code: 'invalid_stream_event', message: `the upstream stopped content block ${String(index)}, which it did not start` });
  }

  private text(text: string): void {
    if (!text || !this.message) return;
    this.writer.partDelta(this.message.item, this.message.part, text);
  }

  private thinking(index: number, text: string): void {
    const state = this.blocks.get(index);
    if (state?.kind !== 'thinking' || state.block.type !== 'thinking' || !text) return;
    state.block.thinking += text;
    this.writer.reasoningDelta(state.item, text);
  }

  private args(state: Extract<BlockState, { kind: 'function' | 'custom' }>, piece: string): void {
    if (!piece) return;
    state.args += piece;
    if (state.kind === 'function') return this.writer.argumentsDelta(state.item, piece);
    const text = state.decoder.push(piece);
    if (text) this.writer.inputDelta(state.item, text);
  }

  /** The next text block opens a new message: another item came after this one. */
  private closeMessage(): void {
    this.messageIsLatest = false;
    this.message = undefined;
  }

  /** The stop reason is known: exactly one terminal event. */
  private finish(): void {
    const usage = mapUsage(this.usage);
    const reason = this.stopReason!;
    const completed = reason === 'end_turn' || reason === 'tool_use' || reason === 'stop_sequence' || reason === 'pause_turn';
    if (completed || reason === 'max_tokens') {
      const closing = [...this.closing];
      // A truncated answer keeps its text and thinking; its calls are dropped unclosed, so none can run.
      if (completed) {
        for (const call of this.calls) {
          if (call.kind === 'function') closing.push({ index: call.item.outputIndex, close: () => this.writer.closeFunctionCall(call.item, call.args.trim() ? call.args : '{}') });
          else closing.push({ index: call.item.outputIndex, close: () => this.writer.closeCustomToolCall(call.item, call.decoder.entered ? call.item.input + call.decoder.finish() : customInput(call.args, call.field)) });
        }
      }
      for (const item of closing.sort((a, b) => a.index - b.index)) item.close();
      return completed ? this.writer.complete(usage) : this.writer.incomplete('max_output_tokens', usage);
    }
    if (reason === 'refusal') {
      const explanation = isObject(this.stopDetails) && typeof this.stopDetails.explanation === 'string' ? `: ${this.stopDetails.explanation}` : '';
      return this.fail({ code: 'invalid_prompt', message: `the model declined to answer (stop reason refusal)${explanation}` });
    }
    if (reason === 'model_context_window_exceeded' || isContextOverflow(reason)) return this.fail({ code: 'context_length_exceeded', message: 'the model reached the end of its context window while answering' });
    this.fail({ code: 'unknown_stop_reason', message: `the upstream stopped with stop_reason ${JSON.stringify(reason)}` });
  }

  private fail(failure: ResponsesFailure): void {
    this.writer.fail(failure, mapUsage(this.usage));
  }
}
