import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responsesTextStream, sendJson, sendSse, startMockUpstream, type MockUpstream, type RecordedRequest } from '../support/mock-upstream.js';

// Real Codex 0.169.0 → `ccrx serve` (child process, built-in Copilot chain) → loopback mock Copilot + token endpoint.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CODEX = join(root, 'node_modules', '.bin', 'codex');
const FINAL = 'The command printed TOOL_RAN_OK.';

let copilot: MockUpstream;
let tokens: MockUpstream;
let gateway: ChildProcess;
let gatewayUrl: string;
let gatewayLog = '';
const dirs: string[] = [];

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Turn 1: a function_call to exec_command; once Codex sends the tool output back: a text answer. */
function functionCallStream(): object[] {
  const item = { id: 'fc_1', type: 'function_call', status: 'completed', name: 'exec_command', arguments: '{"cmd":"echo TOOL_RAN_OK"}', call_id: 'call_abc' };
  return [
    { type: 'response.created', response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [] } },
    { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } },
    { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 0, delta: item.arguments },
    { type: 'response.function_call_arguments.done', item_id: 'fc_1', output_index: 0, arguments: item.arguments },
    { type: 'response.output_item.done', output_index: 0, item },
    { type: 'response.completed', response: { id: 'resp_1', object: 'response', status: 'completed', output: [item], usage: { input_tokens: 5, output_tokens: 5, total_tokens: 10 } } },
  ];
}

function toolOutput(req: RecordedRequest): string | undefined {
  const input = (req.json() as { input?: { type?: string; output?: unknown }[] }).input ?? [];
  const out = input.find((i) => i.type === 'function_call_output');
  return out === undefined ? undefined : typeof out.output === 'string' ? out.output : JSON.stringify(out.output);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gateway did not become healthy:\n${gatewayLog}`);
}

beforeAll(async () => {
  // `ccrx serve` runs from dist/: run `npm run build` first.
  if (!existsSync(join(root, 'dist', 'src', 'plugins', 'copilot-upstream', 'index.js'))) throw new Error('dist/ is missing the Copilot plugins: run `npm run build` first');
  copilot = await startMockUpstream((req, res) => {
    if (req.method === 'GET') return sendJson(res, 200, { data: [] });
    if (toolOutput(req) === undefined) return sendSse(res, functionCallStream());
    return sendSse(res, responsesTextStream(FINAL));
  });
  tokens = await startMockUpstream((_req, res, i) => sendJson(res, 200, { token: `fresh-copilot-${i + 1}`, expires_at: Math.floor(Date.now() / 1000) + 1800 }));

  const home = temp('ccrx-e2e-copilot-home-');
  const tokenFile = join(home, 'copilot-tokens.json');
  // Expired: the gateway must refresh it through COPILOT_TOKEN_URL before the first call.
  writeFileSync(tokenFile, JSON.stringify({ githubToken: 'gho_e2e', copilotToken: 'stale', expiresAt: 1 }), { mode: 0o600 });
  const port = await freePort();
  gatewayUrl = `http://127.0.0.1:${port}`;
  gateway = spawn(process.execPath, [join(root, 'bin', 'ccrx.js'), 'serve', '--port', String(port), '--log-level', 'info'], {
    cwd: home, // no router.config.* here: the built-in Copilot chain is used
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      COPILOT_RESPONSES_URL: `${copilot.url}/responses`,
      COPILOT_MODELS_URL: `${copilot.url}/models`,
      COPILOT_TOKEN_URL: `${tokens.url}/copilot_internal/v2/token`,
      COPILOT_TOKEN_FILE: tokenFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  gateway.stdout!.on('data', (c: Buffer) => (gatewayLog += c.toString()));
  gateway.stderr!.on('data', (c: Buffer) => (gatewayLog += c.toString()));
  await waitForHealth(gatewayUrl);
});

afterAll(async () => {
  if (gateway && gateway.exitCode === null) {
    const closed = new Promise((resolve) => gateway.once('close', resolve));
    gateway.kill('SIGTERM');
    await closed;
  }
  await copilot?.close();
  await tokens?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function runCodex(prompt: string): Promise<{ code: number | null; stdout: string; output: string }> {
  const codexHome = temp('ccrx-e2e-copilot-codex-');
  const work = temp('ccrx-e2e-copilot-work-');
  writeFileSync(
    join(codexHome, 'config.toml'),
    [
      'model = "gpt-5.1-codex"',
      'model_provider = "ccrx"',
      'approval_policy = "never"',
      '[model_providers.ccrx]',
      'name = "codex-code-router"',
      `base_url = "${gatewayUrl}/v1"`,
      'wire_api = "responses"',
      'supports_websockets = false',
    ].join('\n'),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(CODEX, ['exec', '--skip-git-repo-check', '--sandbox', 'workspace-write', '-C', work, prompt], {
      env: { ...process.env, CODEX_HOME: codexHome, NO_COLOR: '1', RUST_LOG: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, output: stdout + stderr }));
  });
}

describe('codex exec through ccrx serve and the Copilot chain', () => {
  it('runs a tool loop: turn 2 carries the tool output, with a refreshed token and the Copilot headers', async () => {
    const health = (await (await fetch(`${gatewayUrl}/health`)).json()) as { providers: { default: { checks: { auth: { ok: boolean } } } } };
    expect(health.providers.default.checks.auth.ok).toBe(true);

    const run = await runCodex('run echo');
    const posts = copilot.requests.filter((r) => r.method === 'POST');
    expect(run.code, `${run.output}\n--- gateway ---\n${gatewayLog}`).toBe(0);
    expect(run.stdout).toContain(FINAL);
    expect(posts).toHaveLength(2);
    expect(toolOutput(posts[0]!)).toBeUndefined();
    expect(toolOutput(posts[1]!)).toContain('TOOL_RAN_OK');
    expect(tokens.requests).toHaveLength(1);
    for (const post of posts) {
      expect(post.url).toBe('/responses');
      expect(post.headers).toMatchObject({ authorization: 'Bearer fresh-copilot-1', 'copilot-integration-id': 'vscode-chat', 'openai-intent': 'conversation-agent' });
    }
    expect(posts.map((p) => p.headers['x-initiator'])).toEqual(['user', 'agent']);
    expect(posts[0]!.headers['x-request-id']).not.toBe(posts[1]!.headers['x-request-id']);
    const saved = JSON.parse(readFileSync(join(dirs[0]!, 'copilot-tokens.json'), 'utf8')) as { copilotToken: string };
    expect(saved.copilotToken).toBe('fresh-copilot-1');
    expect(gatewayLog).not.toMatch(/fresh-copilot-1|gho_e2e/);
  });
});
