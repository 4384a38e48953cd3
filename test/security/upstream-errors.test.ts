import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import authEnvBearer from '../../src/plugins/auth-env-bearer/index.js';
import chatTranslator from '../../src/plugins/chat-translator/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import retry429 from '../../src/plugins/retry-429/index.js';
import { startMockUpstream, type RecordedRequest } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';

// A misbehaving upstream echoes what it was sent. What Codex gets back (error text, forwarded error bodies, stream
// failures) must not hand it the credentials the gateway holds. Keys are shaped so that no value pattern knows them:
// only scrubbing the exact values sent can remove them.

const API_KEY = 'provider-key-7f3a9c2e41b8d6';
const COPILOT_TOKEN = 'copilot-session-5e8d1b7a93c2f4';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function echoing(answer: (req: RecordedRequest, res: ServerResponse, echo: string) => void | Promise<void>) {
  const upstream = await startMockUpstream((req, res) => answer(req, res, `you sent ${JSON.stringify(req.headers)}`));
  cleanup.push(() => upstream.close());
  return upstream;
}

async function gateway(config: Parameters<typeof startRouter>[0]): Promise<StartedRouter> {
  const gw = await startRouter(config);
  cleanup.push(() => gw.close());
  return gw;
}

async function post(gw: StartedRouter, body: object = { model: 'gpt-5', input: 'hi', stream: true }) {
  const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const json = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};

describe('chat-translator: upstream error text', () => {
  const translator = (url: string) => ({ plugins: [[chatTranslator, { baseUrl: `${url}/v1`, apiKey: API_KEY }]] as never });

  it.each([400, 401, 429, 500])('HTTP %i echoing the Authorization header reaches Codex without the key', async (status) => {
    const upstream = await echoing((_req, res, echo) => json(res, status, JSON.stringify({ error: { message: echo } }), { 'retry-after': '0' }));
    const gw = await gateway(translator(upstream.url));
    const answer = await post(gw);
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    // An HTTP error, or (for the codes Codex maps in-stream) a stream ending in response.failed.
    expect(answer.status >= 400 || answer.text.includes('response.failed')).toBe(true);
    expect(answer.text).toContain('you sent');
    expect(answer.text).not.toContain(API_KEY);
  });

  it('an error inside the stream echoing the key ends in response.failed without it', async () => {
    const upstream = await echoing((_req, res, echo) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'partial' }, finish_reason: null }] })}\n\n`);
      res.end(`data: ${JSON.stringify({ error: { message: echo, type: 'server_error' } })}\n\n`);
    });
    const gw = await gateway(translator(upstream.url));
    const answer = await post(gw);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('response.failed');
    expect(answer.text).not.toContain(API_KEY);
  });
});

describe('Copilot chain: forwarded error bodies', () => {
  const copilot = (url: string, extra: unknown[] = []) => ({ plugins: [[copilotUpstream, { responsesUrl: `${url}/responses` }], [authEnvBearer, { token: COPILOT_TOKEN }], ...extra] as never });

  it('a 400 that echoes the token is forwarded without it, and without the upstream set-cookie', async () => {
    const upstream = await echoing((_req, res, echo) => json(res, 400, JSON.stringify({ error: { message: echo, code: 'bad_request' } }), { 'set-cookie': 'session=copilot-cookie-value-123; HttpOnly' }));
    const gw = await gateway(copilot(upstream.url));
    const answer = await post(gw);
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${COPILOT_TOKEN}`);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('you sent');
    expect(answer.text).not.toContain(COPILOT_TOKEN);
    expect(answer.headers.get('set-cookie')).toBeNull();
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'bad_request' } });
  });

  it('a gzip-compressed error body is read to be scrubbed and forwarded unpacked', async () => {
    const upstream = await echoing((_req, res, echo) => {
      const body = gzipSync(JSON.stringify({ error: { message: echo } }));
      res.writeHead(403, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
    });
    const gw = await gateway(copilot(upstream.url));
    const answer = await post(gw);
    expect(answer.status).toBe(403);
    expect(answer.headers.get('content-encoding')).toBeNull();
    expect(answer.text).toContain('you sent');
    expect(answer.text).not.toContain(COPILOT_TOKEN);
  });

  it('a chunked 4xx error body over the 64 KiB a plugin reads is answered, not an empty reply', async () => {
    const upstream = await startMockUpstream((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.write('{"error":{"message":"slow down","padding":"');
      res.end(`${'x'.repeat(100 * 1024)}"}}`);
    });
    cleanup.push(() => upstream.close());
    const gw = await gateway(copilot(upstream.url, [[retry429, { maxRetries: 0 }]]));
    const answer = await post(gw);
    expect(answer.status).toBe(429);
    const body = JSON.parse(answer.text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('upstream_error_too_large');
    expect(body.error.message).toContain('upstream HTTP 429 with an error body too large to forward');
    expect(body.error.message).toContain('it begins: {"error":{"message":"slow down"');
  });

  it('a chunked error body of a few hundred KiB that no plugin reads is forwarded whole, scrubbed', async () => {
    const upstream = await echoing((_req, res, echo) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.write(`{"error":{"message":${JSON.stringify(echo)},"padding":"`);
      res.end(`${'y'.repeat(300 * 1024)}"}}`);
    });
    const gw = await gateway(copilot(upstream.url));
    const answer = await post(gw);
    expect(answer.status).toBe(400);
    expect(answer.text.length).toBeGreaterThan(300 * 1024);
    expect(answer.text).not.toContain(COPILOT_TOKEN);
  });
});
