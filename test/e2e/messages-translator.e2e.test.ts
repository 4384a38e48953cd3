import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateCatalog } from '../../src/index.js';
import { cleanupCodexHomes, runCodex as runCodexCli, type CodexRun } from '../support/codex.js';
import { messagesError, messagesReply, startMockMessages, type MessagesRequestRecord, type MockMessages } from '../support/mock-messages.js';
import { createSecretScan, PLANTED, WHOLE_BODIES, wholeRequestSnapshots } from '../support/secrets.js';
import { historyStats } from '../support/history-pair.js';
import { startServe, type ServedGateway } from '../support/serve.js';

// Real Codex 0.169.0 (`codex exec`) → `ccrx serve` (a `claude` provider whose chain is the messages-translator) → the
// mock Messages server, which applies the API's rules: a request that breaks one (alternation, a tool_result for
// each tool_use, a thinking signature that is not the one it issued, more than four breakpoints) is refused, so a
// passing turn is a valid one. Codex reads the gateway's own catalogue, so it sends reasoning efforts and apply_patch.
// The API key comes from ANTHROPIC_API_KEY, every prompt carries a planted secret, raw diagnostics run at
// content_redacted; the last test scans every log.
const MODEL = 'claude-sonnet-4-5';
const KEY = PLANTED.apiKey;
const scan = createSecretScan();

let claude: MockMessages;
let gateway: ServedGateway;
let work: string;
let catalog: object;

async function runCodex(prompt: string, provider: Record<string, unknown> = {}): Promise<CodexRun> {
  const run = await runCodexCli({ baseUrl: `${gateway.url}/claude/v1`, model: MODEL, catalog, prompt: `${prompt} (${PLANTED.prompt})`, provider: { request_max_retries: 0, stream_max_retries: 0, stream_idle_timeout_ms: 30000, ...provider } });
  scan.add(`codex output: ${prompt}`, run.output, { allowed: ['prompt'] });
  return run;
}

/** The tool the translator declared upstream for a Codex tool. */
function declared(request: MessagesRequestRecord, name: string): { name: string; input_schema: { required?: string[] } } {
  const tool = (request.body.tools as { name: string; input_schema: { required?: string[] } }[]).find((t) => t.name === name);
  if (!tool) throw new Error(`no upstream tool ${name}`);
  return tool;
}

type Block = { type: string; [k: string]: unknown };
const turns = (request: MessagesRequestRecord | undefined) => (request?.body.messages ?? []) as { role: string; content: Block[] }[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ccrx-e2e-messages-'));
  claude = await startMockMessages({ apiKey: KEY, models: [MODEL] });
  const configFile = join(work, 'router.config.json');
  writeFileSync(configFile, JSON.stringify({ plugins: [], providers: { claude: { plugins: ['raw-diagnostics', ['messages-translator', { baseUrl: claude.url, apiKeyEnv: 'ANTHROPIC_API_KEY', keepAliveMs: 2000 }]] } } }));
  gateway = await startServe({
    args: ['--config', configFile],
    env: { ANTHROPIC_API_KEY: KEY, CODEX_CODE_ROUTER_RAW_LOG_LEVEL: 'content_redacted', CODEX_CODE_ROUTER_RAW_LOG_FILE: join(work, 'raw', 'diagnostics.jsonl'), ...WHOLE_BODIES },
  });
  scan.add('gateway log (ccrx serve, default level)', () => gateway.log());
  scan.addPath('raw diagnostics (content_redacted)', join(work, 'raw'));
  catalog = (await (await fetch(`${gateway.url}/claude/v1/models?client_version=0.169.0`)).json()) as object;
  expect(validateCatalog(catalog).valid).toBe(true);
});

afterAll(async () => {
  await gateway?.stop();
  await claude?.close();
  cleanupCodexHomes();
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  expect(claude.pending()).toBe(0);
});

const count = () => claude.requests.length;

