import { afterEach } from 'vitest';
import { definePlugin, type Plugin, type PluginEntry, type RouterConfig } from '../../src/index.js';
import { startMockUpstream, type MockHandler, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

export function onCleanup(fn: () => Promise<void>): void {
  cleanup.push(fn);
}

/** The smallest useful plugin: sends each route to the mock's `/responses` or `/models`. */
export function upstreamTo(mock: MockUpstream): Plugin {
  return definePlugin({
    name: 'test-upstream',
    apply({ hooks }) {
      hooks.request.tapPromise('test-upstream', async (ex) => {
        ex.upstream.url = new URL(ex.inbound.route === 'models' ? '/models' : '/responses', mock.url);
        return undefined;
      });
    },
  });
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
