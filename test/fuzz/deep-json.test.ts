import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createRouter, definePlugin, Stage } from '../../src/index.js';
import { responsesTextStream, sendJson, sendSse, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { tempDir } from '../support/temp.js';
import { upstreamTo } from '../support/upstream-plugin.js';
import { eventTypes } from '../faults/support.js';

// JSON nested far deeper than any real request: a client's mistake, answered with a 4xx, never a 500 of the
// gateway's; and what only observes a request (diagnostics) never fails it, however it breaks.

const DEPTH = 100_000;
const deepObject = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
const deepArray = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;

let responses: MockUpstream;
let chat: MockUpstream;
const gateways: StartedRouter[] = [];

beforeAll(async () => {
  responses = await startMockUpstream((_req, res) => sendSse(res, responsesTextStream('ok')));
  chat = await startMockUpstream((_req, res) => sendJson(res, 500, { error: { message: 'the gateway should not have called' } }));
});

afterAll(async () => {
  for (const gw of gateways) await gw.close();
  await responses?.close();
  await chat?.close();
});

async function gateway(...args: Parameters<typeof startRouter>): Promise<string> {
  const gw = await startRouter(...args);
  gateways.push(gw);
  return gw.url;
}

const post = (url: string, body: string) => fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('deeply nested JSON', () => {
  it('a 100k-deep tool `parameters` on the chat chain is a 400, and nothing is sent upstream', async () => {
    const url = await gateway({ plugins: [['chat-translator', { baseUrl: `${chat.url}/v1`, apiKey: 'sk-test-key-0000000000' }]] });
    const res = await post(url, `{"model":"m","input":"hi","stream":true,"tools":[{"type":"function","name":"f","parameters":${deepObject}}]}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect(chat.requests).toHaveLength(0);
  });

  it.each(['content_redacted', 'full_content'])('with raw diagnostics at %s, a 100k-deep `model` still reaches the upstream and its answer Codex', async (level) => {
    const dir = tempDir('deep-json-');
    const file = join(dir, 'raw.jsonl');
    const before = responses.requests.length;
    const url = await gateway({ plugins: [['raw-diagnostics', { level, file }], upstreamTo(responses)] });
    const res = await post(url, `{"model":${deepArray},"input":[],"stream":true}`);
    expect(res.status).toBe(200);
    expect(eventTypes(Buffer.from(await res.text())).at(-1)).toBe('response.completed');
    expect(responses.requests.length).toBe(before + 1);
    // The diagnostics of the exchange still end with its outcome.
    await new Promise((r) => setTimeout(r, 100));
    expect(await readFile(file, 'utf8')).toContain('"upstream_stream_completed"');
  });
});

describe('observers never fail a request', () => {
  it('a throwing observer tap (flagged, or on responseBytes and exchangeEnd) is logged and the answer goes on', async () => {
    const broken = definePlugin({
      name: 'broken-observer',
      apply({ hooks }) {
        const fail = () => {
          throw new RangeError('Maximum call stack size exceeded');
        };
        hooks.request.tap({ name: 'broken-observer', stage: Stage.Guard, observer: true }, fail);
        hooks.attempt.tapPromise({ name: 'broken-observer', observer: true }, async () => fail());
        hooks.upstreamResponse.tap({ name: 'broken-observer', stage: Stage.Guard, observer: true }, fail);
        hooks.streamChunk.tap({ name: 'broken-observer', observer: true }, fail);
        hooks.responseBytes.tap('broken-observer', fail);
        hooks.exchangeEnd.tap('broken-observer', fail);
      },
    });
    const lines: string[] = [];
    const logger = createLogger({ level: 'error', pretty: false, destination: { write: (line: string) => void lines.push(line) } });
    const router = await createRouter({ plugins: [upstreamTo(responses), broken] }, { env: {}, overrides: { port: 0, host: '127.0.0.1' }, logger });
    const { url } = await router.listen();
    try {
      const res = await post(url, '{"model":"m","input":[],"stream":true}');
      expect(res.status).toBe(200);
      expect(eventTypes(Buffer.from(await res.text())).at(-1)).toBe('response.completed');
    } finally {
      await router.close();
    }
    const failed = lines.map((line) => JSON.parse(line) as { msg: string; plugin: string; hook: string }).filter((l) => l.msg === 'an observer tap failed; the request goes on');
    expect(new Set(failed.map((l) => l.hook))).toEqual(new Set(['request', 'attempt', 'upstreamResponse', 'streamChunk', 'responseBytes', 'exchangeEnd']));
    expect(failed.every((l) => l.plugin === 'broken-observer')).toBe(true);
  });

  it('a tap that is no observer still fails the request, as before', async () => {
    const failing = definePlugin({
      name: 'failing',
      apply: ({ hooks }) =>
        void hooks.request.tap({ name: 'failing', stage: Stage.Guard }, () => {
          throw new Error('boom');
        }),
    });
    const url = await gateway({ plugins: [upstreamTo(responses), failing] });
    const res = await post(url, '{"model":"m","input":[],"stream":true}');
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('plugin_error');
  });
});
