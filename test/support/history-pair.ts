import { expect } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { historyBody, loadRecorded, type RecordedBodies } from '../../bench/codex-history.mjs';
import type { RouterConfig } from '../../src/core/types.js';
import { startMockUpstream, type MockHandler, type MockUpstream } from './mock-upstream.js';
import { startRouter, type StartedRouter } from './router.js';

export interface HistoryStats {
  sessions: number;
  bytes: number;
  resumed: number;
}

/** What `/health` says of a translator's history cache (the first chain's, or `provider`'s). */
export async function historyStats(url: string, plugin: string, provider?: string): Promise<HistoryStats> {
  const health = (await (await fetch(`${url}/health`)).json()) as { providers: Record<string, { checks: Record<string, { history: HistoryStats }> }> };
  const chain = provider ? health.providers[provider] : Object.values(health.providers)[0];
  return chain!.checks[plugin]!.history;
}

/**
 * Two gateways with one translator each, the first with its history cache as configured and the second with it off,
 * each before its own recording upstream (answering `answer`). `send` posts a body to both and gives back what
 * each sent upstream; `stop` closes all four.
 */
export async function rememberingPair(chain: (upstreamUrl: string, historyCacheBytes: number | undefined) => RouterConfig, answer: MockHandler): Promise<{ send: (body: unknown) => Promise<[string, string]>; remembering: StartedRouter; stop: () => Promise<void> }> {
  const start = async (historyCacheBytes?: number): Promise<{ mock: MockUpstream; gw: StartedRouter }> => {
    const mock = await startMockUpstream(answer);
    return { mock, gw: await startRouter(chain(mock.url, historyCacheBytes)) };
  };
  const [on, off] = await Promise.all([start(), start(0)]);
  const post = async ({ gw, mock }: { mock: MockUpstream; gw: StartedRouter }, text: string) => {
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
    expect(res.status, await res.text()).toBe(200);
    return mock.requests.at(-1)!.body.toString();
  };
  return {
    remembering: on.gw,
    send: async (body) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      return [await post(on, text), await post(off, text)];
    },
    stop: async () => {
      await Promise.all([on.gw.close(), off.gw.close()]);
      await Promise.all([on.mock.close(), off.mock.close()]);
    },
  };
}

/** A text of `bytes` UTF-16 units with quotes, a backslash and non-ASCII in it, starting with `seed`. */
export const sampleText = (seed: string, bytes: number) => `${seed}: ${'the quick brown fox jumps over the lazy dog, "quoted" \\ é 中文 😀 '.repeat(Math.ceil(bytes / 64))}`.slice(0, bytes);

type Item = Record<string, unknown>;

/**
 * Input items as a Codex session sends them, in any order: messages of every role with `content` texts, `reasoning`
 * items, function and custom tool calls (four call ids, so some repeat) and their outputs, texts and an image.
 */
export function sessionItems(content: fc.Arbitrary<string>, reasoning: fc.Arbitrary<Item>): fc.Arbitrary<Item> {
  const call = fc.constantFrom('a', 'b', 'c', 'd');
  return fc.oneof(
    content.map((t) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text: t }] })),
    content.map((t) => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: t }] })),
    content.map((t) => ({ type: 'message', role: 'developer', content: t })),
    reasoning,
    call.map((id) => ({ type: 'function_call', call_id: id, name: 'exec_command', arguments: '{"cmd":"ls"}' })),
    call.map((id) => ({ type: 'custom_tool_call', call_id: id, name: 'apply_patch', input: '*** Begin Patch\n*** End Patch\n' })),
    fc.tuple(call, content).map(([id, t]) => ({ type: 'function_call_output', call_id: id, output: t })),
    call.map((id) => ({ type: 'function_call_output', call_id: id, output: [{ type: 'input_text', text: 'see' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] })),
  );
}

/**
 * Generated sessions (`items`, up to `maxItems`), each sent grown a few items at a time in up to `maxSteps` requests
 * (`session` makes a request of the items so far): both gateways of `send` must send the same body every time.
 */
export async function assertGrownSessions(send: (body: unknown) => Promise<[string, string]>, session: (items: Item[]) => Item, items: fc.Arbitrary<Item>, { maxItems, maxSteps }: { maxItems: number; maxSteps: number }): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(items, { maxLength: maxItems }), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: maxSteps }), async (generated, steps) => {
      let n = 0;
      for (const step of steps) {
        n = Math.min(generated.length, n + step);
        const [remembered, afresh] = await send(session(generated.slice(0, n)));
        expect(remembered).toBe(afresh);
      }
    }),
    { numRuns: 60 },
  );
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The bench's long history of about 400 KB (bench/codex-history.mjs, from the shared recordings), sealed with `seal`. */
export function benchHistory(model: string, seal: (text: string, model: string, signature: string) => string): Item & { input: Item[] } {
  return JSON.parse(historyBody(loadRecorded(repoRoot) as RecordedBodies, { model, targetBytes: 400_000, seal }).text) as Item & { input: Item[] };
}
