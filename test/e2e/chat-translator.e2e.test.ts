import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCatalog, DEFAULT_BASE_INSTRUCTIONS, validateCatalog } from '../../src/index.js';
import { cleanupCodexHomes, makeCodexHome, MCP_ECHO, runCodex as runCodexCli, spawnCodex, type CodexRun } from '../support/codex.js';
import { chatStream, contextLengthError, startMockChat, type ChatRequestRecord, type MockChat } from '../support/mock-chat.js';
import { createSecretScan, PLANTED, WHOLE_BODIES, wholeRequestSnapshots } from '../support/secrets.js';
import { historyStats } from '../support/history-pair.js';
import { startServe, type ServedGateway } from '../support/serve.js';

// Real Codex 0.169.0 (`codex exec`) → `ccrx serve` (child process; a `mock` provider whose chain is the
// chat-translator) → a mock Chat Completions provider, on loopback. The API key comes from DEEPSEEK_API_KEY, the
// prompt carries a planted secret, raw diagnostics run at content_redacted; the last test scans every log.
const MODEL = 'mock-model';

let chat: MockChat;
let gateway: ServedGateway;
let work: string;
let configFile: string;
const scan = createSecretScan();

const catalog = () => {
  const c = buildCatalog([{ slug: MODEL, contextWindow: 65536 }]);
  expect(validateCatalog(c).valid).toBe(true);
  return c;
};

const provider = { request_max_retries: 0, stream_max_retries: 0, stream_idle_timeout_ms: 30000 };

async function runCodex(prompt: string, o: { mcp?: boolean } = {}): Promise<CodexRun> {
  const run = await runCodexCli({
    baseUrl: `${gateway.url}/mock/v1`,
    model: MODEL,
    catalog: catalog(),
    prompt: `${prompt} (${PLANTED.prompt})`,
    provider,
    config: o.mcp ? { mcp_servers: { echo: { command: process.execPath, args: [MCP_ECHO] } } } : undefined,
  });
  scan.add(`codex output: ${prompt}`, run.output, { allowed: ['prompt'] });
  return run;
}

/** The upstream tool name the translator declared for a Codex tool (flattened namespaces included). */
function upstreamTool(request: ChatRequestRecord, match: (name: string) => boolean): { name: string; parameters: { required?: string[] } } {
  const tools = (request.body?.tools ?? []) as { function: { name: string; parameters: { required?: string[] } } }[];
  const tool = tools.map((t) => t.function).find((f) => match(f.name));
  if (!tool) throw new Error(`no matching upstream tool among: ${tools.map((t) => t.function.name).join(', ')}`);
  return tool;
}

function messages(request: ChatRequestRecord | undefined): { role: string; content?: unknown; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string; reasoning_content?: string }[] {
  return request?.body?.messages ?? [];
}

const text = (content: unknown) => (typeof content === 'string' ? content : JSON.stringify(content));

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ccrx-e2e-chat-'));
  chat = await startMockChat({ models: [{ id: MODEL, contextLength: 65536 }] });
  configFile = join(work, 'router.config.json');
  const translator = { baseUrl: chat.baseUrl, apiKeyEnv: 'DEEPSEEK_API_KEY', keepAliveMs: 2000 };
  writeFileSync(configFile, JSON.stringify({ plugins: [], providers: { mock: { plugins: ['raw-diagnostics', ['chat-translator', translator]] } } }));
  gateway = await startServe({
    args: ['--config', configFile],
    env: { DEEPSEEK_API_KEY: PLANTED.apiKey, CODEX_CODE_ROUTER_RAW_LOG_LEVEL: 'content_redacted', CODEX_CODE_ROUTER_RAW_LOG_FILE: join(work, 'raw', 'diagnostics.jsonl'), ...WHOLE_BODIES },
  });
  scan.add('gateway log (ccrx serve, default level)', () => gateway.log());
  scan.addPath('raw diagnostics (content_redacted)', join(work, 'raw'));
});

