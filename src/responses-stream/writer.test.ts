import { describe, expect, it } from 'vitest';
import { ResponsesWriter, type ResponsesUsage } from './writer.js';

type Ev = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const usage: ResponsesUsage = { input_tokens: 3, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 5 };
const parse = (w: ResponsesWriter): Ev[] => w.drain().map((e) => JSON.parse(e.data) as Ev);

describe('ResponsesWriter', () => {
  it('numbers every event, closes what is open at completion and lists the output in index order', () => {
    const w = new ResponsesWriter({ model: 'm', responseId: 'resp_1' });
    const r = w.openReasoning();
    const m = w.openMessage();
    const text = w.openPart(m, 'output_text');
    w.reasoningDelta(r, 'think');
    w.partDelta(m, text, 'hi');
    const fc = w.openFunctionCall({ callId: 'call_1', name: 'exec', namespace: 'ns', fields: { encrypted_function_args: [] } });
    w.argumentsDelta(fc, '{"a"');
    w.closeFunctionCall(fc, '{"a":1}');
    w.closeReasoning(r, 'blob');
    w.complete(usage);
    const events = parse(w);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('')).toBe('{"a":1}');
    const done = events.at(-1)!;
    expect(done.type).toBe('response.completed');
    expect(done.response.output.map((i: Ev) => i.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(done.response.output[0]).toEqual({ id: r.id, type: 'reasoning', summary: [{ type: 'summary_text', text: 'think' }], encrypted_content: 'blob' });
    expect(done.response.output[2]).toMatchObject({ call_id: 'call_1', name: 'exec', namespace: 'ns', arguments: '{"a":1}', encrypted_function_args: [] });
    expect(done.response.usage).toEqual(usage);
  });

  it('writes refusal parts and annotations as the Responses API does', () => {
    const w = new ResponsesWriter({ model: 'm' });
    const m = w.openMessage();
    const text = w.openPart(m, 'output_text');
    w.partDelta(m, text, 'see ');
    w.annotate(m, text, { type: 'url_citation', url: 'https://example.com', title: 'x', start_index: 0, end_index: 3 });
    const refusal = w.openPart(m, 'refusal');
    w.partDelta(m, refusal, 'no');
    w.complete(usage);
    const events = parse(w);
    expect(events.find((e) => e.type === 'response.refusal.delta')).toMatchObject({ content_index: 1, delta: 'no' });
    expect(events.find((e) => e.type === 'response.refusal.done')).toMatchObject({ content_index: 1, refusal: 'no' });
    expect(events.find((e) => e.type === 'response.output_text.annotation.added')).toMatchObject({ content_index: 0, annotation_index: 0, annotation: { type: 'url_citation' } });
    expect(events.at(-1)!.response.output[0].content).toEqual([
      { type: 'output_text', text: 'see ', annotations: [{ type: 'url_citation', url: 'https://example.com', title: 'x', start_index: 0, end_index: 3 }] },
      { type: 'refusal', refusal: 'no' },
    ]);
  });

  it('drops open tool calls from an incomplete response and keeps nothing in a failed one', () => {
    const w = new ResponsesWriter({ model: 'm' });
    const m = w.openMessage();
    w.partDelta(m, w.openPart(m, 'output_text'), 'partial');
    w.inputDelta(w.openCustomToolCall({ callId: 'c', name: 'apply_patch' }), '*** Begin');
    w.incomplete('max_output_tokens', usage);
    const events = parse(w);
    expect(events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item.type)).toEqual(['message']);
    expect(events.at(-1)!.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    w.fail({ code: 'x', message: 'late' }, usage);
    expect(parse(w)).toEqual([]);

    const f = new ResponsesWriter({ model: 'm' });
    f.partDelta(f.openMessage(), { type: 'output_text', contentIndex: 0, text: '', annotations: [] }, 'x');
    f.fail({ code: 'rate_limit_exceeded', message: 'slow down' }, usage);
    const failed = parse(f).at(-1)!;
    expect(failed.response).toMatchObject({ status: 'failed', output: [], error: { code: 'rate_limit_exceeded', message: 'slow down' } });
  });
});
