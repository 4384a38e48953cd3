import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import chatTranslator, { type ChatTranslatorOptions } from '../../src/plugins/chat-translator/index.js';
import { matchPattern, resolveSettings } from '../../src/plugins/chat-translator/presets.js';
import { decodeCarrier } from '../../src/plugins/chat-translator/reasoning-carrier.js';
import { checkResponsesStream, parseSse } from '../support/responses-check.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { awkwardPieces, calledTools, recordings, recordingsDir, withoutDone, type Recording } from '../support/recordings.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { expectedOf, type Expected } from './recorded-upstream.js';

// Every recording of a real provider (shared/fixtures/real-provider-streams) served through the chat-translator,
// with and without the provider's preset, as recorded and cut at awkward byte boundaries, with and without
// [DONE]; the Responses stream Codex gets is checked strictly and against what the upstream sent.

type Ev = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PRESETS: Record<string, ChatTranslatorOptions['preset']> = { deepseek: 'deepseek', groq: 'groq', mistral: 'mistral', xai: 'xai', qwen: 'qwen', openrouter: 'openrouter' };

/** What the next request is answered with. */
let serve: (res: ServerResponse) => Promise<void> = () => Promise.reject(new Error('nothing to serve'));
let mock: MockUpstream;
const gateways = new Map<string, StartedRouter>();

async function gatewayFor(preset: ChatTranslatorOptions['preset'] | undefined): Promise<StartedRouter> {
  const key = preset ?? 'none';
  let gw = gateways.get(key);
  if (!gw) {
    gw = await startRouter({ plugins: [[chatTranslator, { ...(preset ? { preset } : {}), baseUrl: `${mock.url}/v1`, apiKey: 'k' }]] });
    gateways.set(key, gw);
  }
  return gw;
}

beforeAll(async () => {
  mock = await startMockUpstream(async (_req, res) => serve(res));
});

afterAll(async () => {
  for (const gw of gateways.values()) await gw.close();
  await mock?.close();
});

function writeStream(pieces: (string | Buffer)[]): (res: ServerResponse) => Promise<void> {
  return async (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    for (const piece of pieces) {
      res.write(piece);
      // Each write its own TCP segment, so the gateway reads the pieces as they were cut.
      await new Promise((r) => setImmediate(r));
    }
    res.end();
  };
}

async function ask(gw: StartedRouter, recording: Recording, stream: boolean, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const tools = calledTools(recording).map((name) => ({ type: 'function', name, parameters: { type: 'object' } }));
  const body = { model: modelOf(recording), stream, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], tools, include: ['reasoning.encrypted_content'], store: false };
  const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

/** Which habits of a recording the translator reads by default: <think> tags of the models known to send them. */
function optionsFor(recording: Recording, preset: ChatTranslatorOptions['preset'] | undefined): { thinkTags: boolean } {
  const patterns = resolveSettings({ preset } as ChatTranslatorOptions).quirks.thinkTags;
  return { thinkTags: patterns.some((p) => matchPattern(p, modelOf(recording))) };
}

/** The upstream model a recording came from: the request asks for it, so model patterns apply as they would. */
function modelOf(recording: Recording): string {
  const first = (recording.kind === 'completion' ? recording.completion : recording.chunks.find((c) => typeof (c as Ev).model === 'string' && (c as Ev).model)) as Ev | undefined;
  return typeof first?.model === 'string' && first.model ? first.model : 'gpt-5.4';
}

function compare(summary: ReturnType<typeof checkResponsesStream>['summary'], expected: Expected): void {
  expect(summary.status).toBe(expected.status);
  if (expected.status === 'failed') {
    expect(summary.error?.code).toBe(expected.errorCode);
    expect(summary.error?.message).toContain(String(expected.error?.message));
    return;
  }
  expect(summary.refusal).toBe(expected.refusal);
  if (expected.usage) {
    expect(summary.usage!.input_tokens).toBe(expected.usage.prompt_tokens);
    expect(summary.usage!.output_tokens).toBeGreaterThanOrEqual(expected.usage.completion_tokens as number);
  }
  expect(summary.annotations.map((a) => a.url as string)).toEqual(expected.citations);
  expect(summary.encrypted.flatMap((blob) => decodeCarrier(blob)?.details ?? []).flatMap((d) => (d.type === 'reasoning.encrypted' ? [d.data] : []))).toEqual(expected.encrypted);
  if (expected.incompleteReason) expect(summary.incompleteReason).toBe(expected.incompleteReason);
  expect(summary.text).toBe(expected.text);
  expect(summary.reasoning).toBe(expected.reasoning);
  if (expected.status === 'completed') {
    expect(summary.calls.map((c) => ({ name: c.name, arguments: c.arguments }))).toEqual(expected.calls.map((c) => ({ name: c.name, arguments: c.arguments })));
    expected.calls.forEach((c, i) => {
      if (c.call_id) expect(summary.calls[i]!.call_id).toBe(c.call_id);
    });
  }
}

