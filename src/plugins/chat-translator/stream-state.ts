import { randomUUID } from 'node:crypto';
import { customInput, isObject, jsonEvent, type JsonObject, type StreamEvent, type ToolMap, type ToolTarget } from '../../index.js';
import type { StreamFailure } from './errors.js';
import { FieldDecoder } from './field-decoder.js';
import { encodeCarrier, type ReasoningCache } from './reasoning-carrier.js';
import { contentPieces, hasContent, reasoningOf } from './chunk-fields.js';
import { chunkUsage, mapUsage, type ResponsesUsage } from './usage.js';

export interface StreamOptions {
  /** Model name reported to Codex (the one it asked for). */
  model: string;
  upstreamModel: string;
  map: ToolMap;
  carrierKey?: string;
  cache?: ReasoningCache;
  responseId?: string;
}

interface ReasoningItem { kind: 'reasoning'; id: string; index: number; text: string; field: string }
interface MessageItem { kind: 'message'; id: string; index: number; text: string }
interface CallItem {
  kind: 'call';
  slot: number;
  id: string;
  index: number;
  callId: string;
  upstreamName: string;
  args: string;
  added: boolean;
  pending: string[];
  target?: ToolTarget;
  decoder?: FieldDecoder;
  /** Custom tools: decoded input streamed so far. */
  streamed: string;
}
type Item = ReasoningItem | MessageItem | CallItem;

export type TerminalStatus = 'completed' | 'incomplete' | 'failed';

type DeltaType = 'response.output_text.delta' | 'response.reasoning_summary_text.delta' | 'response.function_call_arguments.delta' | 'response.custom_tool_call_input.delta';

