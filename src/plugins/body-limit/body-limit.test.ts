import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { sendJson, startMockUpstream } from '../../../test/support/mock-upstream.js';
import { startRouter } from '../../../test/support/router.js';
import { upstreamTo } from '../../../test/support/upstream-plugin.js';
import bodyLimit, { type BodyLimitOptions } from './index.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(options?: Partial<BodyLimitOptions>, env: Record<string, string> = {}) {
  const mock = await startMockUpstream((req, res) => sendJson(res, 200, { received: req.body.length }));
  cleanup.push(() => mock.close());
  const gw = await startRouter({ plugins: [upstreamTo(mock), options ? [bodyLimit, options] : bodyLimit] }, { env });
  cleanup.push(() => gw.close());
  return { mock, gw };
}

const post = (url: string, body: Buffer) => fetch(`${url}/v1/responses`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

/** Streams `total` bytes in 64 KiB chunks (chunked, or with a declared length), stopping when the gateway answers. */
function streamBody(url: string, total: number, declared?: number): Promise<{ status: number; body: string; written: number }> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (declared !== undefined) headers['content-length'] = declared;
    const req = request(`${url}/v1/responses`, { method: 'POST', headers }, (res) => {
      answered = true;
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, written }));
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

describe('body-limit', () => {
  it('accepts a body over 2 MiB by default', async () => {
    const { mock, gw } = await setup();
    const body = Buffer.alloc(2 * 1024 * 1024 + 1, 0x20);
    const res = await post(gw.url, body);
    expect(res.status).toBe(200);
    expect(mock.requests[0]!.body.equals(body)).toBe(true);
  });

  it('accepts a body at the limit and refuses one byte more with 413 and no upstream call', async () => {
    const { mock, gw } = await setup({ maxBytes: 1024 });
    expect((await post(gw.url, Buffer.alloc(1024, 0x20))).status).toBe(200);
    const res = await post(gw.url, Buffer.alloc(1025, 0x20));
    expect(res.status).toBe(413);
    const { error } = (await res.json()) as { error: { type: string; code: string; message: string } };
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'request_body_too_large' });
    expect(error.message).toContain('REQUEST_BODY_LIMIT_BYTES');
    expect(mock.requests).toHaveLength(1);
  });

  it("REQUEST_BODY_LIMIT_BYTES (the server's limit) holds on its chain whatever its maxBytes", async () => {
    const { mock, gw } = await setup(undefined, { REQUEST_BODY_LIMIT_BYTES: '1024' });
    expect((await post(gw.url, Buffer.alloc(1025, 0x20))).status).toBe(413);
    expect(mock.requests).toHaveLength(0);
  });

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    const { mock, gw } = await setup({ maxBytes: 1024 * 1024 });
    const out = await streamBody(gw.url, 50_000_000, 50_000_000);
    expect(out.status).toBe(413);
    expect(out.body).toContain('50000000 bytes');
    expect(out.written).toBeLessThan(16 * 1024 * 1024);
    expect(mock.requests).toHaveLength(0);
  });

  it('stops reading a 50 MB chunked body at the limit, without holding it in memory', async () => {
    const { mock, gw } = await setup({ maxBytes: 1024 * 1024 });
    const before = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.arrayBuffers - before.arrayBuffers, now.heapUsed - before.heapUsed);
    }, 5);
    const out = await streamBody(gw.url, 50_000_000).finally(() => clearInterval(sampler));
    expect(out.status).toBe(413);
    expect(out.written).toBeLessThan(16 * 1024 * 1024);
    expect(peak).toBeLessThan(24 * 1024 * 1024);
    expect(mock.requests).toHaveLength(0);
  });
});
