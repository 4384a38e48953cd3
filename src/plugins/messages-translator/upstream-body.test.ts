import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { historyBody, loadRecorded, type RecordedBodies } from '../../../bench/codex-history.mjs';
import { codexFixture, codexFixtureNames, sharedFixtures } from '../../../test/support/fixtures.js';
import { checkRequest, ThinkingSigner } from '../../testing/mock-messages-rules.js';
import { BytesCache, createLogger, keepTexts, type ConvertedTools, type KeptBody } from '../../index.js';
import { KEEP_MIN_BODY_BYTES } from '../../responses-tools/kept-texts.js';
import { sealThinking } from './carrier.js';
import { resolveSettings } from './presets.js';
import { translateRequest, type TranslateContext } from './request.js';
import type { MessagesTranslatorOptions } from './schema.js';
import { KEPT_PLACES, translateKept, type UpstreamBody } from './upstream-body.js';

// The kept path (long texts as the bytes Codex sent, upstream-body.ts) must send exactly what translating the
// request parsed whole sends: on Codex's own requests, on the bench's long sessions and on generated ones.

const log = createLogger({ level: 'silent', pretty: false });
const base: MessagesTranslatorOptions = { baseUrl: 'http://up.test', anthropicVersion: '2023-06-01', betas: [], headers: {}, modelMap: {}, modelInfo: {}, models: [], thinkingBudgets: {}, promptCaching: true, extraBody: {}, commitAfterMs: 1000, keepAliveMs: 10000, historyCacheBytes: 0 };
const signer = new ThinkingSigner('upstream-body-test');

type Outcome = { bytes: string; kept: boolean } | { error: string };

function outcome(run: () => UpstreamBody | Buffer): Outcome {
  try {
    const out = run();
    return Buffer.isBuffer(out) ? { bytes: out.toString(), kept: false } : { bytes: out.body.toString(), kept: out.kept };
  } catch (err) {
    return { error: String(err) };
  }
}

/** Both paths on one request body, as bytes: the kept one (with its texts as markers) and the parsed-whole one. */
function bothPaths(text: string, options: Partial<MessagesTranslatorOptions> = {}, ctx: Partial<TranslateContext> = {}) {
  const settings = resolveSettings({ ...base, ...options });
  const context = { log, toolsCache: toolsCacheOf(options), ...ctx };
  const kept = outcome(() => translateKept(keepTexts(Buffer.from(text), KEPT_PLACES), () => JSON.parse(text), settings, context));
  const parsed = outcome(() => Buffer.from(JSON.stringify(translateRequest(JSON.parse(text), settings, context).body)));
  return { kept, parsed };
}

/** A plugin's tools cache is its settings' (one per set of options here), small so that generated requests evict. */
const toolsCaches = new Map<string, BytesCache<ConvertedTools>>();
function toolsCacheOf(options: Partial<MessagesTranslatorOptions>): BytesCache<ConvertedTools> {
  const key = JSON.stringify(options);
  let cache = toolsCaches.get(key);
  if (!cache) toolsCaches.set(key, (cache = new BytesCache<ConvertedTools>(4)));
  return cache;
}

/** The same bytes on both paths, the kept path taken. */
function expectKeptAndEqual(text: string, options: Partial<MessagesTranslatorOptions> = {}, label = ''): string {
  const { kept, parsed } = bothPaths(text, options);
  expect(kept, label).toMatchObject({ kept: true });
  expect('bytes' in kept && kept.bytes === ('bytes' in parsed ? parsed.bytes : undefined), label).toBe(true);
  return 'bytes' in kept ? kept.bytes : '';
}

/** Codex's recorded requests as each model kind takes them: no thinking, budget thinking, adaptive; cache marks on and off. */
const variants: { name: string; options: Partial<MessagesTranslatorOptions>; reasoning?: object }[] = [
  { name: 'as recorded', options: {} },
  { name: 'budget thinking', options: { modelMap: { '*': 'claude-sonnet-4-5' } }, reasoning: { effort: 'medium', summary: 'auto' } },
  { name: 'adaptive thinking, no cache marks', options: { modelMap: { '*': 'claude-opus-4-6' }, promptCaching: false }, reasoning: { effort: 'high' } },
  { name: 'no images, no thinking', options: { modelMap: { '*': 'claude-3-5-haiku' } }, reasoning: { effort: 'high' } },
];

