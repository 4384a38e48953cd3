import { afterEach, describe, expect, it } from 'vitest';
import { isAscii } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { codexFixture, sharedFixtures } from '../../../test/support/fixtures.js';
import { responsesBody } from '../../../test/support/responses-bodies.js';
import { sendJson, startMockUpstream, type MockUpstream } from '../../../test/support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../../../test/support/router.js';
import { BytesCache, createLogger, keepTexts, type ConvertedTools } from '../../index.js';
import chatTranslator, { type ChatTranslatorOptions } from './index.js';
import { resolveSettings } from './presets.js';
import { encodeCarrier } from './reasoning-carrier.js';
import { translateRequest } from './request.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const codexFixtureDir = join(repoRoot, 'test', 'fixtures', 'codex-0.169');
const codexShared = sharedFixtures('codex-0.169');
const history = codexShared;
const log = createLogger({ level: 'silent', pretty: false });
const options: ChatTranslatorOptions = { baseUrl: 'http://up.test/v1', headers: {}, modelMap: {}, extraBody: {}, dropParams: {}, commitAfterMs: 1000, keepAliveMs: 10000, contextWindow: 128000, models: [], quirks: {}, reasoningCacheSize: 8, historyCacheBytes: 0, refusalAs: 'auto' };

/** Code-like text: quotes, backslashes, newlines, tabs, non-ASCII and astral characters, as a pasted file has. */
const code = (bytes: number, seed = 'a') => `// ${seed} "quoted" \\path\\ é ü 中文 😀\n\tfunction f() { return '</script>'; }\n`.repeat(Math.ceil(bytes / 80));
const dataUrl = `data:image/png;base64,${Buffer.alloc(60_000, 7).toString('base64')}`;
const repeated = code(12_000, 'repeated');

