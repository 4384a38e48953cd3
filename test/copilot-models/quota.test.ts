import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import authEnvBearer from '../../src/plugins/auth-env-bearer/index.js';
import copilotQuota, { parseQuota, quotaHeaders } from '../../src/plugins/copilot-quota/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import headerInjector from '../../src/plugins/header-injector/index.js';
import { sendJson, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { startMockCopilot, type MockCopilot } from './mock-copilot.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RESET = '2026-12-01';
const user = (remaining: number, overage = false) => ({
  copilot_plan: 'individual',
  quota_reset_date: RESET,
  quota_snapshots: {
    chat: { entitlement: 0, remaining: 0, percent_remaining: 100, unlimited: true, overage_count: 0, overage_permitted: false, quota_id: 'chat' },
    completions: { entitlement: 0, remaining: 0, percent_remaining: 100, unlimited: true, overage_count: 0, overage_permitted: false, quota_id: 'completions' },
    premium_interactions: { entitlement: 300, remaining, percent_remaining: (remaining / 300) * 100, unlimited: false, overage_count: 0, overage_permitted: overage, quota_id: 'premium_interactions' },
  },
});

let copilot: MockCopilot;
let github: MockUpstream;
let answer = user(250);
let gw: StartedRouter | undefined;
const dirs: string[] = [];

function tokenFile(content: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'ccrx-quota-'));
  dirs.push(dir);
  const file = join(dir, 'tokens.json');
  writeFileSync(file, JSON.stringify(content), { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  copilot = await startMockCopilot();
  github = await startMockUpstream((req, res) => (req.headers.authorization === 'token gho_quota_test' ? sendJson(res, 200, answer) : sendJson(res, 401, { message: 'Bad credentials' })));
});
afterAll(async () => {
  await copilot.close();
  await github.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  answer = user(250);
});

async function gateway(options: object) {
  gw = await startRouter({
    plugins: [[copilotUpstream, { responsesUrl: `${copilot.url}/responses` }], headerInjector, [authEnvBearer, { token: 'copilot-test-token-0123456789' }], [copilotQuota, { url: `${github.url}/copilot_internal/user`, ...options }]],
  });
  return gw;
}

type Health = { providers: { default: { checks: Record<string, { ok: boolean; message?: string; fix?: string }> } } };
const health = async (url: string) => ((await (await fetch(`${url}/health`)).json()) as Health).providers.default.checks;

describe('copilot-quota', () => {
  it('reports the premium quota in /health and as Codex rate-limit headers on a successful answer', async () => {
    const { url } = await gateway({ tokenFile: tokenFile({ githubToken: 'gho_quota_test', copilotToken: 'x' }) });
    await expect.poll(async () => (await health(url)).quota?.message).toBe('premium requests: 250 of 300 left (83.3%), resets 2026-12-01');
    const res = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5.1-codex', input: 'hi', stream: true }) });
    expect(res.status).toBe(200);
    await res.text();
    expect(res.headers.get('x-codex-primary-used-percent')).toBe('16.7');
    expect(res.headers.get('x-codex-primary-reset-at')).toBe(String(Date.parse(RESET) / 1000));
    expect(res.headers.get('x-codex-primary-window-minutes')).toBe(String(30 * 24 * 60));
    // The GitHub token went to the quota endpoint only; the Copilot answer itself was not delayed by it.
    expect(github.requests[0]!.headers['user-agent']).toMatch(/^GitHubCopilotChat\//);
  });

  it('marks exhausted premium requests as a failing check with a fix', async () => {
    answer = user(0);
    const { url } = await gateway({ tokenFile: tokenFile({ githubToken: 'gho_quota_test', copilotToken: 'x' }) });
    await expect.poll(async () => (await health(url)).quota?.ok).toBe(false);
    expect((await health(url)).quota!.fix).toContain('reset');
  });

  it('without a saved GitHub token the quota is unknown, the check explains why, and answers carry no quota headers', async () => {
    const { url } = await gateway({ tokenFile: tokenFile({ copilotToken: 'x' }) });
    await expect.poll(async () => (await health(url)).quota?.message).toContain('ccrx login');
    const res = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', input: 'hi', stream: true }) });
    await res.text();
    expect(res.headers.get('x-codex-primary-used-percent')).toBeNull();
  });

  it('names the cause when no GitHub token is saved: no token file at all, or a token file without githubToken', async () => {
    const missing = join(tokenFile({}), '..', 'absent.json');
    const noFile = await gateway({ tokenFile: missing });
    await expect.poll(async () => (await health(noFile.url)).quota?.message).toContain(`there is no token file at ${missing}`);
    await noFile.close();
    const withoutToken = tokenFile({ copilotToken: 'x' });
    const { url } = await gateway({ tokenFile: withoutToken });
    await expect.poll(async () => (await health(url)).quota?.message).toContain(`the token file ${withoutToken} has no githubToken`);
  });

  it('maps unlimited quotas to no headers and computes used percent from entitlement when percent is absent', () => {
    expect(quotaHeaders(parseQuota({ quota_snapshots: { premium_interactions: { unlimited: true } } }))).toEqual({});
    expect(quotaHeaders(parseQuota({ quota_snapshots: { premium_interactions: { entitlement: 50, remaining: 40 } } }))).toEqual({ 'x-codex-primary-used-percent': '20' });
  });
});

describe('ccrx usage (real binary)', () => {
  const ccrx = (env: Record<string, string>) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(root, 'bin', 'ccrx.js'), 'usage'], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });

  beforeAll(() => execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' }), 120_000);

  it('prints plan, premium requests left and the reset date', async () => {
    const file = tokenFile({ githubToken: 'gho_quota_test', copilotToken: 'x' });
    const r = await ccrx({ HOME: dirs[0]!, COPILOT_TOKEN_FILE: file, COPILOT_QUOTA_URL: `${github.url}/copilot_internal/user` });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Copilot plan: individual');
    expect(r.stdout).toContain('premium requests: 250 of 300 left (83.3%), resets 2026-12-01');
    expect(r.stdout).toContain('used: 16.7%');
  });

  it('exits 1 with a login hint when GitHub refuses the token, without printing it', async () => {
    const file = tokenFile({ githubToken: 'gho_wrong_token', copilotToken: 'x' });
    const r = await ccrx({ HOME: dirs[0]!, COPILOT_TOKEN_FILE: file, COPILOT_QUOTA_URL: `${github.url}/copilot_internal/user` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ccrx login');
    expect(r.stderr + r.stdout).not.toContain('gho_wrong_token');
  });
});