function recordedBodies(dir: string): [string, Record<string, unknown>][] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { body: Record<string, unknown> }).body]);
}

const shared = sharedFixtures('codex-0.169');
const recorded = loadRecorded(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'));
const seal = (text: string, model: string, signature: string) => sealThinking({ blocks: [{ type: 'thinking', thinking: text, signature }], model });

describe('the Messages body with kept texts', () => {
  it("is byte for byte the parse path's on every recorded Codex request, in every model variant", () => {
    for (const name of codexFixtureNames()) {
      for (const v of variants) {
        const body = { ...codexFixture(name).body, ...(v.reasoning ? { reasoning: v.reasoning } : {}) };
        expectKeptAndEqual(JSON.stringify(body), v.options, `${name}, ${v.name}`);
      }
    }
  });

  it.skipIf(!shared.available)(`is byte for byte the parse path's on the shared recorded Codex requests${shared.skip}`, () => {
    for (const [name, recordedBody] of recordedBodies(shared.dir)) {
      for (const v of variants) expectKeptAndEqual(JSON.stringify({ ...recordedBody, ...(v.reasoning ? { reasoning: v.reasoning } : {}) }), v.options, `${name}, ${v.name}`);
    }
  });

  it.skipIf(recorded.skip !== undefined)(`is byte for byte the parse path's on the bench's long Codex histories, thinking off and on${recorded.skip ? ` (skipped: ${recorded.skip})` : ''}`, () => {
    for (const targetBytes of [200_000, 1_000_000]) {
      const { text } = historyBody(recorded as RecordedBodies, { model: 'claude-sonnet-4-5', targetBytes, seal: (t, model, signature) => seal(t, model, signature) });
      const markers = JSON.stringify(keepTexts(Buffer.from(text), KEPT_PLACES)!.json).split('\\u0001').length / 2;
      // Most of a long session's text is tool outputs and messages of a KiB or more: kept.
      expect(markers).toBeGreaterThan(targetBytes / 10_000);
      expectKeptAndEqual(text, {}, `${targetBytes} bytes, no thinking`);
      const thinking = JSON.parse(text) as Record<string, unknown>;
      thinking.reasoning = { effort: 'medium', summary: 'auto' };
      const sent = expectKeptAndEqual(JSON.stringify(thinking), {}, `${targetBytes} bytes, thinking`);
      // The history's thinking went back, so the kept path took the carriers' branch.
      expect(sent).toContain('"type":"thinking"');
    }
  });

  it('keeps the bytes Codex sent, escapes as written, and still sends the same value', () => {
    const long = `see C:\\\\src\\\\app.ts and a/b/c ${'x'.repeat(2_000)}`;
    const request = { model: 'claude-sonnet-4-5', input: [{ type: 'message', role: 'developer', content: long }, { type: 'message', role: 'user', content: [{ type: 'input_text', text: long }] }, { type: 'custom_tool_call', call_id: 'p1', name: 'apply_patch', input: long }, { type: 'custom_tool_call_output', call_id: 'p1', output: long }], tools: [{ type: 'custom', name: 'apply_patch' }], store: false, instructions: 'y'.repeat(KEEP_MIN_BODY_BYTES) };
    // Escapes JSON.stringify would not write: `\/` and `\u0041`.
    const text = JSON.stringify(request).replaceAll('a/b/c', 'a\\/b\\/\\u0041');
    const { kept, parsed } = bothPaths(text);
    expect(kept).toMatchObject({ kept: true });
    const keptBytes = 'bytes' in kept ? kept.bytes : '';
    expect(keptBytes.split('a\\/b\\/\\u0041').length - 1).toBe(4);
    expect(JSON.parse(keptBytes)).toEqual(JSON.parse('bytes' in parsed ? parsed.bytes : ''));
  });

  it("sends the parse path's body when a kept text cannot be put back", () => {
    const text = JSON.stringify({ model: 'claude-sonnet-4-5', input: [{ type: 'message', role: 'user', content: 'z'.repeat(KEEP_MIN_BODY_BYTES) }] });
    const failing: KeptBody = { json: JSON.parse(text), restore: () => undefined, keep: () => 'unused', original: (value) => value, toolsBytes: undefined, keepJson: () => 'unused', text: (value) => value, input: undefined };
    const out = translateKept(failing, () => JSON.parse(text), resolveSettings(base), { log });
    expect(out.kept).toBe(false);
    expect(out.body.toString()).toBe(JSON.stringify(translateRequest(JSON.parse(text), resolveSettings(base), { log }).body));
  });

  it('fails a bad request as the parse path does', () => {
    const long = 'q'.repeat(KEEP_MIN_BODY_BYTES);
    for (const bad of [{ model: '', input: long }, { model: 'm', input: [{ type: 'reasoning', summary: [{ type: 'summary_text', text: long }] }] }]) {
      const { kept, parsed } = bothPaths(JSON.stringify(bad));
      expect(parsed).toHaveProperty('error');
      expect(kept).toEqual(parsed);
    }
    // Tools are kept out of the parse, and read only when their bytes were never converted: spoilt, they fail too.
    const tools = [{ type: 'function', name: 'shell', description: 'runs a command', parameters: { type: 'object', properties: {} } }];
    const valid = JSON.stringify({ model: 'm', input: long, tools });
    expect(bothPaths(valid).kept).toMatchObject({ kept: true });
    const { kept, parsed } = bothPaths(valid.replace('a command', 'a \\x command'));
    expect(parsed).toHaveProperty('error');
    expect(kept).toEqual(parsed);
  });

  it("is the parse path's body, byte for byte, on generated Codex requests", () => {
    let keptRuns = 0;
    let runs = 0;
    fc.assert(
      fc.property(generatedRequest, fc.boolean(), ({ body, model }, promptCaching) => {
        const text = JSON.stringify(body);
        const { kept, parsed } = bothPaths(text, { promptCaching, modelMap: { '*': model } });
        runs += 1;
        if ('error' in parsed) {
          expect(kept).toEqual(parsed);
          return;
        }
        expect('bytes' in kept && kept.bytes).toBe(parsed.bytes);
        if ('kept' in kept && kept.kept) keptRuns += 1;
        // What the generator makes is what the API takes (the blocks, their order, cache marks, signatures).
        expect(checkRequest(JSON.parse(parsed.bytes) as Record<string, unknown>, signer)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
    // The property would hold trivially if nothing were kept.
    expect(keptRuns).toBeGreaterThan(runs / 2);
  });
});

// Generated requests: texts with escapes, non-ASCII, lone surrogates, blanks, marker look-alikes and repeats, at
// every place Codex puts them, around tool calls, images and carried thinking; padded past the size kept texts need.

const piece = fc.constantFrom('a', 'word ', ' ', '\n', '\t', '"', '\\', '/', 'é', '中文', '😀', '\u2028', '\u0001', '\u001f', '\ud800', '</script>', '\\u0041', '\u0001AAAAAAAAAAAA:0\u0001', '\\u0001');
const textArb = fc
  .tuple(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1_000, max: 2_500 })))
  .map(([pieces, length]) => {
    const unit = pieces.join('');
    return length === 0 ? '' : unit.repeat(Math.ceil(length / unit.length));
  });
const MODELS = ['claude-sonnet-4-5', 'claude-opus-4-6', 'claude-3-5-haiku'] as const;

const generatedRequest = fc
  .record({
    model: fc.constantFrom(...MODELS),
    texts: fc.array(textArb, { minLength: 1, maxLength: 5 }),
    instructions: fc.option(fc.nat(), { nil: undefined }),
    effort: fc.constantFrom(undefined, 'medium', 'high'),
    items: fc.array(fc.record({ kind: fc.constantFrom('user', 'userParts', 'developer', 'assistant', 'refusal', 'call', 'badArgs', 'output', 'outputParts', 'custom', 'customOutput', 'reasoning', 'foreignReasoning', 'agent', 'image', 'unknown'), text: fc.nat(), id: fc.nat(3) }), { minLength: 1, maxLength: 14 }),
    description: fc.nat(),
  })
  .map(({ model, texts, instructions, effort, items, description }) => {
    const text = (i: number) => texts[i % texts.length]!;
    const input: object[] = [{ type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'p'.repeat(KEEP_MIN_BODY_BYTES) }] }];
    for (const { kind, text: t, id } of items) {
      const callId = `call_${id}`;
      const value = text(t);
      switch (kind) {
        case 'user':
          input.push({ type: 'message', role: 'user', content: value });
          break;
        case 'userParts':
          input.push({ type: 'message', role: 'user', content: [{ type: 'input_text', text: value }, { type: 'input_text', text: text(t + 1) }] });
          break;
        case 'developer':
          input.push({ type: 'message', role: 'developer', content: [{ type: 'input_text', text: value }, { type: 'input_text', text: text(t + 1) }] });
          break;
        case 'assistant':
          input.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: value, annotations: [] }] });
          break;
        case 'refusal':
          input.push({ type: 'message', role: 'assistant', content: [{ type: 'refusal', refusal: value }] });
          break;
        case 'call':
          input.push({ type: 'function_call', call_id: callId, name: 'exec_command', arguments: JSON.stringify({ cmd: value }) });
          break;
        case 'badArgs':
          input.push({ type: 'function_call', call_id: callId, name: 'exec_command', arguments: value });
          break;
        case 'output':
          input.push({ type: 'function_call_output', call_id: callId, output: value });
          break;
        case 'outputParts':
          input.push({ type: 'function_call_output', call_id: callId, output: [{ type: 'input_text', text: value }, { type: 'input_image', image_url: `data:image/png;base64,${Buffer.from(value || "x").toString("base64")}` }, { type: 'mystery', text: value }] });
          break;
        case 'custom':
          input.push({ type: 'custom_tool_call', call_id: callId, name: 'apply_patch', input: value });
          break;
        case 'customOutput':
          input.push({ type: 'custom_tool_call_output', call_id: callId, output: value });
          break;
        case 'reasoning':
        case 'foreignReasoning': {
          const thinking = value || 'thought';
          input.push({ type: 'reasoning', summary: [{ type: 'summary_text', text: value }], encrypted_content: seal(thinking, kind === 'reasoning' ? model : 'another-model', signer.sign(thinking)) });
          break;
        }
        case 'agent':
          input.push({ type: 'agent_message', content: [{ type: 'input_text', text: value }] });
          break;
        case 'image':
          input.push({ type: 'message', role: 'user', content: [{ type: 'input_image', image_url: [`data:image/png;base64,${Buffer.from(value || "x").toString("base64")}`, 'data:image/svg+xml;base64,PHN2Zz4=', 'https://example.test/a.png', 'file:///a.png'][t % 4] }, { type: 'input_text', text: value }] });
          break;
        default:
          input.push({ type: 'web_search_call', status: 'completed', action: { query: value } });
      }
    }
    const tools = [
      { type: 'function', name: 'exec_command', description: text(description), parameters: { type: 'object', properties: { cmd: { type: 'string', description: text(description + 1) } }, required: ['cmd'] } },
      { type: 'custom', name: 'apply_patch', description: text(description + 2), format: { type: 'grammar', syntax: 'lark', definition: text(description + 3) } },
    ];
    const body: Record<string, unknown> = { model: 'codex-model', input, tools, tool_choice: 'auto', parallel_tool_calls: true, store: false, stream: true, include: ['reasoning.encrypted_content'] };
    if (instructions !== undefined) body.instructions = text(instructions);
    if (effort) body.reasoning = { effort, summary: 'auto' };
    return { body, model };
  });
