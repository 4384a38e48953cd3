import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { definePlugin, jsonEvent, eventJson, type StreamEvent } from '../../src/index.js';
import { sseText } from '../support/mock-upstream.js';
import { gatewayWith } from './helpers.js';

const setup = (handler: Parameters<typeof gatewayWith>[0], extra: Parameters<typeof gatewayWith>[1] = []) => gatewayWith(handler, extra);

describe('byte passthrough', () => {
  it('returns upstream SSE bytes unchanged, split at an odd byte, and the body upstream is the inbound bytes', async () => {
    const sse = Buffer.from(sseText([{ type: 'response.created', response: { id: 'r' } }, { type: 'response.completed', response: { id: 'r', note: 'héllo ✓' } }]));
    const { mock, gw } = await setup(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-provider-trace': 'visible', 'keep-alive': 'timeout=5' });
      res.write(sse.subarray(0, 48));
      await new Promise((r) => setTimeout(r, 20));
      res.end(sse.subarray(48));
    });
    const body = '{"model":"m",  "input":[{"type":"message","encrypted_content":"abc"}]}';
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-provider-trace')).toBe('visible');
    expect(res.headers.get('keep-alive')).not.toBe('timeout=5');
    expect(Buffer.from(await res.arrayBuffer()).equals(sse)).toBe(true);
    expect(mock.requests[0]!.body.toString()).toBe(body);
  });

  it('sends upstream the exact body a client wrote in pieces, with or without a declared length', async () => {
    const { mock, gw } = await setup((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    const body = Buffer.from(JSON.stringify({ model: 'm', input: 'é✓'.repeat(200_000) }));
    const pieces = [body.subarray(0, 1), body.subarray(1, 70_001), body.subarray(70_001, 300_003), body.subarray(300_003)];
    for (const declared of [true, false]) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', ...(declared ? { 'content-length': body.length } : {}) } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        const next = (i: number) => (i === pieces.length ? req.end() : req.write(pieces[i], () => setTimeout(() => next(i + 1), 5)));
        next(0);
      });
      expect(status).toBe(200);
    }
    expect(mock.requests.map((r) => r.body.equals(body))).toEqual([true, true]);
  });

  it('passes upstream error statuses and bodies through', async () => {
    const { gw } = await setup((_req, res) => void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad"}}'));
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('{"error":{"message":"bad"}}');
  });
});

describe('stream-chunk plugins', () => {
  it('rewrite, drop and add events', async () => {
    const rewriter = definePlugin({
      name: 'rewriter',
      apply({ hooks }) {
        hooks.streamChunk.tap('rewriter', (events: StreamEvent[]) =>
          events.flatMap((ev) => {
            const data = eventJson(ev) as { type?: string } | undefined;
            if (data?.type === 'drop.me') return [];
            if (data?.type === 'response.created') return [ev, jsonEvent({ type: 'added.after.created' })];
            return [ev];
          }),
        );
      },
    });
    const { gw } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sseText([{ type: 'response.created' }, { type: 'drop.me' }, { type: 'response.completed', response: { id: 'x' } }]));
    }, [rewriter]);
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    const text = await res.text();
    const types = [...text.matchAll(/"type":"([^"]+)"/g)].map((m) => m[1]);
    expect(types).toEqual(['response.created', 'added.after.created', 'response.completed']);
  });
});
