import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'smol-toml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCatalog, DEFAULT_BASE_INSTRUCTIONS, validateCatalog } from '../../src/index.js';
import chatTranslator from '../../src/plugins/chat-translator/index.js';
import { chatStream, contextLengthError, startMockChat, type ChatRequestRecord, type MockChat } from '../support/mock-chat.js';
import { startRouter, type StartedRouter } from '../support/router.js';

// Real Codex 0.169.0 (`codex exec`) → gateway (chat-translator) → mock Chat Completions provider, on loopback.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CODEX = join(root, 'node_modules', '.bin', 'codex');
const MCP_ECHO = join(root, 'test', 'e2e', 'fixtures', 'mcp-echo.mjs');
const MODEL = 'mock-model';

let chat: MockChat;
let gateway: StartedRouter;
let work: string;

interface CodexRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Both streams, for assertions on what the user sees. */
  output: string;
}

/** A fresh CODEX_HOME (config + catalogue) and working directory per run. */
function codexHome(o: { mcp?: boolean } = {}): { home: string; cwd: string } {
  const base = mkdtempSync(join(work, 'run-'));
  const home = join(base, 'home');
  const cwd = join(base, 'cwd');
  mkdirSync(home);
  mkdirSync(cwd);
  const catalog = buildCatalog([{ slug: MODEL, contextWindow: 65536 }]);
  expect(validateCatalog(catalog).valid).toBe(true);
  writeFileSync(join(home, 'catalog.json'), JSON.stringify(catalog));
  const config: Record<string, unknown> = {
    model: MODEL,
    model_provider: 'ccrx',
    model_catalog_json: join(home, 'catalog.json'),
    approval_policy: 'never',
    model_providers: {
      ccrx: { name: 'codex-code-router', base_url: `${gateway.url}/mock/v1`, wire_api: 'responses', supports_websockets: false, request_max_retries: 0, stream_max_retries: 0, stream_idle_timeout_ms: 30000 },
    },
  };
  if (o.mcp) config.mcp_servers = { echo: { command: process.execPath, args: [MCP_ECHO] } };
  writeFileSync(join(home, 'config.toml'), stringify(config));
  return { home, cwd };
}

function runCodex(prompt: string, o: { mcp?: boolean; sandbox?: string } = {}): Promise<CodexRun & { cwd: string }> {
  const { home, cwd } = codexHome(o);
  const args = ['exec', '--skip-git-repo-check', '--sandbox', o.sandbox ?? 'workspace-write', '-C', cwd, prompt];
  return spawnCodex(args, home).then((run) => ({ ...run, cwd }));
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
  gateway = await startRouter({ providers: { mock: { plugins: [[chatTranslator, { baseUrl: chat.baseUrl, apiKey: 'sk-mock-key', keepAliveMs: 2000 }]] } } });
});

afterAll(async () => {
  await gateway?.close();
  await chat?.close();
  rmSync(work, { recursive: true, force: true });
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
    expect(request?.headers.authorization).toBe('Bearer sk-mock-key');
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
    const { home } = codexHome();
    const run = await spawnCodex(['debug', 'models'], home);
    const listed = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { models: { slug: string; apply_patch_tool_type: string | null; context_window?: number }[] };
    expect(listed.models.map((m) => m.slug)).toEqual([MODEL]);
    expect(listed.models[0]).toMatchObject({ apply_patch_tool_type: 'freeform', context_window: 65536 });
  });

  it('codex exec runs with the config.toml and catalogue that codex-config printed for the running gateway', async () => {
    const { codexConfig } = await import('../../src/cli/codex-config.js');
    const base = mkdtempSync(join(work, 'printed-'));
    const port = new URL(gateway.url).port;
    const configFile = join(base, 'router.config.ts');
    writeFileSync(configFile, `import chatTranslator from ${JSON.stringify(join(root, 'src', 'plugins', 'chat-translator', 'index.ts'))};
export default { server: { port: ${port} }, providers: { mock: { plugins: [[chatTranslator, { baseUrl: ${JSON.stringify(chat.baseUrl)}, apiKey: 'sk-mock-key' }]] } } };\n`);
    const home = join(base, 'home');
    const result = await codexConfig({ configFile, provider: 'mock', catalogFile: join(home, 'catalog.json'), cwd: base, env: {} });
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

function spawnCodex(args: string[], home: string): Promise<CodexRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(CODEX, args, { env: { ...process.env, CODEX_HOME: home, OPENAI_API_KEY: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
    });
  });
}
