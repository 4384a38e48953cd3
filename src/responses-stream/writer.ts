import { randomUUID } from 'node:crypto';
import { jsonEvent } from '../core/sse.js';
import type { StreamEvent } from '../core/types.js';
import type { JsonObject } from '../json/is-object.js';

/** The Responses usage object Codex reads (`codex-contract.md` §3.2). */
export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type TerminalStatus = 'completed' | 'incomplete' | 'failed';

/** What `response.failed` carries in `response.error`. */
export interface ResponsesFailure {
  code: string;
  message: string;
}

export interface ResponsesWriterOptions {
  /** Model name reported to Codex (the one it asked for). */
  model: string;
  responseId?: string;
}

interface ItemBase {
  readonly id: string;
  readonly outputIndex: number;
  closed: boolean;
}

export interface ReasoningItem extends ItemBase {
  readonly kind: 'reasoning';
  /** The summary text streamed so far. */
  text: string;
  /** Whether its summary part was opened (by the first delta). */
  summaryOpen: boolean;
}

export type ContentPartType = 'output_text' | 'refusal';

export interface ContentPart {
  readonly type: ContentPartType;
  readonly contentIndex: number;
  /** The text (or refusal) streamed so far. */
  text: string;
  /** `output_text` annotations (url citations), as the Responses API shapes them. */
  readonly annotations: JsonObject[];
}

export interface MessageItem extends ItemBase {
  readonly kind: 'message';
  readonly parts: ContentPart[];
}

export interface FunctionCallItem extends ItemBase {
  readonly kind: 'function_call';
  readonly callId: string;
  readonly name: string;
  readonly namespace: string | undefined;
  /** Extra fields every snapshot of the item carries (e.g. `encrypted_function_args`). */
  readonly fields: JsonObject | undefined;
  /** The arguments streamed so far. */
  arguments: string;
}

export interface CustomToolCallItem extends ItemBase {
  readonly kind: 'custom_tool_call';
  readonly callId: string;
  readonly name: string;
  /** The input streamed so far. */
  input: string;
}

export type OutputItem = ReasoningItem | MessageItem | FunctionCallItem | CustomToolCallItem;

type DeltaType =
  | 'response.output_text.delta'
  | 'response.refusal.delta'
  | 'response.reasoning_summary_text.delta'
  | 'response.function_call_arguments.delta'
  | 'response.custom_tool_call_input.delta';

