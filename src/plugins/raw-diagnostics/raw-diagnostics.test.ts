import { tempDir } from '../../../test/support/temp.js';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createRouter, definePlugin, type RouterHandle } from '../../index.js';
import { sendJson, sendSse, startMockUpstream, type MockUpstream } from '../../../test/support/mock-upstream.js';
import bodyLimit from '../body-limit/index.js';
import retry429 from '../retry-429/index.js';
import rawDiagnostics from './index.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** Secrets planted in headers, bodies, URLs and SSE events; none may reach the diagnostics file or the logs. */
const SECRET = {
  inboundBearer: 'tid=0123abcd;exp=1760000000;sku=copilot_for_business;proxy-ep=proxy.business.githubcopilot.com;8kp=1:4f2e9c0d',
  upstreamBearer: 'gho_ZZZZyyyyXXXXwwww0987654321',
  cookie: 'cookie-value-only-known-by-key-4711',
  apiKeyHeader: 'sk-proj-HEADERabcdefghijklmnopqrst',
  bodyApiKey: 'sk-ant-BODYabcdefghijklmnopqrstuvwx',
  promptGhp: 'ghp_1111aaaa2222bbbb3333cccc',
  promptJwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  encrypted: 'gAAAA-ENCRYPTED-REQUEST-PAYLOAD-9876',
  urlQuery: 'url-query-secret-5555',
  rateLimitGhs: 'ghs_9999qqqq8888rrrr7777',
  sseGithubPat: 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
  sseEncrypted: 'gAAAA-ENCRYPTED-RESPONSE-PAYLOAD-1234',
  setCookie: 'upstream-session-cookie-8080',
};
const PROMPT = 'PROMPT-MARKER please summarise';
const ANSWER = 'ANSWER-MARKER done';

function testChain(mock: MockUpstream) {
  return definePlugin({
    name: 'test-chain',
    apply({ hooks }) {
      hooks.request.tapPromise('test-chain', async (ex) => {
        ex.upstream.url = new URL(`/responses?token=${SECRET.urlQuery}`, mock.url);
        return undefined;
      });
      hooks.authorize.tapPromise('test-chain', async () => ({ source: 'test', refreshable: false, authorization: `Bearer ${SECRET.upstreamBearer}` }));
    },
  });
}

async function startMock() {
  const mock = await startMockUpstream((_req, res, index) => {
    if (index === 0) return sendJson(res, 429, { error: { code: 'rate_limited', message: `limited for ${SECRET.rateLimitGhs}` } }, { 'retry-after': '0' });
    return sendSse(
      res,
      [
        { type: 'response.created', response: { id: 'resp_1', status: 'in_progress', output: [] } },
        { type: 'response.output_item.done', output_index: 0, item: { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: SECRET.sseEncrypted } },
        { type: 'response.output_item.done', output_index: 1, item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `${ANSWER} ${SECRET.sseGithubPat}` }] } },
        { type: 'response.completed', response: { id: 'resp_1', status: 'completed', usage: { input_tokens: 5, output_tokens: 2 } } },
      ],
      { headers: { 'set-cookie': `sid=${SECRET.setCookie}`, 'x-request-id': 'upstream-req-1' } },
    );
  });
  cleanup.push(() => mock.close());
  return mock;
}

async function start(env: Record<string, string>, mock: MockUpstream) {
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', pretty: false, destination: { write: (line: string) => void logs.push(line) } });
  const router: RouterHandle = await createRouter(
    { plugins: [testChain(mock), [retry429, { minSleepMs: 1, maxSleepMs: 2 }], rawDiagnostics] },
    { env, logger, overrides: { port: 0, host: '127.0.0.1' } },
  );
  const { url } = await router.listen();
  return { router, url, logs };
}

