import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/index.js';
import { agentMessages, cleanupCodexHomes, codexEvents, MCP_ECHO, runCodex, type CodexRun, type RunCodexOptions } from '../support/codex.js';
import { sendJson, sendSse, sseText, startMockUpstream, type MockHandler, type MockUpstream } from '../support/mock-upstream.js';
import { createSecretScan, PLANTED, WHOLE_BODIES, wholeRequestSnapshots } from '../support/secrets.js';
import { runCcrx, startServe, type ServedGateway } from '../support/serve.js';
import { customToolCall, declaredTools, functionCall, inputItems, message, reasoning, responseStream, toolNames, toolOutputs } from './fixtures/responses.js';

// Real Codex 0.169.0 → `ccrx serve` (child process, built-in Copilot chain: Responses passthrough) → a loopback mock
// Copilot and token endpoint. Secrets are planted everywhere; the last test scans every log and CLI output.
const MODEL = 'gpt-5.1-codex';
const CONTEXT_WINDOW_TEXT = "Codex ran out of room in the model's context window";

let copilot: MockUpstream;
let tokens: MockUpstream;
let gw: ServedGateway;
let dir: string;
let tokenFile: string;
let rawLog: string;
/** The current scenario: answers POST /responses. */
let scenario: MockHandler;
let scenarioStart = 0;
const scan = createSecretScan();

const minted = (n: number) => `${PLANTED.mintedCopilotToken}${n}`;
const QUOTA = { copilot_plan: 'individual', quota_reset_date: '2099-01-01', quota_snapshots: { premium_interactions: { entitlement: 300, remaining: 150, percent_remaining: 50, unlimited: false } } };
/** Copilot token exchanges GitHub answered. */
const mints = () => tokens.requests.filter((r) => r.url.startsWith('/copilot_internal/v2/token'));

/** POST /responses requests of the current scenario. */
const posts = () => copilot.requests.slice(scenarioStart).filter((r) => r.method === 'POST');

function play(handler: MockHandler): void {
  scenarioStart = copilot.requests.length;
  scenario = handler;
}

/** A turn of `codex exec` through the gateway, with the planted inbound secrets; Codex's output joins the scan. */
async function codex(prompt: string, o: Partial<RunCodexOptions> = {}): Promise<CodexRun> {
  const run = await runCodex({
    baseUrl: `${gw.url}/v1`,
    model: MODEL,
    catalog: buildCatalog([{ slug: MODEL, contextWindow: 128000 }]),
    prompt: `${prompt} (${PLANTED.prompt})`,
    provider: {
      env_key: 'CCRX_E2E_INBOUND_KEY',
      http_headers: { cookie: `session=${PLANTED.cookie}` },
      request_max_retries: 2,
      stream_max_retries: 2,
      stream_idle_timeout_ms: 30000,
    },
    env: { CCRX_E2E_INBOUND_KEY: PLANTED.inboundAuthorization },
    ...o,
  });
  // Codex echoes the prompt and knows its own key and cookie; it must never see a Copilot or GitHub token.
  scan.add(`codex output: ${prompt}`, run.output, { allowed: ['prompt', 'inboundAuthorization', 'cookie'] });
  return run;
}

/** The gateway's Copilot endpoints, all on the loopback mocks, with the token file to use. */
const copilotEnv = (tokenFile: string) => ({
  COPILOT_RESPONSES_URL: `${copilot.url}/responses`,
  COPILOT_MODELS_URL: `${copilot.url}/models`,
  COPILOT_TOKEN_URL: `${tokens.url}/copilot_internal/v2/token`,
  COPILOT_QUOTA_URL: `${tokens.url}/copilot_internal/user`,
  COPILOT_TOKEN_FILE: tokenFile,
});

