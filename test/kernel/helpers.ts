import { afterEach } from 'vitest';
import type { PluginEntry, RouterConfig } from '../../src/index.js';
import { startMockUpstream, type MockHandler, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { upstreamTo } from '../support/upstream-plugin.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

export function onCleanup(fn: () => Promise<void>): void {
  cleanup.push(fn);
}

export async function gatewayWith(handler: MockHandler, extra: PluginEntry[] = [], config: Omit<RouterConfig, 'plugins'> = {}): Promise<{ mock: MockUpstream; gw: StartedRouter }> {
  const mock = await startMockUpstream(handler);
  onCleanup(() => mock.close());
  const gw = await startRouter({ ...config, plugins: [upstreamTo(mock), ...extra] });
  onCleanup(() => gw.close());
  return { mock, gw };
}

export async function started(config: RouterConfig, env: Record<string, string> = {}): Promise<StartedRouter> {
  const gw = await startRouter(config, { env });
  onCleanup(() => gw.close());
  return gw;
}

/** A response body as loosely typed JSON, for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(res: Response): Promise<any> {
  return res.json();
}
