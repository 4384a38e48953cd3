import { expect } from 'vitest';
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
