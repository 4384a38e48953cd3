/**
 * A strict reader of a Responses event stream as the gateway must write it for Codex (`codex-contract.md` §3,
 * `chat-translation.md` §4.2). It collects every breach instead of stopping at the first, and sums up what the
 * stream said (texts, reasoning, calls, terminal state) for the test to compare with what the upstream sent.
 */
import type { StreamEvent } from '../../src/index.js';

type Ev = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ResponsesEvent {
  type: string;
  sequence_number: number;
  [field: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The events a translator wrote (SSE names and all), parsed; throws naming every breach of the contract. */
export function assertResponsesStream(stream: StreamEvent[]): ResponsesEvent[] {
  const problems: string[] = [];
  const events = stream.map((e, i) => {
    const parsed = JSON.parse(e.data) as ResponsesEvent;
    if (e.event !== undefined && e.event !== parsed.type) problems.push(`event ${i}: SSE name ${e.event} is not its type ${parsed.type}`);
    return parsed;
  });
  problems.push(...checkResponsesStream(events).problems);
  if (problems.length) throw new Error(`Responses contract: ${problems.join('; ')}`);
  return events;
}

export interface StreamSummary {
  status: 'completed' | 'incomplete' | 'failed' | undefined;
  error: { code: string; message: string } | undefined;
  incompleteReason: string | undefined;
  /** Assistant text, every output_text part of every message, in order. */
  text: string;
  refusal: string;
  reasoning: string;
  /** `encrypted_content` of every reasoning item. */
  encrypted: string[];
  calls: { type: string; call_id: string; name: string; arguments: string }[];
  annotations: Ev[];
  usage: Ev | undefined;
  output: Ev[];
}

interface OpenItem {
  id: string;
  index: number;
  type: string;
  parts: Map<number, { type: string; text: string; done: boolean }>;
  summaries: Map<number, { text: string; done: boolean }>;
  args: string;
  argsDone: boolean;
  done: Ev | undefined;
}

export function checkResponsesStream(events: Ev[]): { problems: string[]; summary: StreamSummary } {
  const problems: string[] = [];
  const bad = (i: number, what: string) => problems.push(`event ${i} (${String(events[i]?.type)}): ${what}`);
  const items = new Map<string, OpenItem>();
  const byIndex: OpenItem[] = [];
  let terminal: Ev | undefined;
  let responseId: string | undefined;

  events.forEach((e, i) => {
    if (typeof e.type !== 'string') return bad(i, 'no type');
    if (e.sequence_number !== i) bad(i, `sequence_number ${String(e.sequence_number)}, expected ${i}`);
    if (terminal) return bad(i, 'after the terminal event');
    if (i === 0 && e.type !== 'response.created') bad(i, 'the stream does not start with response.created');
    if (e.type === 'response.created' || e.type === 'response.in_progress') {
      if (typeof e.response?.id !== 'string') return bad(i, 'response without an id');
      responseId ??= e.response.id;
      if (e.response.id !== responseId) bad(i, 'another response id');
      if (e.type === 'response.created' && i !== 0) bad(i, 'response.created again');
      return;
    }
    if (e.type === 'response.completed' || e.type === 'response.incomplete' || e.type === 'response.failed') {
      terminal = e;
      return;
    }
    if (e.type === 'response.output_item.added') {
      const item = e.item as Ev;
      if (typeof item?.id !== 'string' || !item.id) return bad(i, 'item without an id');
      if (items.has(item.id)) return bad(i, `item ${item.id} added twice`);
      if (e.output_index !== byIndex.length) bad(i, `output_index ${String(e.output_index)}, expected ${byIndex.length}`);
      const open: OpenItem = { id: item.id, index: e.output_index as number, type: item.type as string, parts: new Map(), summaries: new Map(), args: '', argsDone: false, done: undefined };
      items.set(item.id, open);
      byIndex.push(open);
      return;
    }
    const item = items.get(e.item_id ?? e.item?.id);
    if (!item) return bad(i, `unknown item ${String(e.item_id ?? e.item?.id)}`);
    if (e.output_index !== item.index) bad(i, `output_index ${String(e.output_index)} for item at ${item.index}`);
    if (item.done) return bad(i, `item ${item.id} already done`);
    const part = item.parts.get(e.content_index as number);
    const summary = item.summaries.get(e.summary_index as number);
    switch (e.type) {
      case 'response.content_part.added':
        if (item.type !== 'message') return bad(i, 'content part on a non-message');
        if (e.content_index !== item.parts.size) bad(i, `content_index ${String(e.content_index)}, expected ${item.parts.size}`);
        item.parts.set(e.content_index as number, { type: e.part?.type as string, text: '', done: false });
        return;
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        if (!part || part.done) return bad(i, 'delta for a part not open');
        if (part.type !== (e.type === 'response.refusal.delta' ? 'refusal' : 'output_text')) bad(i, `delta for a ${part.type} part`);
        if (typeof e.delta !== 'string' || !e.delta) bad(i, 'empty delta');
        part.text += e.delta as string;
        return;
      case 'response.output_text.annotation.added':
        if (!part || part.done || part.type !== 'output_text') bad(i, 'annotation for a part not open');
        return;
      case 'response.output_text.done':
      case 'response.refusal.done': {
        if (!part || part.done) return bad(i, 'done for a part not open');
        const text = e.type === 'response.refusal.done' ? e.refusal : e.text;
        if (text !== part.text) bad(i, `done text ${JSON.stringify(text).slice(0, 80)} is not the deltas ${JSON.stringify(part.text).slice(0, 80)}`);
        return;
      }
      case 'response.content_part.done': {
        if (!part || part.done) return bad(i, 'part done twice or never added');
        const text = e.part?.type === 'refusal' ? e.part.refusal : e.part?.text;
        if (text !== part.text) bad(i, 'content_part.done differs from its deltas');
        part.done = true;
        return;
      }
      case 'response.reasoning_summary_part.added':
        if (item.type !== 'reasoning') return bad(i, 'summary part on a non-reasoning item');
        item.summaries.set(e.summary_index as number, { text: '', done: false });
        return;
      case 'response.reasoning_summary_text.delta':
        if (!summary || summary.done) return bad(i, 'summary delta for a part not open');
        if (typeof e.delta !== 'string') bad(i, 'delta is not a string');
        summary.text += e.delta as string;
        return;
      case 'response.reasoning_summary_text.done':
        if (!summary || summary.done) return bad(i, 'summary done for a part not open');
        if (e.text !== summary.text) bad(i, 'summary done text is not its deltas');
        return;
      case 'response.reasoning_summary_part.done':
        if (!summary || summary.done) return bad(i, 'summary part done twice');
        if (e.part?.text !== summary.text) bad(i, 'summary part done text is not its deltas');
        summary.done = true;
        return;
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta':
        if (item.argsDone) return bad(i, 'arguments delta after done');
        if (item.type !== (e.type === 'response.function_call_arguments.delta' ? 'function_call' : 'custom_tool_call')) bad(i, `delta for a ${item.type}`);
        if (typeof e.delta !== 'string') bad(i, 'delta is not a string');
        item.args += e.delta as string;
        return;
      case 'response.function_call_arguments.done':
      case 'response.custom_tool_call_input.done': {
        const value = e.type === 'response.function_call_arguments.done' ? e.arguments : e.input;
        if (value !== item.args) bad(i, 'arguments done differ from their deltas');
        item.argsDone = true;
        return;
      }
      case 'response.output_item.done': {
        const done = e.item as Ev;
        if (done.type !== item.type) bad(i, `item type changed from ${item.type} to ${String(done.type)}`);
        for (const [index, p] of item.parts) if (!p.done) bad(i, `content part ${index} not done`);
        for (const [index, s] of item.summaries) if (!s.done) bad(i, `summary part ${index} not done`);
        if (item.type === 'message') {
          const content = (done.content ?? []) as Ev[];
          if (content.length !== item.parts.size) bad(i, 'message content differs from its parts');
          content.forEach((c, index) => {
            const p = item.parts.get(index);
            if ((c.type === 'refusal' ? c.refusal : c.text) !== p?.text) bad(i, `message part ${index} differs from its deltas`);
          });
        }
        if (item.type === 'reasoning') {
          const summaryText = ((done.summary ?? []) as Ev[]).map((s) => s.text as string).join('');
          if (summaryText !== [...item.summaries.values()].map((s) => s.text).join('')) bad(i, 'reasoning summary differs from its deltas');
        }
        if (!['message', 'reasoning', 'function_call', 'custom_tool_call'].includes(item.type)) bad(i, `an output item of type ${String(item.type)}`);
        if (item.type === 'function_call' || item.type === 'custom_tool_call') {
          if (!item.argsDone) bad(i, 'call done without its arguments done');
          const value = item.type === 'function_call' ? done.arguments : done.input;
          if (value !== item.args) bad(i, 'call item arguments differ from their deltas');
          if (typeof done.call_id !== 'string' || !done.call_id) bad(i, 'call without call_id');
          if (typeof done.name !== 'string' || !done.name) bad(i, 'call without name');
          if (item.type === 'function_call') {
            try {
              JSON.parse(done.arguments as string);
            } catch {
              bad(i, 'function call arguments are not JSON');
            }
          }
        }
        item.done = done;
        return;
      }
      default:
        bad(i, 'unexpected event type');
    }
  });

  const summary: StreamSummary = { status: undefined, error: undefined, incompleteReason: undefined, text: '', refusal: '', reasoning: '', encrypted: [], calls: [], annotations: [], usage: undefined, output: [] };
  if (!terminal) {
    problems.push('no terminal event');
    return { problems, summary };
  }
  const response = terminal.response as Ev;
  summary.status = response?.status;
  if (terminal.type !== `response.${String(response?.status)}`) problems.push(`terminal ${String(terminal.type)} with status ${String(response?.status)}`);
  if (response?.id !== responseId) problems.push('terminal response id differs');
  const output = (response?.output ?? []) as Ev[];
  summary.output = output;
  const doneCalls = byIndex.filter((item) => item.done && (item.type === 'function_call' || item.type === 'custom_tool_call'));
  if (summary.status !== 'completed' && doneCalls.length) problems.push(`a tool call was finalized in a ${String(summary.status)} response`);
  if (summary.status === 'failed') {
    // Codex records items from their .done: a failed attempt must leave nothing recorded before Codex retries it.
    const doneItems = byIndex.filter((item) => item.done).length;
    if (doneItems) problems.push(`${doneItems} item(s) finalized in a failed response`);
    if (output.length) problems.push('failed response with output');
    if (typeof response.error?.code !== 'string' || typeof response.error?.message !== 'string' || !response.error.message) problems.push('failed response without error code and message');
    summary.error = response.error;
  } else {
    const closed = byIndex.filter((item) => item.done);
    for (const item of byIndex) {
      if (item.done) continue;
      // An incomplete response drops a cut tool call; nothing else may stay open.
      if (summary.status === 'incomplete' && (item.type === 'function_call' || item.type === 'custom_tool_call')) continue;
      problems.push(`item ${item.id} (${item.type}) never done`);
    }
    if (JSON.stringify(output) !== JSON.stringify(closed.map((item) => item.done))) problems.push('terminal output is not the done items in output_index order');
    if (summary.status === 'incomplete') summary.incompleteReason = response.incomplete_details?.reason;
  }
  const usage = response?.usage as Ev | undefined;
  summary.usage = usage;
  // A failure Codex is told of before any upstream answer (the kernel's in-stream error) has no usage to report.
  if (!usage) {
    if (summary.status !== 'failed') problems.push('terminal response without usage');
  } else {
    const counts = [usage.input_tokens, usage.output_tokens, usage.total_tokens, usage.input_tokens_details?.cached_tokens, usage.output_tokens_details?.reasoning_tokens];
    if (!counts.every((n) => Number.isInteger(n) && n >= 0)) problems.push(`usage counts are not non-negative integers: ${JSON.stringify(usage)}`);
    else {
      if (usage.input_tokens + usage.output_tokens !== usage.total_tokens) problems.push(`usage does not add up: ${JSON.stringify(usage)}`);
      if (usage.output_tokens_details.reasoning_tokens > usage.output_tokens) problems.push(`reasoning tokens exceed output tokens: ${JSON.stringify(usage)}`);
      if (usage.input_tokens_details.cached_tokens > usage.input_tokens) problems.push(`cached tokens exceed input tokens: ${JSON.stringify(usage)}`);
    }
  }
  for (const item of output) {
    if (item.type === 'message') {
      for (const part of (item.content ?? []) as Ev[]) {
        if (part.type === 'refusal') summary.refusal += part.refusal as string;
        else {
          summary.text += part.text as string;
          summary.annotations.push(...((part.annotations ?? []) as Ev[]));
        }
      }
    } else if (item.type === 'reasoning') {
      summary.reasoning += ((item.summary ?? []) as Ev[]).map((s) => s.text as string).join('');
      if (typeof item.encrypted_content === 'string') summary.encrypted.push(item.encrypted_content);
    } else if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      summary.calls.push({ type: item.type as string, call_id: item.call_id as string, name: item.name as string, arguments: (item.arguments ?? item.input) as string });
    }
  }
  return { problems, summary };
}

/** The SSE body the gateway sent → its events (data-only parsing, as Codex does). */
export function parseSse(text: string): Ev[] {
  return text
    .split('\n\n')
    .filter((block) => block.split('\n').some((l) => l.startsWith('data:')))
    .map((block) => JSON.parse(block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n')) as Ev);
}
