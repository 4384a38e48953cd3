import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/index.js';
import { agentMessages, cleanupCodexHomes, codexEvents, runCodex, type CodexRun } from '../support/codex.js';
import { startMockChat, type MockChat } from '../support/mock-chat.js';
import { recordingsDir } from '../support/recordings.js';
import { startServe, type ServedGateway } from '../support/serve.js';

// Real Codex 0.169.0 → `ccrx serve` → a mock provider answering with the raw bytes real providers sent
// (shared/fixtures/real-provider-streams): what the user sees of a refusal, of <think> reasoning, of an error
// inside the stream.
const MODEL = 'mock-model';

let chat: MockChat;
let gateway: ServedGateway;
let work: string;

const recorded = (file: string) => ({ stream: [{ raw: readFileSync(join(recordingsDir.dir, file)) }], done: false });

async function codex(chain: string, prompt: string, o: { retries?: number; json?: boolean } = {}): Promise<CodexRun> {
  return runCodex({
    baseUrl: `${gateway.url}/${chain}/v1`,
    model: MODEL,
    catalog: buildCatalog([{ slug: MODEL, contextWindow: 65536 }]),
    prompt,
    provider: { request_max_retries: 0, stream_max_retries: o.retries ?? 0, stream_idle_timeout_ms: 30000 },
    args: o.json ? ['--json'] : undefined,
  });
}

describe.skipIf(!recordingsDir.available)(`real codex exec on recorded provider streams${recordingsDir.skip}`, () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ccrx-e2e-real-'));
    chat = await startMockChat({ models: [{ id: MODEL, contextLength: 65536 }] });
    const translator = { baseUrl: chat.baseUrl, apiKey: 'k' };
    const configFile = join(work, 'router.config.json');
    writeFileSync(configFile, JSON.stringify({
      plugins: [],
      providers: {
        mock: { plugins: [['chat-translator', translator]] },
        parts: { plugins: [['chat-translator', { ...translator, refusalAs: 'refusal' }]] },
        // The upstream model of the Groq recordings, so the preset's <think> model patterns apply.
        groq: { plugins: [['chat-translator', { ...translator, preset: 'groq', modelMap: { [MODEL]: 'deepseek-r1-distill-llama-70b' } }]] },
      },
    }));
    gateway = await startServe({ args: ['--config', configFile], env: {} });
  });

  afterAll(async () => {
    await gateway?.stop();
    await chat?.close();
    cleanupCodexHomes();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  beforeEach(() => {
    chat.requests.length = 0;
  });

  it('a refusal part alone is dropped by Codex: the user sees no answer (why refusalAs is auto)', async () => {
    chat.enqueue(recorded('openai-refusal.sse'));
    const run = await codex('parts', 'help me with something bad', { json: true });
    expect(run.code).toBe(0);
    expect(agentMessages(run.stdout)).toEqual([]);
    expect(run.output).not.toContain("I'm sorry");
  });

  it('shows the refusal of openai-refusal as the answer', async () => {
    chat.enqueue(recorded('openai-refusal.sse'));
    const run = await codex('mock', 'help me with something bad', { json: true });
    expect(run.code).toBe(0);
    const [answer] = agentMessages(run.stdout);
    expect(answer).toMatch(/^I'm sorry, I can.t assist with that/);
  });

  it('shows the <think> block of groq-r1-think-tags as reasoning and only the rest as the answer', async () => {
    chat.enqueue(recorded('groq-r1-think-tags.sse'));
    const run = await codex('groq', 'say hello', { json: true });
    expect(run.code).toBe(0);
    const [answer] = agentMessages(run.stdout);
    expect(answer).toBeDefined();
    expect(answer).not.toContain('think>');
    expect(answer).toMatch(/^\S/);
    const reasoning = codexEvents(run.stdout).filter((e) => e.type === 'item.completed' && e.item?.type === 'reasoning');
    expect(reasoning.length).toBeGreaterThan(0);
    expect(reasoning.map((e) => e.item!.text ?? '').join('')).toMatch(/Okay, so I want/);
  });

  it('ends the turn on the error inside groq-gptoss-error-no-done with Groq\'s message, without retrying', async () => {
    // A retry would be a second request (answered by mock-chat's 500 for unscripted requests).
    chat.enqueue(recorded('groq-gptoss-error-no-done.sse'));
    const run = await codex('groq', 'call the tool', { retries: 2 });
    expect(run.output).toContain('Tool call validation failed');
    expect(run.output).not.toContain('Reconnecting');
    expect(run.code).not.toBe(0);
    expect(chat.requests).toHaveLength(1);
  });
});
