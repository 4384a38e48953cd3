import { afterEach, describe, expect, it } from 'vitest';
import { codexFixture, codexFixtureNames } from '../../../test/support/fixtures.js';
import { sendJson, startMockUpstream, type MockUpstream } from '../../../test/support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../../../test/support/router.js';
import { createLogger, keepTexts } from '../../index.js';
import chatTranslator, { type ChatTranslatorOptions } from './index.js';
import { resolveSettings } from './presets.js';
import { translateRequest } from './request.js';

const log = createLogger({ level: 'silent', pretty: false });
const options: ChatTranslatorOptions = { baseUrl: 'http://up.test/v1', headers: {}, modelMap: {}, extraBody: {}, dropParams: {}, commitAfterMs: 1000, keepAliveMs: 10000, contextWindow: 128000, models: [], quirks: {}, reasoningCacheSize: 8, refusalAs: 'auto' };

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

  it('refuses a large text that is not valid JSON, as for any body, and sends nothing upstream', async () => {
    const { mock, gw } = await gateway();
    for (const bad of ['\u0001', '\\x', '\\u12G4', '\t']) {
      const text = JSON.stringify(largeRequest()).replace('pasted', `pasted${bad}`);
      const res = await post(gw, text);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    }
    expect(mock.requests).toHaveLength(0);
  });

  it("keeps the instructions of Codex's own requests as bytes, and sends what translating them parsed would send", () => {
    for (const name of codexFixtureNames()) {
      const body = Buffer.from(JSON.stringify(codexFixture(name).body));
      const deferred = keepTexts(body, { functionArguments: true, imageUrls: true });
      expect(deferred, name).toBeDefined();
      const kept = deferred!.restore(JSON.stringify(translateRequest(deferred!.json, resolveSettings(options), { log }).body));
      expect(kept!.toString(), name).toBe(JSON.stringify(translateRequest(JSON.parse(body.toString()), resolveSettings(options), { log }).body));
    }
  });

});