const why = (run: CodexRun) => `${run.output}\n--- gateway ---\n${gw.log().slice(-4000)}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccrx-e2e-copilot-'));
  copilot = await startMockUpstream((req, res, i) => {
    if (req.method === 'GET') return sendJson(res, 200, { data: [] });
    return scenario(req, res, i);
  });
  // GitHub: the Copilot token exchange, and the quota endpoint copilot-quota polls.
  tokens = await startMockUpstream((req, res) => {
    if (req.url.startsWith('/copilot_internal/user')) return sendJson(res, 200, QUOTA);
    return sendJson(res, 200, { token: minted(mints().length), expires_at: Math.floor(Date.now() / 1000) + 1800, refresh_in: 1500 });
  });
  tokenFile = join(dir, 'copilot-tokens.json');
  // Expired: the gateway must refresh it through COPILOT_TOKEN_URL before the first call.
  writeFileSync(tokenFile, JSON.stringify({ githubToken: PLANTED.githubToken, copilotToken: PLANTED.staleCopilotToken, expiresAt: 1 }), { mode: 0o600 });
  rawLog = join(dir, 'raw', 'diagnostics.jsonl');
  gw = await startServe({
    env: {
      ...copilotEnv(tokenFile),
      CODEX_CODE_ROUTER_RAW_LOG_LEVEL: 'content_redacted',
      CODEX_CODE_ROUTER_RAW_LOG_FILE: rawLog,
      ...WHOLE_BODIES,
    },
  });
  scan.add('gateway log (ccrx serve, default level)', () => gw.log());
  scan.addPath('raw diagnostics (content_redacted)', join(dir, 'raw'));
});

afterAll(async () => {
  await gw?.stop();
  await copilot?.close();
  await tokens?.close();
  cleanupCodexHomes();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('codex exec through ccrx serve and the Copilot chain', () => {
  it('tool loop: the expired token is refreshed, turn 2 carries the tool output, with the Copilot headers', async () => {
    const final = 'The command printed TOOL_RAN_OK.';
    play((req, res) => sendSse(res, toolOutputs(req).length ? responseStream([message('msg_1', final)]) : responseStream([functionCall('call_abc', 'exec_command', { cmd: 'echo TOOL_RAN_OK' })])));
    const run = await codex('run echo');
    expect(run.code, why(run)).toBe(0);
    expect(run.stdout).toContain(final);
    expect(posts()).toHaveLength(2);
    expect(toolOutputs(posts()[0]!)).toEqual([]);
    expect(toolOutputs(posts()[1]!)[0]?.text).toContain('TOOL_RAN_OK');
    expect(mints()).toHaveLength(1);
    expect(mints()[0]!.headers.authorization).toMatch(new RegExp(`^(token|Bearer) ${PLANTED.githubToken}$`));
    for (const post of posts()) {
      expect(post.url).toBe('/responses');
      expect(post.headers).toMatchObject({ authorization: `Bearer ${minted(1)}`, 'copilot-integration-id': 'vscode-chat', 'openai-intent': 'conversation-agent' });
    }
    expect(posts().map((p) => p.headers['x-initiator'])).toEqual(['user', 'agent']);
    expect(posts()[0]!.headers['x-request-id']).not.toBe(posts()[1]!.headers['x-request-id']);
    expect(JSON.parse(readFileSync(tokenFile, 'utf8')).copilotToken).toBe(minted(1));
  });

  it('plain answer: the body reaches Copilot unchanged and the text reaches the user', async () => {
    play((_req, res) => sendSse(res, responseStream([message('msg_plain', 'Hello from the mock Copilot.')]), { headers: { 'set-cookie': `copilot_session=${PLANTED.setCookie}; HttpOnly` } }));
    const run = await codex('say hi', { args: ['--json'] });
    expect(run.code, why(run)).toBe(0);
    expect(agentMessages(run.stdout)).toEqual(['Hello from the mock Copilot.']);
    expect(posts()).toHaveLength(1);
    const body = posts()[0]!.json() as { model: string; stream: boolean; input: unknown[] };
    expect(body).toMatchObject({ model: MODEL, stream: true });
    expect(JSON.stringify(body.input)).toContain(PLANTED.prompt);
    // Copilot's /responses refuses freeform tools: apply_patch reaches it as a function tool (copilot-tools).
    const tools = toolNames(posts()[0]!);
    expect(tools).toContain('function:apply_patch');
    expect(tools.filter((t) => t.startsWith('custom:'))).toEqual([]);
  });

  it('parallel tool calls: both run and both outputs come back in one request, in call order', async () => {
    play((req, res) =>
      sendSse(
        res,
        toolOutputs(req).length
          ? responseStream([message('msg_par', 'Both commands ran.')])
          : responseStream([functionCall('call_a', 'exec_command', { cmd: 'echo FIRST_A1' }), functionCall('call_b', 'exec_command', { cmd: 'echo SECOND_B2' })]),
      ),
    );
    const run = await codex('run two echos');
    expect(run.code, why(run)).toBe(0);
    expect(run.stdout).toContain('Both commands ran.');
    expect(posts()).toHaveLength(2);
    const outputs = toolOutputs(posts()[1]!);
    expect(outputs.map((o) => o.callId)).toEqual(['call_a', 'call_b']);
    expect(outputs[0]!.text).toContain('FIRST_A1');
    expect(outputs[1]!.text).toContain('SECOND_B2');
    const input = inputItems(posts()[1]!).map((i) => `${i.type}:${String(i.call_id ?? '')}`);
    expect(input.slice(-4)).toEqual(['function_call:call_a', 'function_call:call_b', 'function_call_output:call_a', 'function_call_output:call_b']);
  });

  it('apply_patch: the model answers the freeform tool with the raw patch and the file is written', async () => {
    const patch = '*** Begin Patch\n*** Add File: hello.txt\n+hello from apply_patch\n*** End Patch\n';
    play((req, res) => {
      if (toolOutputs(req).length) return sendSse(res, responseStream([message('msg_patch', 'Done: created hello.txt.')]));
      const tool = declaredTools(req).find((t) => t.name === 'apply_patch');
      if (tool?.type === 'custom') return sendSse(res, responseStream([customToolCall('call_patch', 'apply_patch', patch)]));
      // A chain that declares apply_patch to Copilot as a function tool (copilot-tools): answer in that shape.
      if (tool?.type === 'function') return sendSse(res, responseStream([functionCall('call_patch', 'apply_patch', { [tool.parameters?.required?.[0] ?? 'input']: patch })]));
      return sendJson(res, 400, { error: { message: `no apply_patch tool among ${toolNames(req).join(', ')}` } });
    });
    const cwd = mkdtempSync(join(dir, 'patch-'));
    const run = await codex('create hello.txt', { cwd, sandbox: 'workspace-write' });
    const file = join(cwd, 'hello.txt');
    expect(existsSync(file), why(run)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('hello from apply_patch\n');
    expect(run.stdout).toContain('Done: created hello.txt.');
    expect(toolOutputs(posts()[1]!)[0]).toMatchObject({ callId: 'call_patch', text: expect.stringMatching(/Success/) });
  });

  it('namespaced MCP tool: the function_call with its namespace runs the MCP tool', async () => {
    let declared: string[] = [];
    play((req, res) => {
      if (toolOutputs(req).length) return sendSse(res, responseStream([message('msg_mcp', 'The MCP server answered.')]));
      declared = toolNames(req);
      const ns = declaredTools(req).find((t) => t.type === 'namespace' && t.name?.startsWith('mcp__echo'));
      const inner = ns?.tools?.find((t) => t.name?.includes('echo'));
      if (!ns || !inner) return sendJson(res, 400, { error: { message: `no mcp__echo namespace among ${declared.join(', ')}` } });
      return sendSse(res, responseStream([functionCall('call_mcp', inner.name!, { text: 'ping-42' }, { namespace: ns.name })]));
    });
    const run = await codex('echo ping-42 through the echo server', { config: { mcp_servers: { echo: { command: process.execPath, args: [MCP_ECHO] } } } });
    expect(run.output).not.toContain('unsupported call');
    expect(run.stdout, why(run)).toContain('The MCP server answered.');
    expect(toolOutputs(posts()[1]!)[0]).toMatchObject({ callId: 'call_mcp', text: expect.stringContaining('echo: ping-42') });
  });

  it('reasoning round-trip: turn 2 sends the reasoning item of turn 1 back with its encrypted_content verbatim', async () => {
    const encrypted = 'gAAAAABo-e2e-encrypted-reasoning_' + 'x'.repeat(64) + '==';
    play((req, res) =>
      sendSse(
        res,
        toolOutputs(req).length
          ? responseStream([message('msg_think', 'It printed THOUGHT.')])
          : responseStream([reasoning('rs_1', 'I should run the command first.', encrypted), functionCall('call_think', 'exec_command', { cmd: 'echo THOUGHT' })]),
      ),
    );
    const run = await codex('think, then run echo THOUGHT');
    expect(run.stdout, why(run)).toContain('It printed THOUGHT.');
    expect((posts()[0]!.json() as { include?: string[] }).include).toContain('reasoning.encrypted_content');
    const echoed = inputItems(posts()[1]!).find((i) => i.type === 'reasoning');
    expect(echoed?.encrypted_content).toBe(encrypted);
  });

  it('401: the gateway refreshes the Copilot token and replays the same body bytes; the turn completes', async () => {
    const before = mints().length;
    let rejected: string | undefined;
    play((req, res) => {
      if (rejected === undefined) {
        rejected = req.headers.authorization;
        return sendJson(res, 401, { error: { message: 'unauthorized: token expired', code: 'unauthorized' } });
      }
      return sendSse(res, responseStream([message('msg_401', 'Answered after a token refresh.')]));
    });
    const run = await codex('say hi after a 401', { args: ['--json'] });
    expect(run.code, why(run)).toBe(0);
    expect(agentMessages(run.stdout)).toEqual(['Answered after a token refresh.']);
    expect(run.output).not.toContain('Reconnecting');
    expect(posts()).toHaveLength(2);
    expect(posts()[1]!.body.equals(posts()[0]!.body)).toBe(true);
    expect(mints().length).toBe(before + 1);
    expect(posts()[1]!.headers.authorization).toBe(`Bearer ${minted(before + 1)}`);
    expect(posts()[1]!.headers.authorization).not.toBe(rejected);
  });

  it('upstream 500 then success: the request is retried and the turn completes with one answer', async () => {
    play((_req, res) => {
      if (posts().length === 1) return sendJson(res, 500, { error: { message: 'upstream exploded', type: 'server_error' } });
      return sendSse(res, responseStream([message('msg_500', 'Answered after a server error.')]));
    });
    const run = await codex('say hi after a 500', { args: ['--json'] });
    expect(run.code, why(run)).toBe(0);
    expect(agentMessages(run.stdout)).toEqual(['Answered after a server error.']);
    expect(posts().length).toBeGreaterThanOrEqual(2);
    expect(posts()[1]!.body.equals(posts()[0]!.body)).toBe(true);
  });

  it('upstream cut mid-stream: Codex reconnects, the turn completes and the answer is shown once', async () => {
    const final = 'The complete answer, sent on the second try.';
    play(async (_req, res) => {
      if (posts().length > 1) return sendSse(res, responseStream([message('msg_full', final)], 'resp_full'));
      // A partial message, then the connection drops (no output_item.done, no response.completed).
      const partial = responseStream([message('msg_cut', final)], 'resp_cut').slice(0, 4);
      partial[3] = { ...(partial[3] as object), delta: 'The complete ans' };
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseText(partial));
      await new Promise((r) => setTimeout(r, 100));
      res.socket?.destroy();
    });
    const run = await codex('answer despite a cut', { args: ['--json'] });
    expect(run.code, why(run)).toBe(0);
    expect(posts()).toHaveLength(2);
    // What the user reads: one agent message, the full answer; the cut partial text is never a message of its own.
    expect(agentMessages(run.stdout)).toEqual([final]);
    expect(run.stdout.split(final)).toHaveLength(2);
    // The gateway ends the cut stream with a retryable failure, so Codex shows one reconnect notice and retries.
    expect(codexEvents(run.stdout).filter((e) => e.type === 'error').map((e) => String(e.message))).toEqual([expect.stringMatching(/^Reconnecting\.\.\. 1\/2 /)]);
    expect(codexEvents(run.stdout).some((e) => e.type === 'turn.completed')).toBe(true);
  });

  it("context-length error: an upstream 400 context_length_exceeded shows Codex's own message, not retried", async () => {
    play((_req, res) =>
      sendJson(res, 400, { error: { message: 'prompt token count of 200000 exceeds the limit of 128000', code: 'context_length_exceeded', type: 'invalid_request_error' } }),
    );
    const run = await codex('a very long prompt');
    expect(run.output).toContain(CONTEXT_WINDOW_TEXT);
    expect(run.code).not.toBe(0);
    expect(posts()).toHaveLength(1);
  });
});

describe('a Copilot token that expires between two turns of one session', () => {
  it('is refreshed before turn 2; both turns reach Copilot, the second with the new token', async () => {
    // A token valid now that enters the refresh window (the default 300 s before expiry) in 12 s; turn 1 is answered
    // only after that moment, so turn 2 must trigger the refresh. Turn 1 must arrive before it: Codex's start can
    // take several seconds on a loaded machine (0.150 and 0.166 took over 4 s in `npm run test:compat`).
    const file = join(dir, 'mid-session-tokens.json');
    const buffer = 300;
    const refreshAt = Date.now() + 12_000;
    writeFileSync(file, JSON.stringify({ githubToken: PLANTED.githubToken, copilotToken: PLANTED.staleCopilotToken, expiresAt: Math.floor(refreshAt / 1000) + buffer }), { mode: 0o600 });
    const second = await startServe({
      env: {
        ...copilotEnv(file),
      },
    });
    scan.add('gateway log (mid-session refresh)', second.log());
    try {
      const before = mints().length;
      play(async (req, res) => {
        if (toolOutputs(req).length) return sendSse(res, responseStream([message('msg_mid', 'Still answering after the refresh.')]));
        await new Promise((r) => setTimeout(r, Math.max(0, refreshAt + 1200 - Date.now())));
        return sendSse(res, responseStream([functionCall('call_mid', 'exec_command', { cmd: 'echo MID_SESSION' })]));
      });
      const run = await codex('run echo across a token expiry', { baseUrl: `${second.url}/v1` });
      expect(run.code, `${run.output}\n--- gateway ---\n${second.log()}`).toBe(0);
      expect(run.stdout).toContain('Still answering after the refresh.');
      expect(posts().map((p) => p.headers.authorization)).toEqual([`Bearer ${PLANTED.staleCopilotToken}`, `Bearer ${minted(before + 1)}`]);
      expect(mints().length).toBe(before + 1);
      expect(JSON.parse(readFileSync(file, 'utf8')).copilotToken).toBe(minted(before + 1));
    } finally {
      await second.stop();
      scan.add('gateway log (mid-session refresh, final)', second.log());
    }
  });
});

describe('ccrx CLI output next to the running gateway', () => {
  it('ccrx status reports the gateway it reaches', async () => {
    const state = mkdtempSync(join(dir, 'state-'));
    const env = { HOME: state, CODEX_CODE_ROUTER_STATE_DIR: state, HOST: '127.0.0.1', PORT: String(gw.port), COPILOT_TOKEN_FILE: tokenFile };
    for (const args of [['status'], ['status', '--json']]) {
      const out = await runCcrx(args, env);
      scan.add(`ccrx ${args.join(' ')} stdout`, out.stdout);
      scan.add(`ccrx ${args.join(' ')} stderr`, out.stderr);
      expect(out.stdout).toContain(gw.url);
    }
  });

  it('ccrx print-token prints only the token on stdout; its errors name no secret', async () => {
    const env = { HOME: dir, COPILOT_TOKEN_FILE: tokenFile, COPILOT_TOKEN_URL: `${tokens.url}/copilot_internal/v2/token` };
    const ok = await runCcrx(['print-token'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.startsWith(PLANTED.mintedCopilotToken)).toBe(true);
    scan.add('ccrx print-token stdout', ok.stdout, { allowed: ['mintedCopilotToken'] });
    scan.add('ccrx print-token stderr', ok.stderr);

    // Refresh refused by GitHub, and a token file that is not JSON (a parse error may quote the text it read).
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    const refused = await startMockUpstream((_req, res) => sendJson(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }));
    try {
      const expired = join(broken, 'expired.json');
      writeFileSync(expired, JSON.stringify({ githubToken: PLANTED.githubToken, copilotToken: PLANTED.staleCopilotToken, expiresAt: 1 }));
      const garbled = join(broken, 'garbled.json');
      writeFileSync(garbled, `{"githubToken": ${PLANTED.githubToken}, "copilotToken": "${PLANTED.staleCopilotToken}"`);
      for (const [label, file] of [['refused refresh', expired], ['garbled file', garbled]] as const) {
        const out = await runCcrx(['print-token'], { HOME: broken, COPILOT_TOKEN_FILE: file, COPILOT_TOKEN_URL: `${refused.url}/copilot_internal/v2/token` });
        expect(out.code, label).toBe(1);
        expect(out.stdout, label).toBe('');
        expect(out.stderr.trim().length, label).toBeGreaterThan(0);
        scan.add(`ccrx print-token stderr (${label})`, out.stderr);
      }
    } finally {
      await refused.close();
    }
  });
});

describe('planted secrets', () => {
  it('appear in no gateway log, raw diagnostics file, Codex output or ccrx output', async () => {
    // Stop first: the log and the diagnostics file are complete only once the gateway has shut down.
    await gw.stop();
    const sizes = scan.sizes();
    expect(sizes['gateway log (ccrx serve, default level)']).toBeGreaterThan(500);
    expect(sizes['raw diagnostics (content_redacted)']).toBeGreaterThan(2000);
    expect(wholeRequestSnapshots(rawLog)).toBeGreaterThan(0); // whole bodies snapshotted: the prompt was in scope
    // The secrets really travelled: the upstream saw the prompt and the minted token, GitHub the OAuth token.
    expect(copilot.requests.some((r) => r.body.toString().includes(PLANTED.prompt))).toBe(true);
    expect(copilot.requests.some((r) => r.headers.authorization?.includes(PLANTED.mintedCopilotToken))).toBe(true);
    expect(scan.leaks()).toEqual([]);
  });
});