const all = recordingsDir.available ? recordings() : [];
const streams = all.filter((r) => r.kind === 'stream');
const completions = all.filter((r) => r.kind === 'completion');
const variants = (r: Recording) => [undefined, PRESETS[r.provider]].filter((p, i) => i === 0 || p !== undefined);

describe.skipIf(!recordingsDir.available)(`real provider recordings through the chat-translator${recordingsDir.skip}`, () => {
  it('has the recordings the README lists', () => {
    expect(streams.length + completions.length).toBe(49);
  });

  describe.each(streams.map((r) => [r.name, r] as const))('%s', (_name, recording) => {
    const cuts: [string, (string | Buffer)[]][] = [
      ['as recorded', recording.events],
      ['cut at awkward bytes', awkwardPieces(recording.events)],
    ];
    if (recording.done) cuts.push(['without [DONE]', withoutDone(recording.events)]);

    for (const preset of variants(recording)) {
      for (const [how, pieces] of cuts) {
        it(`${preset ? `preset ${preset}` : 'no preset'}, ${how}`, async () => {
          serve = writeStream(pieces);
          const { status, text } = await ask(await gatewayFor(preset), recording, true);
          expect(status).toBe(200);
          const { problems, summary } = checkResponsesStream(parseSse(text));
          expect(problems).toEqual([]);
          compare(summary, expectedOf(recording, optionsFor(recording, preset)));
        });
      }
    }
  });

  describe.each(completions.map((r) => [r.name, r] as const))('%s', (_name, recording) => {
    for (const preset of variants(recording)) {
      it(`${preset ? `preset ${preset}` : 'no preset'}: blocking, and streamed by a provider that ignored stream:true`, async () => {
        const expected = expectedOf(recording, optionsFor(recording, preset));
        serve = async (res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(recording.completion));
        const gw = await gatewayFor(preset);
        const streamed = await ask(gw, recording, true);
        const { problems, summary } = checkResponsesStream(parseSse(streamed.text));
        expect(problems).toEqual([]);
        compare(summary, expected);

        const blocking = await ask(gw, recording, false);
        expect(blocking.status).toBe(200);
        const response = JSON.parse(blocking.text) as Ev;
        expect(response).toMatchObject({ object: 'response', status: expected.status });
        // The blocking answer is the streamed terminal response (ids aside).
        const strip = (output: Ev[]) => JSON.stringify(output).replace(/"(id|encrypted_content)":"[^"]*"/g, '');
        expect(strip(response.output as Ev[])).toBe(strip(summary.output));
      });
    }
  });

  describe('the points of issue 18, each on the recording that showed it', () => {
    const byName = (name: string) => all.find((r) => r.name === name)!;
    const replay = async (name: string, o: { preset?: ChatTranslatorOptions['preset']; headers?: Record<string, string> } = {}) => {
      const recording = byName(name);
      serve = writeStream(recording.events);
      const { text } = await ask(await gatewayFor(o.preset), recording, true, o.headers);
      const { problems, summary } = checkResponsesStream(parseSse(text));
      expect(problems).toEqual([]);
      return summary;
    };

    it('openai-refusal: a refusal part for API clients, answer text for Codex', async () => {
      const parts = await replay('openai-refusal');
      expect(parts.refusal).toMatch(/^I'm sorry, I can.t assist with that/);
      expect(parts.text).toBe('');
      const codex = await replay('openai-refusal', { headers: { originator: 'codex_exec', 'user-agent': 'codex_exec/0.169.0' } });
      expect(codex.refusal).toBe('');
      expect(codex.text).toBe(parts.refusal);
    });

    it('openai-parallel-tools with the name repeated on every chunk (the MiniMax-through-NIM habit): the same calls', async () => {
      const once = await replay('openai-parallel-tools');
      const recording = byName('openai-parallel-tools');
      const names = new Map<number, string>();
      const repeated = recording.events.map((event) => {
        if (!event.startsWith('data: {')) return event;
        const chunk = JSON.parse(event.slice(6)) as Ev;
        for (const call of (chunk.choices?.[0]?.delta?.tool_calls ?? []) as Ev[]) {
          if (call.function?.name) names.set(call.index as number, call.function.name as string);
          else if (names.has(call.index as number)) call.function = { name: names.get(call.index as number), ...call.function };
        }
        return `data: ${JSON.stringify(chunk)}\n\n`;
      });
      expect(repeated.filter((e) => e.includes('"name":"GetWeatherArgs"')).length).toBeGreaterThan(5);
      serve = writeStream(repeated);
      const { text } = await ask(await gatewayFor(undefined), recording, true);
      const { problems, summary } = checkResponsesStream(parseSse(text));
      expect(problems).toEqual([]);
      expect(summary.calls).toEqual(once.calls);
      expect(summary.calls.map((c) => c.name)).toEqual(['GetWeatherArgs', 'get_stock_price']);
    });

    it('openrouter-deepseek-annotations and perplexity-sonar-text: citations as url_citation annotations of the answer', async () => {
      const openrouter = await replay('openrouter-deepseek-annotations', { preset: 'openrouter' });
      expect(openrouter.annotations.length).toBeGreaterThan(2);
      expect(openrouter.annotations[0]).toEqual({ type: 'url_citation', url: 'https://github.com/pydantic/pydantic-ai', title: 'AI Agent Framework, the Pydantic way - GitHub', start_index: 0, end_index: 0 });
      const perplexity = await replay('perplexity-sonar-text');
      expect(perplexity.annotations).toHaveLength(5);
      const first = perplexity.annotations[0]!;
      expect(first).toMatchObject({ type: 'url_citation', url: 'https://www.modernchristmastrees.com/innovative-approaches-holiday-decor-modern-interior-design/', title: '' });
      expect(perplexity.text.slice(first.start_index as number, first.end_index as number)).toBe('[1]');
      expect(perplexity.text.slice(perplexity.annotations[4]!.start_index as number, perplexity.annotations[4]!.end_index as number)).toBe('[5]');
    });

    it('openrouter-o3-encrypted and openrouter-claude-reasoning: reasoning_details go back whole on the next turn', async () => {
      for (const [name, check] of [
        ['openrouter-o3-encrypted', (d: Ev[]) => expect(d).toEqual([expect.objectContaining({ type: 'reasoning.encrypted', data: expect.stringMatching(/^gAAAAABpCCSI/) })])],
        ['openrouter-claude-reasoning', (d: Ev[]) => expect(d).toEqual([expect.objectContaining({ type: 'reasoning.text', text: 'This is a simple arithmetic question. 2+2 equals 4.', signature: expect.stringMatching(/^Et0BCkgI/), format: 'anthropic-claude-v1' })])],
      ] as const) {
        const first = await replay(name, { preset: 'openrouter' });
        expect(first.output[0]).toMatchObject({ type: 'reasoning', encrypted_content: expect.stringMatching(/^ccrx\.r1\./) });
        const recording = byName(name);
        serve = writeStream(recording.events);
        const user = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] };
        const input = [user, ...first.output, { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'and again' }] }];
        const gw = await gatewayFor('openrouter');
        const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5.4', stream: true, input }) });
        await res.text();
        const sent = mock.requests.at(-1)!.json<{ messages: Ev[] }>().messages;
        const assistant = sent.find((m) => m.role === 'assistant')!;
        check(assistant.reasoning_details as Ev[]);
        expect(assistant.reasoning).toBeUndefined();
      }
    });

    it('groq-r1-think-tags and hf-deepseek-r1-think-tags: the <think> block is reasoning, the rest the answer', async () => {
      for (const [name, preset] of [['groq-r1-think-tags', 'groq'], ['groq-r1-think-tags', undefined], ['hf-deepseek-r1-think-tags', undefined]] as const) {
        const summary = await replay(name, { preset });
        expect(summary.output.map((i) => i.type)).toEqual(['reasoning', 'message']);
        expect(summary.reasoning.length).toBeGreaterThan(100);
        expect(summary.reasoning).not.toContain('think>');
        expect(summary.text).not.toContain('think>');
        expect(summary.text).toMatch(/^\S/);
      }
      // Next turn the answer goes back as the assistant's text, its <think> block neither as text nor as a field.
      const first = await replay('hf-deepseek-r1-think-tags');
      const recording = byName('hf-deepseek-r1-think-tags');
      serve = writeStream(recording.events);
      const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
      const gw = await gatewayFor(undefined);
      const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: modelOf(recording), stream: true, input: [user('hi'), ...first.output, user('again')] }) });
      await res.text();
      const assistant = mock.requests.at(-1)!.json<{ messages: Ev[] }>().messages.find((m) => m.role === 'assistant')!;
      expect(assistant).toEqual({ role: 'assistant', content: first.text });
    });
  });
});
