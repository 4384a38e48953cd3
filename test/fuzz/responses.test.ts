import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, type PluginEntry } from '../../src/index.js';
import { codexFixture } from '../support/fixtures.js';
import { responsesTextStream, sendJson, sendSse, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { rawRequest, type RawAnswer } from './raw-http.js';

// Malformed requests against /v1/responses: whatever arrives, the gateway answers with a 4xx JSON error or a
// valid stream, never a crash, a 5xx of its own, or a hang.

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const DEADLINE_MS = 5_000;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

let responses: MockUpstream;
let chat: MockUpstream;
const gateways: { name: string; gw: StartedRouter }[] = [];

/** A chain that parses the body as JSON and checks the fields it relies on, as every translating chain does. */
function jsonReader(mock: MockUpstream) {
  return definePlugin({
    name: 'json-reader',
    apply({ hooks }) {
      hooks.request.tapPromise('json-reader', async (ex) => {
        const body = ex.inbound.json() as { input?: unknown; tools?: unknown } | null;
        void (body && typeof body === 'object' ? [body.input, body.tools] : undefined);
        ex.upstream.url = new URL('/responses', mock.url);
        return undefined;
      });
    },
  });
}

function passthrough(mock: MockUpstream) {
  return definePlugin({
    name: 'passthrough',
    apply({ hooks }) {
      hooks.request.tapPromise('passthrough', async (ex) => {
        ex.upstream.url = new URL('/responses', mock.url);
        return undefined;
      });
    },
  });
}

const translatorIndex = join(import.meta.dirname, '..', '..', 'src', 'plugins', 'chat-translator', 'index.ts');

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  responses = await startMockUpstream((_req, res) => sendSse(res, responsesTextStream('ok')));
  // A Chat Completions upstream that answers the way it was asked: a stream, or one JSON completion.
  chat = await startMockUpstream((req, res) => {
    const chunk = (delta: object, finish: string | null) => ({ id: 'c1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });
    if (req.url.includes('/models')) return sendJson(res, 200, { object: 'list', data: [{ id: 'm', object: 'model' }] });
    if ((req.json() as { stream?: unknown }).stream === true) return sendSse(res, [chunk({ role: 'assistant', content: 'ok' }, null), chunk({}, 'stop'), '[DONE]'], { eventLines: false });
    sendJson(res, 200, { id: 'c1', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
  });
  gateways.push({ name: 'passthrough', gw: await startRouter({ plugins: [passthrough(responses)] }) });
  gateways.push({ name: 'json-reader', gw: await startRouter({ plugins: [jsonReader(responses)] }) });
  if (existsSync(translatorIndex)) {
    const translator = ((await import(translatorIndex)) as { default: PluginEntry }).default;
    gateways.push({ name: 'chat-translator', gw: await startRouter({ plugins: [[translator as never, { baseUrl: chat.url, apiKey: 'fuzz' }]] }) });
  }
});

afterAll(async () => {
  await Promise.all(gateways.map(({ gw }) => gw.close()));
  await Promise.all([responses?.close(), chat?.close()]);
  process.off('unhandledRejection', onUnhandled);
});

// ----- Arbitraries -----

const valid = JSON.stringify(codexFixture('tool-loop-turn1').body);

const jsonValueWith = (field: 'input' | 'tools') =>
  fc.anything({ maxDepth: 3, withBigInt: false, withBoxedValues: false, withTypedArray: false, withSparseArray: false }).map((value) => {
    const body = JSON.parse(valid) as Record<string, unknown>;
    body[field] = value;
    return JSON.stringify(body) ?? 'null';
  });

const body: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
  fc.nat({ max: valid.length }).map((n) => Buffer.from(valid.slice(0, n))),
  fc.tuple(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => Buffer.from(open.repeat(depth) + (open === '[' ? ']'.repeat(depth) : '1' + '}'.repeat(depth)))),
  jsonValueWith('input'),
  jsonValueWith('tools'),
  fc.constantFrom('null', '[]', '""', '0', 'true', '{}', '{"input":null}', '{"model":7}', '{"__proto__":{"x":1}}').map((s) => Buffer.from(s)),
  fc.integer({ min: 100_000, max: 3_000_000 }).map((n) => Buffer.from(JSON.stringify({ model: 'gpt-5', input: 'x'.repeat(n) }))),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bad) => Buffer.concat([Buffer.from('{"model":"gpt-5","input":"'), Buffer.from(bad), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')])),
).map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b)));

const contentType = fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ';;;', 'application/json; charset=latin1');

/** How the declared length relates to the bytes sent. `chunked` frames the body instead. */
const framing = fc.constantFrom('exact', 'exact', 'exact', 'chunked', 'none', 'shorter', 'longer');

const method = fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
const path = fc.oneof(
  fc.constant('/v1/responses'),
  fc.constant('/v1/responses'),
  fc.constantFrom('/v1/responses/', '/v1/responses?stream=true&x=%ff', '/v1//responses', '/V1/RESPONSES', '/v1/responses/../responses', '/v1/models', '/', '/v1', '/health/../v1/responses'),
  fc.webPath().map((p) => p || '/'),
);

interface Case {
  method: string;
  path: string;
  contentType: string | undefined;
  framing: string;
  body: Buffer;
}