const newId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '')}`;

/**
 * Chat Completions chunks in, the full Responses event sequence out (`chat-translation.md` §4.2): live deltas, and
 * every `.done` held back until the terminal state is known, so a cut stream can never make Codex run a tool.
 */
export class ResponseStream {
  readonly id: string;
  readonly createdAt = Math.floor(Date.now() / 1000);
  /** The terminal `response` object, once decided. */
  result: JsonObject | undefined;
  private seq = 0;
  private opened = false;
  private nextIndex = 0;
  private reasoning: ReasoningItem | undefined;
  private message: MessageItem | undefined;
  private readonly calls = new Map<number, CallItem>();
  private readonly callIds = new Set<string>();
  private finishReason: string | undefined;
  private usage: unknown;
  private out: StreamEvent[] = [];

  constructor(private readonly o: StreamOptions) {
    this.id = o.responseId ?? newId('resp');
  }

  get terminal(): TerminalStatus | undefined {
    return this.result?.status as TerminalStatus | undefined;
  }

  open(): StreamEvent[] {
    this.ensureOpen();
    return this.flush();
  }

  idle(): StreamEvent[] {
    if (this.result) return [];
    if (this.opened) this.emit({ type: 'response.in_progress', response: this.snapshot() });
    else this.ensureOpen();
    return this.flush();
  }

  /** One upstream SSE data payload (`[DONE]` included). */
  chunk(data: string): StreamEvent[] {
    this.ensureOpen();
    if (this.result) return this.flush();
    const text = data.trim();
    if (!text) return this.flush();
    if (text === '[DONE]') {
      this.finish(this.finishReason ?? 'stop');
      return this.flush();
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(text);
    } catch {
      this.fail({ code: 'invalid_stream_chunk', message: 'the upstream sent a stream chunk that is not JSON' });
      return this.flush();
    }
    this.apply(chunk);
    return this.flush();
  }

  /** The upstream stream ended cleanly (EOF): a finish_reason makes a missing `[DONE]` fine. */
  end(): StreamEvent[] {
    this.ensureOpen();
    if (!this.result) {
      if (this.finishReason) this.finish(this.finishReason);
      else this.fail({ code: 'stream_incomplete', message: 'stream disconnected before completion: the upstream ended without a finish_reason' });
    }
    return this.flush();
  }

  failWith(failure: StreamFailure): StreamEvent[] {
    this.ensureOpen();
    this.fail(failure);
    return this.flush();
  }

  private apply(chunk: unknown): void {
    if (!isObject(chunk)) return this.fail({ code: 'invalid_stream_chunk', message: 'the upstream sent a stream chunk that is not an object' });
    if (chunk.error !== undefined && chunk.error !== null) {
      const message = isObject(chunk.error) && typeof chunk.error.message === 'string' ? chunk.error.message : JSON.stringify(chunk.error);
      return this.fail({ code: 'upstream_stream_error', message: `upstream error: ${message}` });
    }
    const usage = chunkUsage(chunk);
    if (usage !== undefined) this.usage = usage;
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as unknown[]) : [];
    if (choices.length > 1) return this.fail({ code: 'unsupported_stream_choices', message: 'the upstream streamed several choices; only n=1 is supported' });
    const choice = choices[0];
    if (!isObject(choice)) return;
    if (choice.index !== undefined && choice.index !== 0) return this.fail({ code: 'unsupported_stream_choices', message: `the upstream streamed choice index ${String(choice.index)}; only n=1 is supported` });
    const delta = isObject(choice.delta) ? choice.delta : isObject(choice.message) ? choice.message : {};
    if (this.finishReason && hasContent(delta)) return this.fail({ code: 'unsupported_stream_choices', message: 'the upstream sent choice data after its finish_reason' });
    this.applyDelta(delta);
    if (typeof choice.finish_reason === 'string' && choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  private applyDelta(delta: JsonObject): void {
    const reasoning = reasoningOf(delta);
    if (reasoning.text) this.addReasoning(reasoning.text, reasoning.field);
    for (const piece of contentPieces(delta.content)) {
      if (piece.thinking) this.addReasoning(piece.text, 'reasoning_content');
      else this.addText(piece.text);
    }
    if (Array.isArray(delta.tool_calls)) {
      (delta.tool_calls as unknown[]).forEach((tc, position) => {
        if (isObject(tc) && !this.result) this.addCallPiece(tc, position);
      });
    }
  }

  private addReasoning(text: string, field: string): void {
    if (!text) return;
    if (!this.reasoning) {
      this.reasoning = { kind: 'reasoning', id: newId('rs'), index: this.nextIndex++, text: '', field };
      const r = this.reasoning;
      this.emit({ type: 'response.output_item.added', output_index: r.index, item: { id: r.id, type: 'reasoning', summary: [] } });
      this.emit({ type: 'response.reasoning_summary_part.added', item_id: r.id, output_index: r.index, summary_index: 0, part: { type: 'summary_text', text: '' } });
    }
    this.reasoning.text += text;
    this.emitDelta('response.reasoning_summary_text.delta', this.reasoning.id, this.reasoning.index, text);
  }

  private addText(text: string): void {
    if (!text) return;
    if (!this.message) {
      this.message = { kind: 'message', id: newId('msg'), index: this.nextIndex++, text: '' };
      const m = this.message;
      this.emit({ type: 'response.output_item.added', output_index: m.index, item: { id: m.id, type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
      this.emit({ type: 'response.content_part.added', item_id: m.id, output_index: m.index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    }
    this.message.text += text;
    this.emitDelta('response.output_text.delta', this.message.id, this.message.index, text);
  }

  private addCallPiece(tc: JsonObject, position: number): void {
    const slot = typeof tc.index === 'number' ? tc.index : position;
    let call = this.calls.get(slot);
    if (!call) {
      // A new call means every earlier call's name is complete.
      for (const other of this.calls.values()) if (!this.ensureAdded(other)) return;
      call = { kind: 'call', slot, id: '', index: -1, callId: '', upstreamName: '', args: '', added: false, pending: [], streamed: '' };
      this.calls.set(slot, call);
    }
    const fn = isObject(tc.function) ? tc.function : {};
    if (!call.added) {
      if (typeof tc.id === 'string' && tc.id) call.callId = tc.id;
      if (typeof fn.name === 'string') call.upstreamName += fn.name;
    }
    const args = typeof fn.arguments === 'string' ? fn.arguments : isObject(fn.arguments) ? JSON.stringify(fn.arguments) : '';
    if (!args) return;
    call.args += args;
    if (call.added) this.argsDelta(call, args);
    else {
      call.pending.push(args);
      this.ensureAdded(call);
    }
  }

  /** Emits the call's `output_item.added` once its name is complete; false when the call is invalid (failed). */
  private ensureAdded(call: CallItem): boolean {
    if (call.added) return true;
    const target = this.o.map.byUpstream.get(call.upstreamName);
    if (!target) {
      this.fail({ code: 'invalid_tool_call', message: `the upstream called ${call.upstreamName ? JSON.stringify(call.upstreamName) : 'a tool without a name'}, which this request did not declare` });
      return false;
    }
    if (!call.callId) call.callId = newId('call');
    if (this.callIds.has(call.callId)) {
      this.fail({ code: 'invalid_tool_call', message: `the upstream reused tool call id ${call.callId}` });
      return false;
    }
    this.callIds.add(call.callId);
    call.target = target;
    call.added = true;
    call.index = this.nextIndex++;
    if (target.kind === 'custom') {
      call.id = newId('ctc');
      call.decoder = new FieldDecoder(target.field ?? 'input');
      this.emit({ type: 'response.output_item.added', output_index: call.index, item: { id: call.id, type: 'custom_tool_call', status: 'in_progress', call_id: call.callId, name: target.name, input: '' } });
    } else {
      call.id = newId('fc');
      this.emit({ type: 'response.output_item.added', output_index: call.index, item: this.functionItem(call, '', 'in_progress') });
    }
    for (const piece of call.pending.splice(0)) this.argsDelta(call, piece);
    return true;
  }

  private argsDelta(call: CallItem, piece: string): void {
    if (!call.decoder) {
      this.emitDelta('response.function_call_arguments.delta', call.id, call.index, piece);
      return;
    }
    const text = call.decoder.push(piece);
    if (text) {
      call.streamed += text;
      this.emitDelta('response.custom_tool_call_input.delta', call.id, call.index, text);
    }
  }

  private functionItem(call: CallItem, args: string, status: string): JsonObject {
    const target = call.target!;
    const item: JsonObject = { id: call.id, type: 'function_call', status, call_id: call.callId, name: target.name, arguments: args };
    if (target.namespace) item.namespace = target.namespace;
    if (target.plaintextArgs) item.encrypted_function_args = [];
    return item;
  }

  /** The terminal state is known: close items in output_index order, then exactly one terminal event. */
  private finish(reason: string): void {
    let status: TerminalStatus;
    let incomplete: string | undefined;
    if (reason === 'stop' || reason === 'tool_calls' || reason === 'function_call') status = 'completed';
    else if (reason === 'length' || reason === 'content_filter') {
      status = 'incomplete';
      incomplete = reason === 'length' ? 'max_output_tokens' : 'content_filter';
    } else return this.fail({ code: reason, message: `the upstream stopped with finish_reason ${JSON.stringify(reason)}` });

    const calls = [...this.calls.values()];
    if (status === 'completed') {
      for (const call of calls) if (!this.ensureAdded(call)) return;
    }
    const items: Item[] = [this.reasoning, this.message, ...(status === 'completed' ? calls : [])].filter((i): i is Item => i !== undefined);
    items.sort((a, b) => a.index - b.index);
    const output: JsonObject[] = [];
    for (const item of items) output.push(this.closeItem(item));
    const response = this.responseObject(status, output);
    if (incomplete) response.incomplete_details = { reason: incomplete };
    this.result = response;
    this.emit({ type: `response.${status}`, response });
  }

  private closeItem(item: Item): JsonObject {
    const base = { item_id: item.id, output_index: item.index };
    if (item.kind === 'reasoning') {
      const part = { type: 'summary_text', text: item.text };
      this.emit({ type: 'response.reasoning_summary_text.done', ...base, summary_index: 0, text: item.text });
      this.emit({ type: 'response.reasoning_summary_part.done', ...base, summary_index: 0, part });
      const done: JsonObject = { id: item.id, type: 'reasoning', summary: [part], encrypted_content: encodeCarrier({ text: item.text, field: item.field, model: this.o.upstreamModel }, this.o.carrierKey) };
      this.o.cache?.set(item.id, item.text);
      this.emit({ type: 'response.output_item.done', output_index: item.index, item: done });
      return done;
    }
    if (item.kind === 'message') {
      const part = { type: 'output_text', text: item.text, annotations: [] };
      this.emit({ type: 'response.output_text.done', ...base, content_index: 0, text: item.text, logprobs: [] });
      this.emit({ type: 'response.content_part.done', ...base, content_index: 0, part });
      const done = { id: item.id, type: 'message', role: 'assistant', status: 'completed', content: [part] };
      this.emit({ type: 'response.output_item.done', output_index: item.index, item: done });
      return done;
    }
    if (item.decoder) {
      // Arguments shaped {"<field>":"…: the live-decoded text is the input (even when the JSON was cut short);
      // anything else: the field of the parsed JSON, else the raw text.
      const input = item.decoder.entered ? item.streamed + item.decoder.finish() : customInput(item.args, item.target?.field ?? 'input');
      // The .done input must equal the concatenated deltas: send what the live decoder could not.
      if (input.startsWith(item.streamed) && input.length > item.streamed.length) {
        this.emit({ type: 'response.custom_tool_call_input.delta', ...base, delta: input.slice(item.streamed.length) });
      }
      this.emit({ type: 'response.custom_tool_call_input.done', ...base, input });
      const done = { id: item.id, type: 'custom_tool_call', status: 'completed', call_id: item.callId, name: item.target!.name, input };
      this.emit({ type: 'response.output_item.done', output_index: item.index, item: done });
      return done;
    }
    const args = item.args.trim() ? item.args : '{}';
    if (item.args === '') this.emit({ type: 'response.function_call_arguments.delta', ...base, delta: args });
    this.emit({ type: 'response.function_call_arguments.done', ...base, arguments: args });
    const done = this.functionItem(item, args, 'completed');
    this.emit({ type: 'response.output_item.done', output_index: item.index, item: done });
    return done;
  }

  private fail(failure: StreamFailure): void {
    if (this.result) return;
    const response = this.responseObject('failed', []);
    response.error = { code: failure.code, message: failure.message };
    this.result = response;
    this.emit({ type: 'response.failed', response });
  }

  private responseObject(status: TerminalStatus, output: JsonObject[]): JsonObject {
    return { id: this.id, object: 'response', created_at: this.createdAt, status, model: this.o.model, output, usage: this.finalUsage() };
  }

  private finalUsage(): ResponsesUsage {
    return mapUsage(this.usage);
  }

  private snapshot(): JsonObject {
    return { id: this.id, object: 'response', created_at: this.createdAt, status: 'in_progress', model: this.o.model, output: [], usage: null };
  }

  private ensureOpen(): void {
    if (this.opened) return;
    this.opened = true;
    this.emit({ type: 'response.created', response: this.snapshot() });
    this.emit({ type: 'response.in_progress', response: this.snapshot() });
  }

  /**
   * Deltas are nearly every event of a long answer: their JSON is written directly, the same text JSON.stringify
   * gives for the literal it replaces (`{type, item_id, output_index, [content_index|summary_index], delta,
   * [logprobs], sequence_number}`), at half its cost.
   */
  private emitDelta(type: DeltaType, itemId: string, outputIndex: number, delta: string): void {
    const text = type === 'response.output_text.delta';
    const index = text ? ',"content_index":0' : type === 'response.reasoning_summary_text.delta' ? ',"summary_index":0' : '';
    const data = `{"type":"${type}","item_id":${JSON.stringify(itemId)},"output_index":${outputIndex}${index},"delta":${JSON.stringify(delta)}${text ? ',"logprobs":[]' : ''},"sequence_number":${this.seq++}}`;
    this.out.push({ event: type, data });
  }

  /** Every caller passes a fresh literal, so it takes its number in place: a copy per event cost more than its JSON. */
  private emit(payload: { type: string } & JsonObject): void {
    payload.sequence_number = this.seq++;
    this.out.push(jsonEvent(payload));
  }

  private flush(): StreamEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }
}
