import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { drained, eventTypes, send } from './support.js';

// A misbehaving Chat upstream on a translated chain: an event that never ends its line, a stream that never ends.
// The gateway holds neither whole, reads no more than its bounds, and ends Codex's stream with a terminal
// response.failed naming the bound.

const MiB = 1024 * 1024;
let chat: MockUpstream;
/** Bytes the upstream managed to send per request, by the request's `fault`. */
const sent = new Map<string, number>();
const gateways: StartedRouter[] = [];

const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

/** Writes `piece()` until `total` bytes are out or the gateway hangs up, honouring backpressure. */
async function pour(res: ServerResponse, fault: string, total: number, piece: () => string): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk('start'));
  let out = 0;
  while (out < total && !res.destroyed) {
    const text = piece();
    out += text.length;
    sent.set(fault, out);
    if (!res.write(text)) await drained(res);
  }
  res.end();
}

beforeAll(async () => {
  chat = await startMockUpstream(async (req, res) => {
    const fault = (req.json() as { model: string }).model;
    const line = 'x'.repeat(64 * 1024);
    // One `data:` line that never ends: 40 MiB of a string without a newline.
    if (fault === 'endless-line') return pour(res, fault, 40 * MiB, () => (sent.get(fault) ? line : `data: {"choices":[{"index":0,"delta":{"content":"${line}`));
    // A well-formed stream that never finishes.
    if (fault === 'endless-stream') return pour(res, fault, 200 * MiB, () => chunk('token ').repeat(200));
    res.writeHead(500).end();
  });
});

afterAll(async () => {
  for (const gw of gateways) await gw.close();
  await chat?.close();
});

async function gateway(upstream?: Record<string, number>): Promise<string> {
  const gw = await startRouter({ plugins: [['chat-translator', { baseUrl: `${chat.url}/v1`, apiKey: 'sk-test-key-0000000000' }]], upstream });
  gateways.push(gw);
  return gw.url;
}

/** The terminal event's error code, or what the stream ended with instead. */
function failure(body: Buffer): string | undefined {
  const last = [...body.toString('utf8').matchAll(/^data: (.*)$/gm)].at(-1)?.[1];
  const event = last ? (JSON.parse(last) as { type: string; response?: { error?: { code?: string } } }) : undefined;
  return event?.type === 'response.failed' ? event.response?.error?.code : event?.type;
}

describe('translated streams are bounded', () => {
  it('a line without a newline past the default 8 Mi characters ends in response.failed upstream_event_too_large, not read whole', async () => {
    const url = await gateway();
    const seen = await send(`${url}/v1/responses`, { body: '{"model":"endless-line","input":"hi","stream":true}', deadlineMs: 30_000 });
    expect(seen.status).toBe(200);
    expect(seen.cut).toBe(false);
    expect(failure(seen.body)).toBe('upstream_event_too_large');
    expect(eventTypes(seen.body).at(-1)).toBe('response.failed');
    expect(sent.get('endless-line')).toBeLessThan(20 * MiB);
  }, 40_000);

  it('upstream.maxEventChars lowers it', async () => {
    sent.delete('endless-line');
    const url = await gateway({ maxEventChars: MiB });
    const seen = await send(`${url}/v1/responses`, { body: '{"model":"endless-line","input":"hi","stream":true}', deadlineMs: 30_000 });
    expect(failure(seen.body)).toBe('upstream_event_too_large');
    expect(sent.get('endless-line')).toBeLessThan(8 * MiB);
  }, 40_000);

  it('a stream past upstream.maxStreamBytes ends in response.failed upstream_stream_too_large and stops reading', async () => {
    const url = await gateway({ maxStreamBytes: 4 * MiB });
    const seen = await send(`${url}/v1/responses`, { body: '{"model":"endless-stream","input":"hi","stream":true}', deadlineMs: 30_000 });
    expect(seen.status).toBe(200);
    expect(failure(seen.body)).toBe('upstream_stream_too_large');
    expect(eventTypes(seen.body)).toContain('response.output_text.delta');
    expect(sent.get('endless-stream')).toBeLessThan(40 * MiB);
  }, 40_000);

  it('the bounds are validated as config', async () => {
    await expect(gateway({ maxEventChars: 10 })).rejects.toThrow(/maxEventChars must be >= 1024/);
    await expect(gateway({ maxStreamBytes: -1 })).rejects.toThrow(/maxStreamBytes must be >= 0/);
  });
});