const requestCase: fc.Arbitrary<Case> = fc.record({ method, path, contentType, framing, body });

function encode(c: Case): Buffer {
  const head = [`${c.method} ${c.path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close'];
  if (c.contentType !== undefined) head.push(`content-type: ${c.contentType}`);
  let payload = c.body;
  if (c.framing === 'exact') head.push(`content-length: ${c.body.length}`);
  if (c.framing === 'shorter') head.push(`content-length: ${Math.floor(c.body.length / 2)}`);
  if (c.framing === 'longer') head.push(`content-length: ${c.body.length + 10}`);
  if (c.framing === 'chunked') {
    head.push('transfer-encoding: chunked');
    payload = c.body.length ? Buffer.concat([Buffer.from(`${c.body.length.toString(16)}\r\n`), c.body, Buffer.from('\r\n0\r\n\r\n')]) : Buffer.from('0\r\n\r\n');
  }
  if (c.framing === 'none') payload = Buffer.alloc(0);
  return Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), payload]);
}

function errorShaped(body: Buffer): boolean {
  try {
    const e = (JSON.parse(body.toString('utf8')) as { error?: Record<string, unknown> }).error;
    return !!e && typeof e.message === 'string' && typeof e.type === 'string' && (typeof e.code === 'string' || e.code === null);
  } catch {
    return false;
  }
}

/** Why an answer breaks the rule, or undefined. A body the client cut short itself may be refused by closing. */
function problem(c: Case, a: RawAnswer): string | undefined {
  if (a.hung) return 'hang';
  // A body cut short by a client that hangs up, or bytes past the declared length (parsed as a broken next request),
  // are HTTP framing errors: Node's parser rejects the connection (see the malformed-HTTP tests below).
  if (a.closedEarly) return c.framing === 'longer' || c.framing === 'shorter' ? undefined : 'connection closed without an answer';
  const status = a.status!;
  if (status >= 500) return `gateway answered ${status}: ${a.body.toString('utf8').slice(0, 200)}`;
  if (status >= 400) {
    if (c.method === 'HEAD') return undefined;
    return errorShaped(a.body) ? undefined : `${status} without an OpenAI error body: ${a.body.toString('utf8').slice(0, 200)}`;
  }
  if (status === 200 && c.path.includes('models')) return undefined;
  if (status !== 200) return `unexpected status ${status}`;
  const text = a.body.toString('utf8');
  if (a.headers['content-type']?.startsWith('application/json')) {
    // A request without `stream: true` gets one Response object (chat-translator's non-stream mode).
    const parsed = JSON.parse(text) as { object?: unknown; status?: unknown };
    return parsed.object === 'response' && parsed.status === 'completed' ? undefined : `200 JSON that is not a completed Response: ${text.slice(0, 200)}`;
  }
  return /"type":"response\.completed"/.test(text) ? undefined : `200 stream without response.completed: ${text.slice(-200)}`;
}

function describeCase(c: Case): string {
  const preview = c.body.subarray(0, 120).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return `${c.method} ${c.path} content-type=${c.contentType ?? '-'} framing=${c.framing} body=${c.body.length} bytes "${preview}"`;
}

/** Keeps a failure short: the bodies can be megabytes, fast-check would print every byte. */
async function report(details: fc.RunDetails<[Case, number]>): Promise<void> {
  if (!details.failed) return;
  const message = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(`fuzz failed after ${details.numRuns} runs (seed ${details.seed}, path "${details.counterexamplePath}"): ${message}`);
}

describe('fuzzing /v1/responses with malformed requests', () => {
  it('every chain answers each request with a 4xx JSON error or a valid stream, never a 5xx, a crash or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(requestCase, fc.nat({ max: 99 }), async (c, pick) => {
        const { name, gw } = gateways[pick % gateways.length]!;
        const answer = await rawRequest(Number(new URL(gw.url).port), encode(c), DEADLINE_MS, c.framing === 'longer' ? 200 : undefined);
        const why = problem(c, answer);
        if (why) throw new Error(`${name} chain: ${why}\n  request: ${describeCase(c)}`);
      }),
      { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined, asyncReporter: report },
    );
    for (const { gw } of gateways) expect((await (await fetch(`${gw.url}/health`)).json()) as object).toMatchObject({ ok: true });
    expect(unhandled).toEqual([]);
  }, 60_000);
});

describe('malformed HTTP framing', () => {
  // A request Node's parser refuses still deserves an answer: a client (or a person with curl) learns what was wrong.
  it.each([
    ['an invalid content-length', 'POST /v1/responses HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: abc\r\nconnection: close\r\n\r\n{}'],
    ['a garbage request line', '\x00\x01 NOT HTTP \xff\r\n\r\n'],
    ['a header line without a colon', 'POST /v1/responses HTTP/1.1\r\nhost: 127.0.0.1\r\nthis is not a header\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}'],
  ])('%s gets a 400 JSON error', async (_name, text) => {
    const { gw } = gateways[0]!;
    const answer = await rawRequest(Number(new URL(gw.url).port), Buffer.from(text, 'latin1'), DEADLINE_MS);
    expect(answer.status).toBe(400);
    expect(errorShaped(answer.body)).toBe(true);
  });
});
