import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import authCopilotTokenfile from '../../src/plugins/auth-copilot-tokenfile/index.js';
import chatTranslator from '../../src/plugins/chat-translator/index.js';
import copilotModels from '../../src/plugins/copilot-models/index.js';
import copilotQuota from '../../src/plugins/copilot-quota/index.js';
import copilotTools from '../../src/plugins/copilot-tools/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import headerInjector from '../../src/plugins/header-injector/index.js';
import metrics from '../../src/plugins/metrics/index.js';
import refresh401 from '../../src/plugins/refresh-401/index.js';
import retry429 from '../../src/plugins/retry-429/index.js';
import { validateCatalog } from '../../src/index.js';
import { COPILOT_MODELS } from '../copilot-models/mock-copilot.js';
import { responsesTextStream, sendJson, sendSse, startMockUpstream, type MockUpstream, type RecordedRequest } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { cleanupCodexHomes, runCodex as runCodexCli } from '../support/codex.js';
import { tempDir } from '../support/temp.js';

// Real Codex 0.169.0 → the gateway with the full Copilot chain → a loopback Copilot whose /models lists a Responses
// model and a chat-only model, plus mock token and quota endpoints.
const FINAL = 'The command printed TOOL_RAN_OK.';

let copilot: MockUpstream;
let github: MockUpstream;
let gw: StartedRouter;
let copilotAuth: { tokenFile: string; tokenUrl: string };

const chunk = (delta: object, finish: string | null = null, usage?: object) => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'claude-sonnet-4.5', choices: [{ index: 0, delta, finish_reason: finish }], ...(usage && { usage }) });

/** Chat turn 1: a call to exec_command; once the tool result comes back: the final text. */
function chatAnswer(req: RecordedRequest): (object | string)[] {
  const messages = (req.json() as { messages: { role: string; content?: unknown }[] }).messages;
  if (!messages.some((m) => m.role === 'tool')) {
    return [chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'exec_command', arguments: '' } }] }), chunk({ tool_calls: [{ index: 0, function: { arguments: '{"cmd":"echo TOOL_RAN_OK"}' } }] }), chunk({}, 'tool_calls', { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 }), '[DONE]'];
  }
  return [chunk({ role: 'assistant', content: FINAL }), chunk({}, 'stop', { prompt_tokens: 70, completion_tokens: 8, total_tokens: 78 }), '[DONE]'];
}

beforeAll(async () => {
  copilot = await startMockUpstream((req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && path === '/models') return sendJson(res, 200, COPILOT_MODELS);
    if (path === '/chat/completions') return sendSse(res, chatAnswer(req), { eventLines: false });
    if ((req.json() as { model?: string }).model !== 'gpt-5.1-codex') return sendJson(res, 400, { error: { code: 'unsupported_api_for_model', message: 'not on /responses' } });
    return sendSse(res, responsesTextStream(FINAL));
  });
  github = await startMockUpstream((req, res) => {
    if (req.url.startsWith('/copilot_internal/v2/token')) return sendJson(res, 200, { token: 'fresh-copilot-token', expires_at: Math.floor(Date.now() / 1000) + 1800 });
    return sendJson(res, 200, { copilot_plan: 'individual', quota_reset_date: '2026-12-01', quota_snapshots: { premium_interactions: { entitlement: 300, remaining: 150, percent_remaining: 50, unlimited: false, overage_permitted: false } } });
  });
  const home = tempDir('ccrx-e2e-models-home-');
  const tokenFile = join(home, 'tokens.json');
  writeFileSync(tokenFile, JSON.stringify({ githubToken: 'gho_e2e_models', copilotToken: 'stale', expiresAt: 1 }), { mode: 0o600 });
  copilotAuth = { tokenFile, tokenUrl: `${github.url}/copilot_internal/v2/token` };
});

