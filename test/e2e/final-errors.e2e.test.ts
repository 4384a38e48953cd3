import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupCodexHomes, CODEX_VERSION, runCodex } from '../support/codex.js';
import { sendJson, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { upstreamTo } from '../support/upstream-plugin.js';

// Real Codex (`codex exec`) → gateway (kernel only) → a mock upstream answering each final error as an HTTP error, the
// way Copilot does. The gateway sends the codes Codex maps in-stream; every Codex from 0.150 on must show its own
// message for them, after one request (docs/errors.md, docs/compatibility.md).
const RESETS_AT = Math.floor(Date.now() / 1000) + 3 * 3600;

interface Case {
  name: string;
  status: number;
  error: Record<string, unknown>;
  headers?: Record<string, string>;
  shows: RegExp;
  requests: number;
}

const CASES: Case[] = [
  { name: 'context_length_exceeded', status: 400, error: { message: 'prompt token count of 200000 exceeds the limit of 128000', type: 'invalid_request_error', code: 'context_length_exceeded' }, shows: /Codex ran out of room in the model's context window/, requests: 1 },
  { name: 'insufficient_quota', status: 429, error: { message: 'You exceeded your current quota.', type: 'insufficient_quota', code: 'insufficient_quota' }, shows: /Quota exceeded\. Check your plan and billing details\./, requests: 1 },
  { name: 'usage_not_included', status: 429, error: { message: 'not in your plan', type: 'usage_not_included', code: 'usage_not_included' }, shows: /To use Codex with your ChatGPT plan, upgrade to Plus/, requests: 1 },
  { name: 'invalid_prompt', status: 400, error: { message: 'the provider refused this request: unknown parameter', type: 'invalid_request_error', code: 'invalid_prompt' }, shows: /ERROR: the provider refused this request: unknown parameter/, requests: 1 },
  { name: 'server_is_overloaded', status: 503, error: { message: 'busy', type: 'server_error', code: 'server_is_overloaded' }, shows: /Selected model is at capacity\. Please try a different model\./, requests: 1 },
  // Only its HTTP form is read, so it stays one (see codex-failure.ts).
  { name: 'usage_limit_reached', status: 429, error: { message: 'premium requests used up', type: 'usage_limit_reached', code: 'quota_exceeded', resets_at: RESETS_AT }, shows: /hit your usage limit\. Try again at /, requests: 1 },
  // Retried after the wait named in the message (Codex 0.150 does not retry an HTTP 429 at all).
  { name: 'rate_limit_exceeded', status: 429, error: { message: 'Too many requests.', type: 'rate_limit_error', code: 'rate_limit_exceeded' }, headers: { 'retry-after': '1' }, shows: /Too many requests\. \(try again in 1s\)/, requests: 2 },
];

let mock: MockUpstream;
let gateway: StartedRouter;
let current: Case = CASES[0]!;

beforeAll(async () => {
  mock = await startMockUpstream((req, res) => {
    if (req.method === 'GET') return sendJson(res, 200, { models: [] });
    return sendJson(res, current.status, { error: current.error }, current.headers);
  });
  gateway = await startRouter({ plugins: [upstreamTo(mock)] });
});

afterAll(async () => {
  await gateway?.close();
  await mock?.close();
  cleanupCodexHomes();
});

describe(`final errors shown by Codex ${CODEX_VERSION}`, () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: Codex shows its own message', async (_name, c) => {
    current = c;
    const before = mock.requests.length;
    const run = await runCodex({ baseUrl: `${gateway.url}/v1`, prompt: 'Say hello.', sandbox: 'read-only', provider: { request_max_retries: 1, stream_max_retries: 1 } });
    expect(run.output).toMatch(c.shows);
    expect(run.output).not.toContain('"error"');
    expect(mock.requests.length - before, run.output).toBe(c.requests);
    expect(run.code).not.toBe(0);
  });
});
