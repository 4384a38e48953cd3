import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPILOT_MODELS } from '../copilot-models/mock-copilot.js';
import { cleanupCodexHomes, runCodex } from '../support/codex.js';
import { messagesHandler, messagesReply } from '../support/mock-messages.js';
import { responsesTextStream, sendJson, sendSse, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { tempDir } from '../support/temp.js';

// Real Codex 0.169.0 → the built-in default chain (no config: the Copilot chain of plugins.config.ts) → a loopback
// Copilot whose /models lists claude-sonnet-4.5 with /chat/completions and /v1/messages, and whose /v1/messages
// applies the Messages API's rules (thinking signatures checked on the next turn).
let copilot: MockUpstream;
let github: MockUpstream;
let gw: StartedRouter;
const claude = messagesHandler();

beforeAll(async () => {
  copilot = await startMockUpstream((req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && path === '/models') return sendJson(res, 200, COPILOT_MODELS);
    if (path === '/v1/messages') return claude.handle(req, res);
    if (path === '/responses') return sendSse(res, responsesTextStream('from responses'));
    return sendJson(res, 404, { error: { message: `not here: ${path}` } });
  });
  github = await startMockUpstream((req, res) => {
    if (req.url.startsWith('/copilot_internal/v2/token')) return sendJson(res, 200, { token: 'fresh-copilot-token', expires_at: Math.floor(Date.now() / 1000) + 1800 });
    return sendJson(res, 200, { copilot_plan: 'individual', quota_reset_date: '2026-12-01', quota_snapshots: { premium_interactions: { entitlement: 300, remaining: 150, percent_remaining: 50, unlimited: false, overage_permitted: false } } });
  });
  const home = tempDir('ccrx-e2e-copilot-messages-');
  const tokenFile = join(home, 'tokens.json');
  writeFileSync(tokenFile, JSON.stringify({ githubToken: 'gho_e2e_messages', copilotToken: 'stale', expiresAt: 1 }), { mode: 0o600 });
  gw = await startRouter({}, {
    env: {
      COPILOT_RESPONSES_URL: `${copilot.url}/responses`,
      COPILOT_MODELS_URL: `${copilot.url}/models`,
      COPILOT_TOKEN_FILE: tokenFile,
      COPILOT_TOKEN_URL: `${github.url}/copilot_internal/v2/token`,
      COPILOT_QUOTA_URL: `${github.url}/copilot_internal/user`,
    },
  });
});

afterAll(async () => {
  cleanupCodexHomes();
  await gw?.close();
  await copilot?.close();
  await github?.close();
});

describe('the default Copilot chain sends Claude to /v1/messages', () => {
  it('codex exec -m claude-sonnet-4.5 completes a thinking tool loop through Copilot /v1/messages', async () => {
    claude.enqueue(
      messagesReply({ thinking: 'Run it first.', tools: [{ id: 'toolu_c1', name: 'exec_command', input: { cmd: 'echo VIA_MESSAGES' } }] }),
      messagesReply({ thinking: 'Done.', text: 'The command printed VIA_MESSAGES.' }),
    );
    const run = await runCodex({
      baseUrl: `${gw.url}/v1`,
      model: 'claude-sonnet-4.5',
      prompt: 'run echo VIA_MESSAGES',
      // Command auth makes Codex fetch the gateway's catalogue (codex-contract §2.4): real limits and reasoning levels.
      extraToml: ['[model_providers.ccrx.auth]', `command = ${JSON.stringify(process.execPath)}`, 'args = ["-e", "process.stdout.write(\'codex-side-token-0123456789\')"]'].join('\n'),
      provider: { request_max_retries: 0, stream_max_retries: 0 },
    });
    expect(run.output).toContain('The command printed VIA_MESSAGES.');
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toContain('Model metadata for');
    expect(claude.violations).toEqual([]);
    expect(claude.requests).toHaveLength(2);
    for (const r of claude.requests) {
      expect(r.headers).toMatchObject({ authorization: 'Bearer fresh-copilot-token', 'copilot-integration-id': 'vscode-chat', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14' });
    }
    expect(claude.requests.map((r) => r.headers['x-initiator'])).toEqual(['user', 'agent']);
    expect(claude.requests[0]!.body).toMatchObject({ model: 'claude-sonnet-4.5', max_tokens: 16000, thinking: { type: 'enabled', budget_tokens: 8192 } });
    expect(claude.requests[1]!.body.messages.at(-2).content[0]).toMatchObject({ type: 'thinking', thinking: 'Run it first.' });
    expect(claude.usages[1]!.cache_read_input_tokens).toBeGreaterThan(0);
    expect(copilot.requests.filter((r) => r.url === '/chat/completions' || r.url === '/responses')).toHaveLength(0);
  });
});
