import { createLogger } from '../core/logger.js';
import type { RouterHandle } from '../core/kernel.js';
import type { RouterConfig } from '../core/types.js';
import { createRouter } from '../router.js';
import { tempDir } from './temp.js';

export interface StartedRouter {
  url: string;
  router: RouterHandle;
  close(): Promise<void>;
}

/** Starts a gateway from a config object on a free loopback port, with logs silenced unless TEST_LOG is set. */
export async function startRouter(config: RouterConfig, o: { env?: Record<string, string | undefined>; baseDir?: string; logLevel?: string } = {}): Promise<StartedRouter> {
  const logger = createLogger({ level: o.logLevel ?? process.env.TEST_LOG ?? 'silent', pretty: false });
  // A fresh state directory unless the test names one: the response store never lands in the developer's HOME.
  const env = { CODEX_CODE_ROUTER_STATE_DIR: tempDir('ccrx-state-'), ...o.env };
  const router = await createRouter(config, { env, baseDir: o.baseDir, overrides: { port: 0, host: '127.0.0.1' }, logger });
  const { url } = await router.listen();
  return { url, router, close: () => router.close() };
}
