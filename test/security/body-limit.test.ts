import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, type RouterConfig } from '../../src/index.js';
import { sendJson, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { upstreamTo } from '../support/upstream-plugin.js';

// A local process (or a page that got through) must not make the gateway hold an unbounded body: every chain has
// the server's limit, provider chains and plugin routes included, with or without the body-limit plugin.

const MiB = 1024 * 1024;
let mock: MockUpstream;
const started: StartedRouter[] = [];

beforeAll(async () => {
  mock = await startMockUpstream((req, res) => sendJson(res, 200, { received: req.body.length }));
});

afterAll(async () => {
  for (const gw of started) await gw.close();
  await mock?.close();
});

const echoRoute = definePlugin({
  name: 'echo-route',
  apply: ({ addRoute }) => addRoute({ method: 'POST', path: '/echo', handle: ({ body }) => ({ status: 200, body: { received: body.length } }) }),
});

/** The top-level chain and a provider chain, neither with the body-limit plugin. */
async function gateway(server: RouterConfig['server'], env: Record<string, string> = {}): Promise<string> {
  const gw = await startRouter({ plugins: [upstreamTo(mock), echoRoute], providers: { other: { plugins: [upstreamTo(mock)] } }, server }, { env });
  started.push(gw);
  return gw.url;
}

/** Streams `total` bytes (chunked, or under a declared length) until the gateway answers; what it wrote and saw. */
function upload(url: string, total: number, declared?: number): Promise<{ status: number; code: string | undefined; written: number }> {
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (declared !== undefined) headers['content-length'] = declared;
    const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: text.startsWith('{') ? (JSON.parse(text) as { error?: { code?: string } }).error?.code : undefined, written }));
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const pump = () => {
      while (!answered && written < total) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (written >= total) req.end();
    };
    pump();
  });
}

describe('the body limit applies to every chain', () => {
  it.each([
    ['REQUEST_BODY_LIMIT_BYTES', undefined, { REQUEST_BODY_LIMIT_BYTES: String(MiB) }],
    ['server.maxBodyBytes', { maxBodyBytes: MiB }, {}],
  ] as const)('%s=1 MiB: a 3 MiB body is refused on the top level, a provider chain and a plugin route', async (_name, server, env) => {
    const url = await gateway(server, env);
    const before = mock.requests.length;
    for (const path of ['/v1/responses', '/other/v1/responses', '/echo']) {
      const chunked = await upload(`${url}${path}`, 3 * MiB);
      expect({ path, status: chunked.status, code: chunked.code }).toEqual({ path, status: 413, code: 'request_body_too_large' });
      const declared = await upload(`${url}${path}`, 3 * MiB, 3 * MiB);
      expect({ path, status: declared.status }).toEqual({ path, status: 413 });
    }
    expect(mock.requests.length).toBe(before);
    // At the limit it still passes, on every chain.
    for (const path of ['/v1/responses', '/other/v1/responses', '/echo']) expect((await upload(`${url}${path}`, MiB)).status).toBe(200);
  });

  it('by default, a body past 128 MiB is refused by its declared length, before it is read', async () => {
    const url = await gateway(undefined);
    const answer = await upload(`${url}/other/v1/responses`, 200 * MiB, 200 * MiB);
    expect(answer.status).toBe(413);
    expect(answer.written).toBeLessThan(32 * MiB);
  });

  it('by default, a large body of the kind Codex sends (images inline) passes', async () => {
    const url = await gateway(undefined);
    expect((await upload(`${url}/other/v1/responses`, 24 * MiB)).status).toBe(200);
  });

  it('REQUEST_BODY_LIMIT_BYTES=0 lifts the limit; a value that is not a byte count stops startup', async () => {
    const url = await gateway(undefined, { REQUEST_BODY_LIMIT_BYTES: '0' });
    expect((await upload(`${url}/other/v1/responses`, 2 * MiB)).status).toBe(200);
    await expect(gateway(undefined, { REQUEST_BODY_LIMIT_BYTES: '1e6' })).rejects.toThrow(/REQUEST_BODY_LIMIT_BYTES must be a number of bytes/);
  });
});