afterAll(async () => {
  await gateway?.stop();
  await chat?.close();
  cleanupCodexHomes();
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  chat.requests.length = 0;
  expect(chat.pending()).toBe(0);
});

describe('real codex exec through the chat-translator', () => {
  it('plain answer: the catalogue prompt leads, apply_patch is offered, the text reaches the user', async () => {
    chat.enqueue(chatStream({ content: ['Hello ', 'from the mock provider.'], usage: { prompt_tokens: 50, completion_tokens: 6 } }));
    const run = await runCodex('say hi');
    expect(run.output).toContain('Hello from the mock provider.');
    expect(run.output).not.toMatch(/Model metadata for .* not found/);
    expect(run.code).toBe(0);
    const [request] = chat.requests;
    expect(request?.headers.authorization).toBe(`Bearer ${PLANTED.apiKey}`);
    expect(request?.body.model).toBe(MODEL);
    const first = messages(request)[0];
    expect(first?.role).toBe('system');
    expect(text(first?.content).startsWith(DEFAULT_BASE_INSTRUCTIONS.slice(0, 200))).toBe(true);
    expect(upstreamTool(request!, (n) => n === 'apply_patch')).toBeDefined();
    expect(chat.requests).toHaveLength(1);
  });

  it('tool loop: exec_command runs and its output reaches the upstream as a tool message', async () => {
    chat.enqueue(
      chatStream({ toolCalls: [{ id: 'call_echo', name: 'exec_command', arguments: ['{"cmd":"echo ', 'TOOL_RAN_OK"}'] }] }),
      chatStream({ content: ['The command printed TOOL_RAN_OK.'] }),
    );
    const run = await runCodex('run echo TOOL_RAN_OK');
    expect(run.output).toContain('The command printed TOOL_RAN_OK.');
    expect(chat.requests).toHaveLength(2);
    const turn2 = messages(chat.requests[1]);
    const call = turn2.find((m) => m.role === 'assistant' && m.tool_calls?.length);
    expect(call?.tool_calls?.[0]).toMatchObject({ id: 'call_echo', function: { name: 'exec_command' } });
    const result = turn2.find((m) => m.role === 'tool' && m.tool_call_id === 'call_echo');
    expect(text(result?.content)).toContain('TOOL_RAN_OK');
    expect(turn2.indexOf(result!)).toBe(turn2.indexOf(call!) + 1);
  });

  it('apply_patch: the function call comes back to Codex as its freeform tool and the file is created', async () => {
    const patch = '*** Begin Patch\n*** Add File: hello.txt\n+hello from apply_patch\n*** End Patch\n';
    chat.enqueue(
      // The argument name is the translator's choice: read it from the tool it declared upstream.
      (request) => {
        const field = upstreamTool(request, (n) => n === 'apply_patch').parameters.required?.[0] ?? 'patch';
        return chatStream({ toolCalls: [{ id: 'call_patch', name: 'apply_patch', arguments: JSON.stringify({ [field]: patch }) }] });
      },
      chatStream({ content: ['Done: created hello.txt.'] }),
    );
    const run = await runCodex('create hello.txt');
    const file = join(run.cwd, 'hello.txt');
    expect(existsSync(file), run.output).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('hello from apply_patch\n');
    expect(run.output).toContain('Done: created hello.txt.');
    const result = messages(chat.requests[1]).find((m) => m.role === 'tool' && m.tool_call_id === 'call_patch');
    expect(text(result?.content)).toMatch(/Success/);
  });

  it('two parallel tool calls: both run, both outputs come back in call order', async () => {
    chat.enqueue(
      chatStream({
        toolCalls: [
          { id: 'call_a', name: 'exec_command', arguments: '{"cmd":"echo FIRST_A1"}' },
          { id: 'call_b', name: 'exec_command', arguments: '{"cmd":"echo SECOND_B2"}' },
        ],
      }),
      chatStream({ content: ['Both commands ran.'] }),
    );
    const run = await runCodex('run two echos');
    expect(run.output).toContain('Both commands ran.');
    const turn2 = messages(chat.requests[1]);
    const assistant = turn2.filter((m) => m.role === 'assistant' && m.tool_calls?.length);
    expect(assistant).toHaveLength(1);
    expect(assistant[0]?.tool_calls?.map((c) => c.id)).toEqual(['call_a', 'call_b']);
    const tools = turn2.filter((m) => m.role === 'tool');
    expect(tools.map((m) => m.tool_call_id)).toEqual(['call_a', 'call_b']);
    expect(text(tools[0]?.content)).toContain('FIRST_A1');
    expect(text(tools[1]?.content)).toContain('SECOND_B2');
  });

  it('namespaced MCP tool: the flattened call goes back with its namespace and Codex runs it', async () => {
    chat.enqueue(
      (request) => {
        const tool = upstreamTool(request, (n) => n.startsWith('mcp__echo') && n.endsWith('echo') && n !== 'mcp__echo');
        return chatStream({ toolCalls: [{ id: 'call_mcp', name: tool.name, arguments: '{"text":"ping-42"}' }] });
      },
      chatStream({ content: ['The MCP server answered.'] }),
    );
    const run = await runCodex('echo ping-42 through the echo server', { mcp: true });
    expect(run.output).not.toContain('unsupported call');
    expect(run.output).toContain('The MCP server answered.');
    const result = messages(chat.requests[1]).find((m) => m.role === 'tool' && m.tool_call_id === 'call_mcp');
    expect(text(result?.content)).toContain('echo: ping-42');
  });

  it("a session's later turns go on from its remembered history, and the upstream still gets the whole conversation", async () => {
    const resumed = async () => (await historyStats(gateway.url, 'chat-translator', 'mock')).resumed;
    const before = await resumed();
    chat.enqueue(
      chatStream({ reasoning: ['First the date.'], toolCalls: [{ id: 'call_one', name: 'exec_command', arguments: '{"cmd":"echo FIRST_STEP"}' }] }),
      chatStream({ reasoning: ['Now the second.'], toolCalls: [{ id: 'call_two', name: 'exec_command', arguments: '{"cmd":"echo SECOND_STEP"}' }] }),
      chatStream({ content: ['Both steps ran.'] }),
    );
    const run = await runCodex('run echo FIRST_STEP, then echo SECOND_STEP');
    expect(run.output).toContain('Both steps ran.');
    expect(chat.requests).toHaveLength(3);
    // Codex resent turn 1 byte for byte in turns 2 and 3: the gateway translated only what each added.
    expect((await resumed()) - before).toBe(2);
    const turn3 = messages(chat.requests[2]);
    const calls = turn3.filter((m) => m.role === 'assistant' && m.tool_calls?.length);
    expect(calls.map((m) => m.tool_calls![0]!.id)).toEqual(['call_one', 'call_two']);
    expect(calls.map((m) => m.reasoning_content)).toEqual(['First the date.', 'Now the second.']);
    expect(text(turn3.find((m) => m.role === 'tool' && m.tool_call_id === 'call_one')?.content)).toContain('FIRST_STEP');
    expect(text(turn3.find((m) => m.role === 'tool' && m.tool_call_id === 'call_two')?.content)).toContain('SECOND_STEP');
    expect(turn3.filter((m) => m.role === 'user').some((m) => text(m.content).includes('FIRST_STEP, then echo SECOND_STEP'))).toBe(true);
  });

  it('reasoning_content of turn 1 is sent back on the assistant tool-call message of turn 2', async () => {
    chat.enqueue(
      chatStream({ reasoning: ['I should run ', 'the command first.'], toolCalls: [{ id: 'call_think', name: 'exec_command', arguments: '{"cmd":"echo THOUGHT"}' }] }),
      chatStream({ reasoning: ['It printed.'], content: ['It printed THOUGHT.'] }),
    );
    const run = await runCodex('think, then run echo THOUGHT');
    expect(run.output).toContain('It printed THOUGHT.');
    const call = messages(chat.requests[1]).find((m) => m.role === 'assistant' && m.tool_calls?.some((c) => c.id === 'call_think'));
    expect(call?.reasoning_content).toBe('I should run the command first.');
  });

  it('an upstream 400 context-length error is shown as Codex\'s context-window message, not retried', async () => {
    chat.enqueue(contextLengthError());
    const run = await runCodex('a very long prompt');
    expect(run.output).toContain("Codex ran out of room in the model's context window");
    expect(chat.requests).toHaveLength(1);
    expect(run.code).not.toBe(0);
  });
});

