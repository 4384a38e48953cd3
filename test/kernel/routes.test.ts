import { request } from 'undici';
import { definePlugin } from '../../src/index.js';
import { describe, expect, it } from 'vitest';
import { sendSse, responsesTextStream } from '../support/mock-upstream.js';
import { gatewayWith, json, started } from './helpers.js';

const errorShape = { error: { message: expect.any(String), type: expect.any(String), code: expect.any(String) } };

describe('routes and local error shapes', () => {
  it('GET /health answers the chains and their plugins', async () => {
    const gw = await started({ plugins: [], providers: { deepseek: { plugins: [] } } });
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ ok: true, service: 'codex-code-router', providers: { default: { prefix: '' }, deepseek: { prefix: '/deepseek' } } });
  });

  it('unknown routes get a JSON 404 naming the supported endpoints', async () => {
    const gw = await started({ plugins: [], providers: { deepseek: { plugins: [] } } });
    for (const path of ['/nope', '/responses', '/v1/responses/', '/v1/chat/completions', '/other/v1/responses']) {
      const res = await fetch(`${gw.url}${path}`, { method: 'POST', body: '{}' });
      expect(res.status, path).toBe(404);
      const body = await json(res);
      expect(body).toMatchObject(errorShape);
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).toContain('POST /deepseek/v1/responses');
    }
  });

  it('a known route with a wrong method gets a JSON 405 with Allow', async () => {
    const gw = await started({ plugins: [] });
    const get = await fetch(`${gw.url}/v1/responses`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await json(get)).error.code).toBe('method_not_allowed');
    const post = await fetch(`${gw.url}/v1/models`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('answers a WebSocket upgrade on /v1/responses with 426 so Codex falls back to HTTP at once', async () => {
    const gw = await started({ plugins: [] });
    const res = await request(`${gw.url}/v1/responses`, { headers: { upgrade: 'websocket', connection: 'upgrade' } }).catch((e: unknown) => e);
    // undici refuses to send an upgrade through `request`; use a raw socket instead.
    expect(res).toBeInstanceOf(Error);
    const { connect } = await import('node:net');
    const url = new URL(gw.url);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`GET /v1/responses HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
        if (data.includes('\r\n\r\n') && data.includes('}')) socket.end();
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 426/);
    expect(text).toContain('websocket_unsupported');
  });

  it('a chain without an upstream answers a JSON error instead of hanging', async () => {
    const gw = await started({ plugins: [] });
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    expect((await json(res)).error.code).toBe('no_upstream');
  });
});

describe('security guard', () => {
  it('refuses a foreign Host (DNS rebinding) and a browser Origin with 403 JSON', async () => {
    const gw = await started({ plugins: [] });
    const rebound = await request(`${gw.url}/health`, { headers: { host: 'attacker.example:60001' } });
    expect(rebound.statusCode).toBe(403);
    expect(((await rebound.body.json()) as { error: { code: string } }).error.code).toBe('host_not_allowed');
    const cross = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}', headers: { origin: 'https://evil.example' } });
    expect(cross.status).toBe(403);
    expect((await json(cross)).error.code).toBe('origin_not_allowed');
    for (const host of ['localhost:1', '127.0.0.1', '[::1]:8']) {
      const ok = await request(`${gw.url}/health`, { headers: { host } });
      expect(ok.statusCode, host).toBe(200);
      await ok.body.dump();
    }
  });

  it('honours the allow-lists', async () => {
    const gw = await started({ plugins: [], server: { allowedHosts: ['gw.internal'], allowedOrigins: ['https://tool.example'] } });
    const res = await request(`${gw.url}/health`, { headers: { host: 'gw.internal:60001', origin: 'https://tool.example' } });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });

  it('requires the local API key on every request when one is set', async () => {
    const gw = await started({ plugins: [], server: { apiKey: 'local-key-0123456789' } });
    expect((await fetch(`${gw.url}/health`)).status).toBe(401);
    expect((await fetch(`${gw.url}/health`, { headers: { 'x-ccrx-api-key': 'wrong-key-0123456789' } })).status).toBe(401);
    expect((await fetch(`${gw.url}/health`, { headers: { 'x-ccrx-api-key': 'local-key-0123456789' } })).status).toBe(200);
    expect((await fetch(`${gw.url}/health`, { headers: { authorization: 'Bearer local-key-0123456789' } })).status).toBe(200);
  });

  it("guards Codex's own routes too (they are served ahead of the router), and never forwards the local key", async () => {
    // A plugin that would pass Codex's Authorization on: the guard must have removed the local key before it runs.
    const forwardsAuthorization = definePlugin({
      name: 'forwards-authorization',
      apply: ({ hooks }) =>
        void hooks.request.tap('forwards-authorization', (ex) => {
          ex.upstream.headers['x-inbound-authorization'] = ex.inbound.headers.authorization ?? 'absent';
          return undefined;
        }),
    });
    const { mock, gw } = await gatewayWith((_req, res) => void sendSse(res, responsesTextStream('ok')), [forwardsAuthorization], { server: { apiKey: 'local-key-0123456789' } });
    const post = (headers: Record<string, string>) => request(`${gw.url}/v1/responses`, { method: 'POST', body: '{}', headers });
    const rebound = await post({ host: 'attacker.example:60001', 'x-ccrx-api-key': 'local-key-0123456789' });
    expect(rebound.statusCode).toBe(403);
    expect(((await rebound.body.json()) as { error: { code: string } }).error.code).toBe('host_not_allowed');
    const keyless = await post({});
    expect(keyless.statusCode).toBe(401);
    await keyless.body.dump();
    expect(mock.requests).toHaveLength(0);
    const served = await post({ authorization: 'Bearer local-key-0123456789' });
    expect(served.statusCode).toBe(200);
    expect(await served.body.text()).toContain('response.completed');
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]!.headers['x-inbound-authorization']).toBe('absent');
  });
});