/** The full Copilot chain; `translator: false` leaves chat-only models out. */
function startGateway(translator: boolean): Promise<StartedRouter> {
  const tokenFile = copilotAuth.tokenFile;
  return startRouter({
    plugins: [
      [copilotUpstream, { responsesUrl: `${copilot.url}/responses`, modelsUrl: `${copilot.url}/models` }],
      [copilotModels, { modelsUrl: `${copilot.url}/models`, ...copilotAuth }],
      headerInjector,
      [authCopilotTokenfile, copilotAuth],
      refresh401,
      [retry429, { initialBackoffMs: 1, minSleepMs: 0 }],
      [copilotQuota, { url: `${github.url}/copilot_internal/user`, tokenFile }],
      copilotTools,
      // Copilot mode: no baseUrl; translates exactly the exchanges copilot-models routed to chat.
      ...(translator ? [chatTranslator] : []),
      metrics,
    ],
  });
}

afterAll(async () => {
  cleanupCodexHomes();
  await gw?.close();
  await copilot?.close();
  await github?.close();
});

/** Codex with command auth, which makes it fetch the gateway's model catalogue (codex-contract §2.4). */
function runCodex(gw: StartedRouter, model: string, prompt: string) {
  return runCodexCli({
    baseUrl: `${gw.url}/v1`,
    model,
    prompt,
    extraToml: ['[model_providers.ccrx.auth]', `command = ${JSON.stringify(process.execPath)}`, 'args = ["-e", "process.stdout.write(\'codex-side-token-0123456789\')"]'].join('\n'),
  });
}

describe('every Copilot model in Codex', () => {
  it('codex exec on the Responses model reads the gateway catalogue (no fallback metadata) and gets the quota headers', async () => {
    const responsesOnly = await startGateway(false);
    try {
      const run = await runCodex(responsesOnly, 'gpt-5.1-codex', 'say it');
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain(FINAL);
      expect(run.output).not.toContain('Model metadata for');
      const sent = copilot.requests.filter((r) => r.method === 'POST' && r.url === '/responses').at(-1)!.json() as { tools: { type: string; name: string }[] };
      // The catalogue said freeform apply_patch: Codex sent it, copilot-tools wrapped it as a function.
      expect(sent.tools.find((t) => t.name === 'apply_patch')?.type).toBe('function');
      const res = await fetch(`${responsesOnly.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5.1-codex', input: 'hi', stream: true }) });
      await res.text();
      expect(res.headers.get('x-codex-primary-used-percent')).toBe('50');
    } finally {
      await responsesOnly.close();
    }
  });

  it('serves a valid catalogue for the Responses model and the chat-only model', async () => {
    gw ??= await startGateway(true);
    const catalog = (await (await fetch(`${gw.url}/v1/models?client_version=0.169.0`)).json()) as { models: { slug: string }[] };
    expect(validateCatalog(catalog).valid).toBe(true);
    expect(catalog.models.map((m) => m.slug).sort()).toEqual(['claude-sonnet-4.5', 'gpt-5.1-codex']);
  });

  it('codex exec -m claude-sonnet-4.5 completes a tool-call turn through Copilot /chat/completions', async () => {
    gw ??= await startGateway(true);
    const before = copilot.requests.length;
    const run = await runCodex(gw, 'claude-sonnet-4.5', 'run echo');
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain(FINAL);
    expect(run.output).not.toContain('Model metadata for');
    const seen = copilot.requests.slice(before);
    const chats = seen.filter((r) => r.method === 'POST' && r.url === '/chat/completions');
    expect(chats).toHaveLength(2);
    expect(seen.filter((r) => r.url === '/responses')).toHaveLength(0);
    for (const c of chats) expect(c.headers).toMatchObject({ authorization: 'Bearer fresh-copilot-token', 'copilot-integration-id': 'vscode-chat' });
    expect(chats.map((c) => c.headers['x-initiator'])).toEqual(['user', 'agent']);
    expect(JSON.stringify(chats[1]!.json())).toContain('TOOL_RAN_OK');

    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/ccrx_requests_total\{provider="default",route="responses",model="claude-sonnet-4\.5",status="200",outcome="completed"\} 2/);
    expect(text).toMatch(/ccrx_copilot_requests_total\{provider="default",model="claude-sonnet-4\.5",initiator="user"\} 1/);
    expect(text).toMatch(/ccrx_tokens_total\{provider="default",model="claude-sonnet-4\.5",type="input"\} 120/);
  });
});