const body = JSON.stringify({
  model: 'gpt-5.1-codex',
  reasoning: { effort: 'high', summary: 'auto' },
  stream: true,
  api_key: SECRET.bodyApiKey,
  input: [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: `${PROMPT} ${SECRET.promptGhp} and ${SECRET.promptJwt}` }] },
    { type: 'reasoning', id: 'rs_0', summary: [], encrypted_content: SECRET.encrypted },
  ],
  tools: [],
});

async function runLevel(level: string) {
  const file = join(await Promise.resolve(tempDir('ccrx-raw-')), 'diag.jsonl');
  const mock = await startMock();
  const gw = await start({ CODEX_CODE_ROUTER_RAW_LOG_LEVEL: level, CODEX_CODE_ROUTER_RAW_LOG_FILE: file }, mock);
  const res = await fetch(`${gw.url}/v1/responses`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET.inboundBearer}`, cookie: `c=${SECRET.cookie}`, 'x-api-key': SECRET.apiKeyHeader, 'x-codex-window-id': 'w1' },
  });
  const text = await res.text();
  await gw.router.close();
  const raw = await readFile(file, 'utf8');
  const events = raw.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; fields: Record<string, any> }); // eslint-disable-line @typescript-eslint/no-explicit-any
  return { status: res.status, text, raw, events, logs: gw.logs.join(''), file, mock };
}

describe('raw-diagnostics', () => {
  it.each(['metadata', 'content_redacted', 'full_content'])('never writes a planted secret at level %s, in the file or the logs', async (level) => {
    const out = await runLevel(level);
    expect(out.status).toBe(200);
    expect(out.text).toContain(SECRET.sseGithubPat);
    expect(out.mock.requests).toHaveLength(2);
    for (const [name, secret] of Object.entries(SECRET)) {
      expect(out.raw.includes(secret), `${name} in diagnostics`).toBe(false);
      expect(out.logs.includes(secret), `${name} in logs`).toBe(false);
    }
    expect(out.logs).toContain('raw diagnostics are enabled');
    expect((await stat(out.file)).mode & 0o777).toBe(0o600);
  });

  it('records the lifecycle at metadata level without content', async () => {
    const { events, raw } = await runLevel('  METADATA ');
    const kinds = events.map((e) => e.kind);
    expect(kinds).toEqual(['inbound_request', 'upstream_attempt', 'upstream_response', 'upstream_attempt', 'upstream_response', 'upstream_stream_completed']);
    const [inbound] = events;
    expect(inbound!.fields).toMatchObject({ target: 'Responses', body_len: Buffer.byteLength(body), forwarded_codex_headers: ['x-codex-window-id'] });
    const ids = new Set(events.map((e) => e.fields.local_id));
    expect(ids.size).toBe(1);
    expect(events[3]!.fields.replay).toMatchObject({ reason: expect.stringContaining('upstream 429'), after_ms: 1 });
    expect(events[3]!.fields.upstream_url).toMatch(/\/responses$/);
    expect(events[3]!.fields.upstream_headers.authorization).toBe('<redacted>');
    expect(events[4]!.fields.upstream_request_id).toMatch(/^hash:/);
    const end = events[5]!.fields;
    expect(end.byte_count).toBeGreaterThan(0);
    expect(end.chunk_count).toBeGreaterThanOrEqual(1);
    expect(end).toMatchObject({ status: 200, upstream_status: 200, attempt_count: 2, outcome: 'completed' });
    expect(raw).not.toContain('PROMPT-MARKER');
    expect(raw).not.toContain('ANSWER-MARKER');
  });

  it('keeps structure but no strings at content_redacted', async () => {
    const { events, raw } = await runLevel('content_redacted');
    const request = events.find((e) => e.kind === 'inbound_request_content')!.fields.snapshot;
    expect(request).toMatchObject({ schema_version: 1, direction: 'request', format: 'json', extracted: { reasoning_effort: '<redacted-content>', stream: true, tools: { count: 0 } } });
    const response = events.find((e) => e.kind === 'upstream_response_content')!.fields;
    expect(response).toMatchObject({ source: 'stream_completed', snapshot: { direction: 'response', format: 'sse' } });
    expect(raw).not.toContain('PROMPT-MARKER');
    expect(raw).not.toContain('ANSWER-MARKER');
    expect(raw).not.toContain('"high"');
  });

  it('shows the prompt, effort and answer at full_content', async () => {
    const { events, raw } = await runLevel('full_content');
    expect(raw).toContain('"reasoning_effort":"high"');
    expect(raw).toContain('PROMPT-MARKER');
    expect(raw).toContain('ANSWER-MARKER');
    const response = events.find((e) => e.kind === 'upstream_response_content')!.fields.snapshot;
    const done = (response.content as { data?: { item?: { encrypted_content?: string } } }[]).find((e) => e.data?.item?.encrypted_content);
    expect(done?.data?.item?.encrypted_content).toBe('<redacted>');
  });

  it('replaces an oversized event with a truncation marker', async () => {
    const file = join(await Promise.resolve(tempDir('ccrx-raw-')), 'diag.jsonl');
    const mock = await startMock();
    const gw = await start({ CODEX_CODE_ROUTER_RAW_LOG_LEVEL: 'full_content', CODEX_CODE_ROUTER_RAW_LOG_FILE: file, CODEX_CODE_ROUTER_RAW_LOG_MAX_BYTES: '1024' }, mock);
    const big = JSON.stringify({ model: 'm', input: Array.from({ length: 20 }, (_, i) => ({ type: 'message', role: 'user', content: `${i} ${'words '.repeat(60)}` })) });
    await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: big })).text();
    await gw.router.close();
    const events = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; fields: Record<string, unknown> });
    expect(events.find((e) => e.fields.original_kind === 'inbound_request_content')).toMatchObject({ kind: 'diagnostic_event_truncated', fields: { max_bytes: 1024 } });
    for (const line of (await readFile(file, 'utf8')).trim().split('\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(1024);
  });

  it('stops startup on an unknown level with the original message', async () => {
    const mock = await startMock();
    await expect(start({ CODEX_CODE_ROUTER_RAW_LOG_LEVEL: 'enabled' }, mock)).rejects.toThrow(
      'Invalid value for CODEX_CODE_ROUTER_RAW_LOG_LEVEL: enabled. Expected one of: off, metadata, content_redacted, full_content',
    );
  });

  it('records a request refused before its body was read', async () => {
    const file = join(await Promise.resolve(tempDir('ccrx-raw-')), 'diag.jsonl');
    const mock = await startMock();
    const router = await createRouter(
      { plugins: [[bodyLimit, { maxBytes: 1024 }], testChain(mock), rawDiagnostics] },
      { env: { CODEX_CODE_ROUTER_RAW_LOG_LEVEL: 'content_redacted', CODEX_CODE_ROUTER_RAW_LOG_FILE: file }, logger: createLogger({ level: 'silent', pretty: false }), overrides: { port: 0, host: '127.0.0.1' } },
    );
    const { url } = await router.listen();
    expect((await fetch(`${url}/v1/responses`, { method: 'POST', body: Buffer.alloc(2048, 0x20) })).status).toBe(413);
    await router.close();
    const events = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; fields: Record<string, unknown> });
    expect(events.map((e) => e.kind)).toEqual(['inbound_request', 'inbound_request_content', 'exchange_error', 'upstream_response_content']);
    expect(events[2]!.fields).toMatchObject({ status: 413, error_code: 'request_body_too_large', attempt_count: 0 });
    expect(mock.requests).toHaveLength(0);
  });

  it('writes nothing when off', async () => {
    const dir = await Promise.resolve(tempDir('ccrx-raw-'));
    const mock = await startMock();
    const gw = await start({ CODEX_CODE_ROUTER_RAW_LOG_FILE: join(dir, 'diag.jsonl') }, mock);
    await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body })).text();
    await gw.router.close();
    await expect(stat(join(dir, 'diag.jsonl'))).rejects.toThrow();
  });
});