describe('real codex accepts the catalogue and `ccrx codex-config` output', () => {
  it('codex debug models loads a buildCatalog file: every slug present, apply_patch freeform kept', async () => {
    const home = makeCodexHome({ baseUrl: `${gateway.url}/mock/v1`, model: MODEL, catalog: catalog() });
    const run = await spawnCodex(['debug', 'models'], home);
    const listed = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { models: { slug: string; apply_patch_tool_type: string | null; context_window?: number }[] };
    expect(listed.models.map((m) => m.slug)).toEqual([MODEL]);
    expect(listed.models[0]).toMatchObject({ apply_patch_tool_type: 'freeform', context_window: 65536 });
  });

  it('codex exec runs with the config.toml and catalogue that codex-config printed for the running gateway', async () => {
    const { codexConfig } = await import('../../src/cli/codex-config.js');
    const base = mkdtempSync(join(work, 'printed-'));
    const printedConfig = join(base, 'router.config.json');
    // The same chain as the running gateway, with its port: codex-config asks that gateway for the catalogue.
    const running = JSON.parse(readFileSync(configFile, 'utf8')) as object;
    writeFileSync(printedConfig, JSON.stringify({ ...running, server: { port: gateway.port } }));
    const home = join(base, 'home');
    const result = await codexConfig({ configFile: printedConfig, provider: 'mock', catalogFile: join(home, 'catalog.json'), cwd: base, env: {} });
    expect(result.notes.join('\n')).toContain(`from ${gateway.url}/mock/v1/models?client_version=0.169.0`);
    writeFileSync(join(home, 'config.toml'), `approval_policy = "never"\n${result.toml}`);
    const models = await spawnCodex(['debug', 'models'], home);
    expect(JSON.parse(models.stdout.slice(models.stdout.indexOf('{'))).models.map((m: { slug: string }) => m.slug)).toContain(MODEL);

    chat.enqueue(chatStream({ content: ['Configured by codex-config.'] }));
    const run = await spawnCodex(['exec', '--skip-git-repo-check', '-C', base, 'say hi'], home);
    expect(run.output).toContain('Configured by codex-config.');
    expect(run.output).not.toMatch(/Model metadata for .* not found/);
    expect(upstreamTool(chat.requests[0]!, (n) => n === 'apply_patch')).toBeDefined();
  });
});

describe('planted secrets', () => {
  it('the API key and the prompt secret appear in no gateway log, raw diagnostics file or Codex output', async () => {
    await gateway.stop(); // flushes the log and the diagnostics file
    const sizes = scan.sizes();
    expect(sizes['gateway log (ccrx serve, default level)']).toBeGreaterThan(500);
    expect(sizes['raw diagnostics (content_redacted)']).toBeGreaterThan(2000);
    expect(wholeRequestSnapshots(join(work, 'raw', 'diagnostics.jsonl'))).toBeGreaterThan(0); // whole bodies snapshotted: the prompt was in scope
    // They really travelled: the provider got the key and the prompt.
    expect(chat.allRequests.some((r) => r.headers.authorization === `Bearer ${PLANTED.apiKey}`)).toBe(true);
    expect(chat.allRequests.some((r) => r.raw.toString().includes(PLANTED.prompt))).toBe(true);
    expect(scan.leaks()).toEqual([]);
  });
});