describe('real codex exec through the messages-translator', () => {
  it('tool loop: thinking comes back signed on turn 2 (the mock verifies it) and turn 2 reads the prefix from cache', async () => {
    const start = count();
    claude.enqueue(
      messagesReply({ thinking: 'I should run the echo first.', tools: [{ id: 'toolu_echo', name: 'exec_command', input: { cmd: 'echo TOOL_RAN_OK' } }] }),
      messagesReply({ thinking: 'It printed the marker.', text: 'The command printed TOOL_RAN_OK.' }),
    );
    const run = await runCodex('run echo TOOL_RAN_OK');
    expect(run.output).toContain('The command printed TOOL_RAN_OK.');
    expect(run.code, run.output).toBe(0);
    const [r1, r2] = claude.requests.slice(start);
    expect(claude.verdicts.slice(start)).toEqual([undefined, undefined]);
    expect(r1!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    expect(r1!.headers['x-api-key']).toBe(KEY);
    const assistant = turns(r2).at(-2)!;
    expect(assistant.content[0]).toMatchObject({ type: 'thinking', thinking: 'I should run the echo first.' });
    expect(assistant.content.at(-1)).toMatchObject({ type: 'tool_use', id: 'toolu_echo', name: 'exec_command' });
    const result = turns(r2).at(-1)!.content[0]!;
    expect(result).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_echo' });
    expect(JSON.stringify(result.content)).toContain('TOOL_RAN_OK');
    const [u1, u2] = claude.usages.slice(start);
    expect(u1!.cache_creation_input_tokens).toBeGreaterThan(3000);
    expect(u2!.cache_read_input_tokens).toBe(u1!.cache_creation_input_tokens);
  });

  it("a session's later turns go on from its remembered turns, and every request still keeps the API's rules", async () => {
    const resumed = async () => (await historyStats(gateway.url, 'messages-translator', 'claude')).resumed;
    const before = await resumed();
    const start = count();
    const step = (n: number) => messagesReply({ thinking: `Step ${n} next.`, tools: [{ id: `toolu_step${n}`, name: 'exec_command', input: { cmd: `echo STEP_${n}_RAN` } }] });
    claude.enqueue(step(1), step(2), step(3), messagesReply({ thinking: 'All ran.', text: 'Three steps ran.' }));
    const run = await runCodex('run echo STEP_1_RAN, then STEP_2_RAN, then STEP_3_RAN');
    expect(run.output).toContain('Three steps ran.');
    expect(run.code, run.output).toBe(0);
    expect(claude.requests.length - start).toBe(4);
    expect(claude.verdicts.slice(start)).toEqual([undefined, undefined, undefined, undefined]);
    // The fourth request went on from the turns the third one left final (the first user turn and what it answered).
    expect((await resumed()) - before).toBeGreaterThanOrEqual(1);
    const last = turns(claude.requests.at(-1));
    const uses = last.flatMap((t) => t.content.filter((b) => b.type === 'tool_use').map((b) => b.id));
    expect(uses).toEqual(['toolu_step1', 'toolu_step2', 'toolu_step3']);
    for (const turn of last.filter((t) => t.role === 'assistant')) expect(turn.content[0]).toMatchObject({ type: 'thinking' });
    expect(JSON.stringify(last)).toContain('STEP_1_RAN, then STEP_2_RAN');
  });

  it('two parallel calls: both run, both results come back together in call order', async () => {
    const start = count();
    claude.enqueue(
      messagesReply({ tools: [{ id: 'toolu_a', name: 'exec_command', input: { cmd: 'echo FIRST_A1' } }, { id: 'toolu_b', name: 'exec_command', input: { cmd: 'echo SECOND_B2' } }] }),
      messagesReply({ text: 'Both commands ran.' }),
    );
    const run = await runCodex('run two echos');
    expect(run.output).toContain('Both commands ran.');
    const last = turns(claude.requests[start + 1]).at(-1)!.content.filter((b) => b.type === 'tool_result');
    expect(last.map((b) => b.tool_use_id)).toEqual(['toolu_a', 'toolu_b']);
    expect(JSON.stringify(last[0]!.content)).toContain('FIRST_A1');
    expect(JSON.stringify(last[1]!.content)).toContain('SECOND_B2');
    expect(claude.verdicts.slice(start)).toEqual([undefined, undefined]);
  });

  it('apply_patch: the one-string tool call comes back to Codex as its freeform tool and the file is written', async () => {
    const patch = '*** Begin Patch\n*** Add File: hello.txt\n+hello from claude\n*** End Patch\n';
    const start = count();
    claude.enqueue(
      (request) => {
        const field = declared(request, 'apply_patch').input_schema.required?.[0] ?? 'patch';
        return messagesReply({ tools: [{ id: 'toolu_patch', name: 'apply_patch', input: { [field]: patch } }] });
      },
      messagesReply({ text: 'Done: created hello.txt.' }),
    );
    const run = await runCodex('create hello.txt');
    const file = join(run.cwd, 'hello.txt');
    expect(existsSync(file), run.output).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('hello from claude\n');
    expect(run.output).toContain('Done: created hello.txt.');
    const result = turns(claude.requests[start + 1]).at(-1)!.content[0]!;
    expect(result).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_patch' });
    expect(JSON.stringify(result.content)).toMatch(/Success/);
  });

  it('a refusal is shown to the user and not retried', async () => {
    const start = count();
    claude.enqueue(messagesReply({ stopReason: 'refusal', stopDetails: { type: 'refusal', explanation: 'This request was blocked.' } }));
    const run = await runCodex('do something forbidden', { stream_max_retries: 2 });
    expect(run.output).toContain('the model declined to answer (stop reason refusal): This request was blocked.');
    expect(count() - start).toBe(1);
    expect(run.code).not.toBe(0);
  });

  it('a max_tokens stop ends the turn as Codex\'s incomplete max_output_tokens', async () => {
    claude.enqueue(messagesReply({ text: 'This answer is cut sh', stopReason: 'max_tokens' }));
    const run = await runCodex('write a long essay');
    expect(run.output).toContain('max_output_tokens');
    expect(run.code).not.toBe(0);
  });

  it('an overloaded 529 is retried by Codex and the retry answers', async () => {
    const start = count();
    claude.enqueue(messagesError(529, 'overloaded_error', 'Overloaded'), messagesReply({ text: 'Answered after the overload.' }));
    const run = await runCodex('say hi', { request_max_retries: 2 });
    expect(run.output).toContain('Answered after the overload.');
    expect(run.code, run.output).toBe(0);
    expect(count() - start).toBe(2);
  });

  it('a prompt too long is Codex\'s context-window message, not retried', async () => {
    const start = count();
    claude.enqueue(messagesError(400, 'invalid_request_error', 'prompt is too long: 215000 tokens > 200000 maximum'));
    const run = await runCodex('a very long prompt', { request_max_retries: 2, stream_max_retries: 2 });
    expect(run.output).toContain("Codex ran out of room in the model's context window");
    expect(count() - start).toBe(1);
  });

  it('sent no request that broke the API rules', () => {
    expect(claude.violations).toEqual([]);
  });
});

describe('planted secrets', () => {
  it('the API key and the prompt secret appear in no gateway log, raw diagnostics file or Codex output', async () => {
    await gateway.stop(); // flushes the log and the diagnostics file
    const sizes = scan.sizes();
    expect(sizes['gateway log (ccrx serve, default level)']).toBeGreaterThan(500);
    expect(sizes['raw diagnostics (content_redacted)']).toBeGreaterThan(2000);
    expect(wholeRequestSnapshots(join(work, 'raw', 'diagnostics.jsonl'))).toBeGreaterThan(0);
    // They really travelled: the provider got the key and the prompt.
    expect(claude.requests.some((r) => r.headers['x-api-key'] === KEY)).toBe(true);
    expect(claude.requests.some((r) => r.raw.toString().includes(PLANTED.prompt))).toBe(true);
    expect(scan.leaks()).toEqual([]);
  });
});
