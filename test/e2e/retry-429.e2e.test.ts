import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import retry429 from '../../src/plugins/retry-429/index.js';
import { cleanupCodexHomes, runCodex as runCodexCli, type CodexRun } from '../support/codex.js';
import { responsesTextStream, sendJson, sendSse, startMockUpstream, type MockHandler, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { upstreamTo } from '../support/upstream-plugin.js';

// Real Codex 0.169.0 (`codex exec`) → gateway (retry-429) → mock Responses upstream, on loopback.
const ANSWER = 'The rate limit passed and here is the answer.';

let mock: MockUpstream;
let gateway: StartedRouter;
let responsesHandler: MockHandler;


function runCodex(prompt: string): Promise<CodexRun> {
  return runCodexCli({ baseUrl: `${gateway.url}/v1`, prompt, sandbox: 'read-only' });
}

beforeAll(async () => {
  mock = await startMockUpstream((req, res, index) => {
    if (req.method === 'GET') return sendJson(res, 200, { models: [] });
    return responsesHandler(req, res, index);
  });
  gateway = await startRouter({ plugins: [upstreamTo(mock), retry429] });
});

afterAll(async () => {
  await gateway?.close();
  await mock?.close();
  cleanupCodexHomes();
});

describe('codex exec through retry-429', () => {
  it('finishes the turn with no error shown when the upstream answers 429 (retry-after: 1) twice', async () => {
    let posts = 0;
    responsesHandler = (_req, res) => {
      posts += 1;
      if (posts <= 2) return sendJson(res, 429, { error: { code: 'rate_limited', message: 'Sorry, you have been rate-limited.' } }, { 'retry-after': '1' });
      return sendSse(res, responsesTextStream(ANSWER));
    };
    const run = await runCodex('Say hello.');
    const bodies = mock.requests.filter((r) => r.method === 'POST').map((r) => r.body);
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain(ANSWER);
    expect(run.output).not.toMatch(/error/i);
    expect(run.output).not.toContain('Reconnecting');
    expect(bodies).toHaveLength(3);
    expect(bodies[1]!.equals(bodies[0]!)).toBe(true);
    expect(bodies[2]!.equals(bodies[0]!)).toBe(true);
  });

  it('stops at once and shows the reset time when the upstream quota is exhausted', async () => {
    const before = mock.requests.filter((r) => r.method === 'POST').length;
    responsesHandler = (_req, res) =>
      sendJson(res, 402, { error: { code: 'quota_exceeded', message: 'You have exceeded your premium request allowance.' } }, { 'retry-after': new Date(Date.now() + 3 * 3600_000).toUTCString() });
    const run = await runCodex('Say hello.');
    const posts = mock.requests.filter((r) => r.method === 'POST').length - before;
    expect(run.output).toMatch(/hit your usage limit\. Try again at /);
    expect(run.output).not.toContain('Reconnecting');
    expect(posts).toBe(1);
  });
});