export const newResponsesId = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '')}`;

/**
 * Writes one Responses event stream the way Codex reads it (`codex-contract.md` §3): `response.created` and
 * `in_progress`, output items opened, their deltas, their `.done` events, and exactly one terminal event whose
 * `response.output` holds every closed item in output-index order. Sequence numbers and output indexes are its own.
 *
 * A translator (Chat chunks, Anthropic Messages events) decides what to open, append and close; the writer keeps the
 * wire shape right. Events collect until `drain()`. When a closing call would break the contract (an item closed
 * twice, a delta after close, anything after the terminal event) the call does nothing.
 */
export class ResponsesWriter {
  readonly id: string;
  readonly createdAt = Math.floor(Date.now() / 1000);
  /** The terminal `response` object, once written. */
  result: JsonObject | undefined;
  private seq = 0;
  private started = false;
  private nextIndex = 0;
  private readonly items: OutputItem[] = [];
  private readonly done = new Map<OutputItem, JsonObject>();
  private out: StreamEvent[] = [];

  constructor(private readonly o: ResponsesWriterOptions) {
    this.id = o.responseId ?? newResponsesId('resp');
  }

  get terminal(): TerminalStatus | undefined {
    return this.result?.status as TerminalStatus | undefined;
  }

  /** `response.created` and `response.in_progress`, once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.emit({ type: 'response.created', response: this.snapshot() });
    this.emit({ type: 'response.in_progress', response: this.snapshot() });
  }

  /** A keep-alive Codex accepts: another `response.in_progress` (or the opening pair, if not yet written). */
  heartbeat(): void {
    if (this.result) return;
    if (this.started) this.emit({ type: 'response.in_progress', response: this.snapshot() });
    else this.start();
  }

  openReasoning(): ReasoningItem {
    this.start();
    const item: ReasoningItem = { kind: 'reasoning', id: newResponsesId('rs'), outputIndex: this.nextIndex++, closed: false, text: '', summaryOpen: false };
    this.items.push(item);
    this.emit({ type: 'response.output_item.added', output_index: item.outputIndex, item: { id: item.id, type: 'reasoning', summary: [] } });
    return item;
  }

  /** Appends summary text; the first opens the summary part (an item of encrypted reasoning alone has none). */
  reasoningDelta(item: ReasoningItem, text: string): void {
    if (!text || item.closed || this.result) return;
    if (!item.summaryOpen) {
      item.summaryOpen = true;
      this.emit({ type: 'response.reasoning_summary_part.added', item_id: item.id, output_index: item.outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' } });
    }
    item.text += text;
    this.emitDelta('response.reasoning_summary_text.delta', item.id, item.outputIndex, ',"summary_index":0', text);
  }

  /** Closes a reasoning item; `encryptedContent` is what Codex echoes back next turn. */
  closeReasoning(item: ReasoningItem, encryptedContent?: string): void {
    if (item.closed || this.result) return;
    item.closed = true;
    const base = { item_id: item.id, output_index: item.outputIndex };
    const summary: JsonObject[] = [];
    if (item.summaryOpen) {
      const part = { type: 'summary_text', text: item.text };
      summary.push(part);
      this.emit({ type: 'response.reasoning_summary_text.done', ...base, summary_index: 0, text: item.text });
      this.emit({ type: 'response.reasoning_summary_part.done', ...base, summary_index: 0, part });
    }
    const done: JsonObject = { id: item.id, type: 'reasoning', summary };
    if (encryptedContent !== undefined) done.encrypted_content = encryptedContent;
    this.closeWith(item, done);
  }

  /** Opens an assistant message; its content parts are opened with `openPart`. */
  openMessage(): MessageItem {
    this.start();
    const item: MessageItem = { kind: 'message', id: newResponsesId('msg'), outputIndex: this.nextIndex++, closed: false, parts: [] };
    this.items.push(item);
    this.emit({ type: 'response.output_item.added', output_index: item.outputIndex, item: { id: item.id, type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
    return item;
  }

  openPart(message: MessageItem, type: ContentPartType): ContentPart {
    const part: ContentPart = { type, contentIndex: message.parts.length, text: '', annotations: [] };
    if (message.closed || this.result) return part;
    message.parts.push(part);
    this.emit({ type: 'response.content_part.added', item_id: message.id, output_index: message.outputIndex, content_index: part.contentIndex, part: partJson(part, '') });
    return part;
  }

  /** Appends text to an `output_text` part (`response.output_text.delta`) or a refusal (`response.refusal.delta`). */
  partDelta(message: MessageItem, part: ContentPart, text: string): void {
    if (!text || message.closed || this.result) return;
    part.text += text;
    const refusal = part.type === 'refusal';
    const index = part.contentIndex === 0 ? ',"content_index":0' : `,"content_index":${part.contentIndex}`;
    this.emitDelta(refusal ? 'response.refusal.delta' : 'response.output_text.delta', message.id, message.outputIndex, index, text, !refusal);
  }

  /** Adds an annotation to an `output_text` part (`response.output_text.annotation.added`). */
  annotate(message: MessageItem, part: ContentPart, annotation: JsonObject): void {
    if (message.closed || this.result || part.type !== 'output_text') return;
    part.annotations.push(annotation);
    this.emit({ type: 'response.output_text.annotation.added', item_id: message.id, output_index: message.outputIndex, content_index: part.contentIndex, annotation_index: part.annotations.length - 1, annotation });
  }

  closeMessage(item: MessageItem): void {
    if (item.closed || this.result) return;
    item.closed = true;
    const base = { item_id: item.id, output_index: item.outputIndex };
    const content: JsonObject[] = [];
    for (const part of item.parts) {
      const json = partJson(part, part.text);
      content.push(json);
      if (part.type === 'refusal') this.emit({ type: 'response.refusal.done', ...base, content_index: part.contentIndex, refusal: part.text });
      else this.emit({ type: 'response.output_text.done', ...base, content_index: part.contentIndex, text: part.text, logprobs: [] });
      this.emit({ type: 'response.content_part.done', ...base, content_index: part.contentIndex, part: json });
    }
    this.closeWith(item, { id: item.id, type: 'message', role: 'assistant', status: 'completed', content });
  }

  openFunctionCall(call: { callId: string; name: string; namespace?: string; fields?: JsonObject }): FunctionCallItem {
    this.start();
    const item: FunctionCallItem = { kind: 'function_call', id: newResponsesId('fc'), outputIndex: this.nextIndex++, closed: false, callId: call.callId, name: call.name, namespace: call.namespace, fields: call.fields, arguments: '' };
    this.items.push(item);
    this.emit({ type: 'response.output_item.added', output_index: item.outputIndex, item: functionJson(item, '', 'in_progress') });
    return item;
  }

  argumentsDelta(item: FunctionCallItem, text: string): void {
    if (!text || item.closed || this.result) return;
    item.arguments += text;
    this.emitDelta('response.function_call_arguments.delta', item.id, item.outputIndex, '', text);
  }

  /**
   * Closes a function call. The `.done` arguments should equal the streamed deltas: a `finalArguments` that extends
   * what was streamed sends the rest as one more delta first; one that does not replaces it in the `.done` events.
   */
  closeFunctionCall(item: FunctionCallItem, finalArguments?: string): void {
    if (item.closed || this.result) return;
    if (finalArguments !== undefined && finalArguments !== item.arguments) {
      if (finalArguments.startsWith(item.arguments)) this.argumentsDelta(item, finalArguments.slice(item.arguments.length));
      else item.arguments = finalArguments;
    }
    item.closed = true;
    this.emit({ type: 'response.function_call_arguments.done', item_id: item.id, output_index: item.outputIndex, arguments: item.arguments });
    this.closeWith(item, functionJson(item, item.arguments, 'completed'));
  }

  openCustomToolCall(call: { callId: string; name: string }): CustomToolCallItem {
    this.start();
    const item: CustomToolCallItem = { kind: 'custom_tool_call', id: newResponsesId('ctc'), outputIndex: this.nextIndex++, closed: false, callId: call.callId, name: call.name, input: '' };
    this.items.push(item);
    this.emit({ type: 'response.output_item.added', output_index: item.outputIndex, item: { id: item.id, type: 'custom_tool_call', status: 'in_progress', call_id: item.callId, name: item.name, input: '' } });
    return item;
  }

  inputDelta(item: CustomToolCallItem, text: string): void {
    if (!text || item.closed || this.result) return;
    item.input += text;
    this.emitDelta('response.custom_tool_call_input.delta', item.id, item.outputIndex, '', text);
  }

  /** Closes a custom tool call; a `finalInput` completes or replaces the streamed input as in `closeFunctionCall`. */
  closeCustomToolCall(item: CustomToolCallItem, finalInput?: string): void {
    if (item.closed || this.result) return;
    if (finalInput !== undefined && finalInput !== item.input) {
      if (finalInput.startsWith(item.input)) this.inputDelta(item, finalInput.slice(item.input.length));
      else item.input = finalInput;
    }
    item.closed = true;
    this.emit({ type: 'response.custom_tool_call_input.done', item_id: item.id, output_index: item.outputIndex, input: item.input });
    this.closeWith(item, { id: item.id, type: 'custom_tool_call', status: 'completed', call_id: item.callId, name: item.name, input: item.input });
  }

  /** `response.completed`; items still open are closed first, as streamed. */
  complete(usage: ResponsesUsage): void {
    if (this.result) return;
    this.closeOpen(true);
    this.terminate('completed', usage);
  }

  /**
   * `response.incomplete` (`max_output_tokens`, `content_filter`): open reasoning and messages are closed as
   * streamed; open tool calls are dropped unclosed, so a cut call can never run.
   */
  incomplete(reason: string, usage: ResponsesUsage): void {
    if (this.result) return;
    this.closeOpen(false);
    this.terminate('incomplete', usage, { reason });
  }

  /** `response.failed` with an empty output: nothing half-written is kept. */
  fail(failure: ResponsesFailure, usage: ResponsesUsage): void {
    if (this.result) return;
    this.start();
    const response = this.responseObject('failed', [], usage);
    response.error = { code: failure.code, message: failure.message };
    this.result = response;
    this.emit({ type: 'response.failed', response });
  }

  /** The events written since the last drain. */
  drain(): StreamEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }

  private closeOpen(calls: boolean): void {
    for (const item of this.items) {
      if (item.closed) continue;
      if (item.kind === 'reasoning') this.closeReasoning(item);
      else if (item.kind === 'message') this.closeMessage(item);
      else if (!calls) continue;
      else if (item.kind === 'function_call') this.closeFunctionCall(item);
      else this.closeCustomToolCall(item);
    }
  }

  private closeWith(item: OutputItem, done: JsonObject): void {
    this.done.set(item, done);
    this.emit({ type: 'response.output_item.done', output_index: item.outputIndex, item: done });
  }

  private terminate(status: 'completed' | 'incomplete', usage: ResponsesUsage, incompleteDetails?: JsonObject): void {
    this.start();
    const output: JsonObject[] = [];
    for (const item of this.items) {
      const done = this.done.get(item);
      if (done) output.push(done);
    }
    const response = this.responseObject(status, output, usage);
    if (incompleteDetails) response.incomplete_details = incompleteDetails;
    this.result = response;
    this.emit({ type: `response.${status}`, response });
  }

  private responseObject(status: TerminalStatus, output: JsonObject[], usage: ResponsesUsage): JsonObject {
    return { id: this.id, object: 'response', created_at: this.createdAt, status, model: this.o.model, output, usage };
  }

  private snapshot(): JsonObject {
    return { id: this.id, object: 'response', created_at: this.createdAt, status: 'in_progress', model: this.o.model, output: [], usage: null };
  }

  /**
   * Deltas are nearly every event of a long answer: their JSON is written directly, the same text JSON.stringify
   * gives for the literal it replaces (`{type, item_id, output_index, [content_index|summary_index], delta,
   * [logprobs], sequence_number}`), at half its cost.
   */
  private emitDelta(type: DeltaType, itemId: string, outputIndex: number, index: string, delta: string, logprobs = false): void {
    const data = `{"type":"${type}","item_id":${JSON.stringify(itemId)},"output_index":${outputIndex}${index},"delta":${JSON.stringify(delta)}${logprobs ? ',"logprobs":[]' : ''},"sequence_number":${this.seq++}}`;
    this.out.push({ event: type, data });
  }

  /** Every caller passes a fresh literal, so it takes its number in place: a copy per event cost more than its JSON. */
  private emit(payload: { type: string } & JsonObject): void {
    payload.sequence_number = this.seq++;
    this.out.push(jsonEvent(payload));
  }
}

function partJson(part: ContentPart, text: string): JsonObject {
  return part.type === 'refusal' ? { type: 'refusal', refusal: text } : { type: 'output_text', text, annotations: part.annotations.slice() };
}

function functionJson(item: FunctionCallItem, args: string, status: string): JsonObject {
  const json: JsonObject = { id: item.id, type: 'function_call', status, call_id: item.callId, name: item.name, arguments: args };
  if (item.namespace) json.namespace = item.namespace;
  if (item.fields) Object.assign(json, item.fields);
  return json;
}