/** A real Codex request with large texts at every place a Codex session puts them, and at the places kept out. */
function largeRequest(): Record<string, unknown> {
  const body = structuredClone(codexFixture('model-gpt-5.5-apply-patch-custom-tool').body);
  const input = body.input as unknown[];
  input.push(
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: code(100_000, 'pasted') }, { type: 'input_image', image_url: dataUrl }] },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: repeated }] },
    { type: 'function_call', call_id: 'c1', name: 'exec_command', arguments: JSON.stringify({ cmd: code(20_000, 'args') }) },
    { type: 'function_call_output', call_id: 'c1', output: code(50_000, 'output') },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: repeated }] },
    { type: 'custom_tool_call', call_id: 'p1', name: 'apply_patch', input: `*** Begin Patch\n*** Add File: big.txt\n${code(20_000, '+patch')}*** End Patch\n` },
    { type: 'custom_tool_call_output', call_id: 'p1', output: [{ type: 'input_text', text: code(10_000, 'patched') }, { type: 'mystery', text: code(10_000, 'unknown part') }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: ' \n\t'.repeat(4_000) }, { type: 'input_text', text: '中文'.repeat(3_000) }] },
    { type: 'message', role: 'developer', content: code(9_000, 'developer') },
    { type: 'reasoning', summary: [], encrypted_content: `foreign.${'A'.repeat(20_000)}` },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: `${code(9_000, 'escapes')}\\u0041\\/` }] },
  );
  body.instructions = code(30_000, 'instructions');
  return body;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function gateway(): Promise<{ mock: MockUpstream; gw: StartedRouter }> {
  const mock = await startMockUpstream((_req, res) => sendJson(res, 200, { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
  cleanup.push(() => mock.close());
  const gw = await startRouter({ plugins: [[chatTranslator, { baseUrl: `${mock.url}/v1`, apiKey: 'k' }]] });
  cleanup.push(() => gw.close());
  return { mock, gw };
}

const post = (gw: StartedRouter, text: string) => fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });

describe('large texts kept as bytes through translation', () => {
  it('sends the same Chat request as translating the parsed body, with the texts as Codex sent them', async () => {
    const { mock, gw } = await gateway();
    const request = largeRequest();
    // Escapes JSON.stringify would not write: kept texts reach the provider byte for byte.
    const text = JSON.stringify(request).replace('\\\\u0041\\\\/', '\\u0041\\/');
    const res = await post(gw, text);
    expect(res.status).toBe(200);
    const sent = mock.requests[0]!;
    expect(sent.body.toString()).toContain('\\u0041\\/');
    const parsedAlone = translateRequest(JSON.parse(text), resolveSettings(options), { log });
    expect(sent.json()).toEqual(parsedAlone.body);
    // The places kept out still arrive translated: the patch serialized into the call's arguments.
    expect(JSON.stringify(sent.json())).toContain('+patch');
  });

  it("converts a session's tools once and sends them as translating each request parsed would, turn after turn", async () => {
    const { mock, gw } = await gateway();
    const first = largeRequest();
    const other = { ...largeRequest(), tools: [...(first.tools as unknown[]).slice(1), { type: 'function', name: 'late_tool', description: 'added by an MCP server', parameters: { type: 'object', properties: {} } }] };
    const turns = [first, first, other, first];
    for (const request of turns) expect((await post(gw, JSON.stringify(request))).status).toBe(200);
    turns.forEach((request, k) => {
      const sent = mock.requests[k]!.json() as { tools: { function: { name: string } }[] };
      expect(sent).toEqual(translateRequest(JSON.parse(JSON.stringify(request)), resolveSettings(options), { log }).body);
    });
    const names = (k: number) => (mock.requests[k]!.json() as { tools: { function: { name: string } }[] }).tools.map((t) => t.function.name);
    expect(names(2)).toContain('late_tool');
    expect(names(3)).not.toContain('late_tool');
  });

  it('refuses a large text or tools that are not valid JSON, as for any body, and sends none of them upstream', async () => {
    const { mock, gw } = await gateway();
    const valid = JSON.stringify(largeRequest());
    // Once its tools are converted (and their bytes remembered), the same tools spoilt are read again, and refused.
    expect((await post(gw, valid)).status).toBe(200);
    const description = JSON.stringify((largeRequest().tools as { description?: string }[]).find((t) => t.description)!.description!.slice(0, 20)).slice(1, -1);
    expect(valid.indexOf(description)).toBeGreaterThan(valid.indexOf('"tools":['));
    for (const bad of ['\u0001', '\\x', '\\u12G4', '\t']) {
      for (const text of [valid.replace('pasted', `pasted${bad}`), valid.replace(description, `${description}${bad}`)]) {
        expect(text).not.toBe(valid);
        const res = await post(gw, text);
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
      }
    }
    expect(mock.requests).toHaveLength(1);
  });

  it("keeps the texts of Codex's own requests (recorded, here and in the shared fixtures) as bytes, and sends what translating them parsed would send", () => {
    const dirs = [codexFixtureDir, ...(codexShared.available ? [codexShared.dir] : [])];
    for (const dir of dirs) {
      for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
        const text = JSON.stringify((JSON.parse(readFileSync(join(dir, name), 'utf8')) as { body: unknown }).body);
        expect(keepTexts(Buffer.from(text), KEPT_PLACES), name).toBeDefined();
        for (const settings of allSettings) expect(keptPath(text, settings), name).toBe(parsePath(text, settings));
      }
    }
    expect(fellBack).toBe(0);
  });

  it.skipIf(!history.available)(`sends what translating them parsed would send for the bench's long Codex histories${history.skip}`, async () => {
    // The bench's own builder (plain JavaScript), with this translator's carrier for the reasoning items.
    const { historyBody, loadRecorded } = (await import(pathToFileURL(join(repoRoot, 'bench', 'codex-history.mjs')).href)) as { historyBody: (recorded: unknown, options: unknown) => { text: string }; loadRecorded: (root: string) => unknown };
    const recorded = loadRecorded(repoRoot);
    for (const targetBytes of [100_000, 1_000_000, 3_000_000]) {
      const seal = (text: string, model: string) => encodeCarrier({ text, field: 'reasoning_content', model });
      const { text } = historyBody(recorded, { model: 'bench-events-20', targetBytes, seal });
      const kept = keepTexts(Buffer.from(text), KEPT_PLACES)!;
      // What is left to parse is the skeleton, ASCII, well under half the body.
      const reduced = JSON.stringify(kept.json);
      expect(reduced.length).toBeLessThan(text.length / 2);
      expect(isAscii(Buffer.from(reduced))).toBe(true);
      for (const settings of allSettings) expect(keptPath(text, settings), String(targetBytes)).toBe(parsePath(text, settings));
    }
    expect(fellBack).toBe(0);
  });

  it('replays carried reasoning as bytes, the same as translating the parsed body, whatever its text', () => {
    const turn = fc.record({ reasoning: fc.array(fc.string({ unit: 'binary', maxLength: 60 }), { maxLength: 3 }), answer: fc.constantFrom('an answer', 'a call') });
    fc.assert(
      fc.property(fc.array(turn, { minLength: 1, maxLength: 8 }), fc.constantFrom(...allSettings), (turns, settings) => {
        const input: unknown[] = [{ role: 'user', content: code(20_000, 'question') }];
        turns.forEach(({ reasoning, answer }, i) => {
          for (const text of reasoning) input.push({ type: 'reasoning', summary: [], encrypted_content: encodeCarrier({ text, field: 'reasoning_content', model: 'm' }) });
          if (answer === 'an answer') input.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `answer ${i}, long enough to be kept` }] });
          else input.push({ type: 'function_call', call_id: `c${i}`, name: 'shell', arguments: '{"cmd":"ls -la in a directory"}' });
        });
        const text = JSON.stringify({ model: 'm', input, stream: true });
        const before = fellBack;
        expect(keptPath(text, settings)).toBe(parsePath(text, settings));
        expect(fellBack).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it('sends what translating the parsed body would send, for any request', () => {
    fc.assert(
      fc.property(responsesBody, fc.constantFrom(...allSettings), (text, settings) => {
        expect(keptPath(text, settings)).toEqual(parsePath(text, settings));
      }),
      { numRuns: 600 },
    );
  });
});

/** As index.ts keeps them. */
const KEPT_PLACES = { functionArguments: true, imageUrls: true, encryptedContent: true, tools: true };
const allSettings = [resolveSettings(options), resolveSettings({ ...options, quirks: { imageModels: ['*'], reasoningField: null } })];

/** Shared by every kept path here, as a plugin's is by its requests: small, so that the generated requests evict. */
const toolsCache = new BytesCache<ConvertedTools>(4);

/** Kept bodies whose markers did not all come back whole (the translator then translates the parsed body). */
let fellBack = 0;

/** What the translator sends, kept as bytes where it can (as index.ts does), else parsed; or the error it answers. */
function keptPath(text: string, settings: ReturnType<typeof resolveSettings>): string {
  const kept = keepTexts(Buffer.from(text), KEPT_PLACES);
  if (!kept) return parsePath(text, settings);
  let translated;
  try {
    const tools = kept.toolsBytes ? { bytes: kept.toolsBytes, keepJson: kept.keepJson, cache: toolsCache } : undefined;
    translated = translateRequest(kept.json, settings, { log, keep: kept.keep, original: kept.original, tools });
  } catch (err) {
    // Tools that are not valid JSON are found only when read: as index.ts does, the body is then parsed whole.
    if (err instanceof SyntaxError) return parsePath(text, settings);
    return `error: ${(err as Error).message}`;
  }
  const restored = kept.restore(JSON.stringify(translated.body));
  if (restored) return JSON.stringify(JSON.parse(restored.toString()));
  fellBack += 1;
  return parsePath(text, settings);
}

function parsePath(text: string, settings: ReturnType<typeof resolveSettings>): string {
  try {
    return JSON.stringify(translateRequest(JSON.parse(text), settings, { log }).body);
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}
