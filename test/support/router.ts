import { createRouter, createLogger, type RouterConfig, type RouterHandle } from '../../src/index.js';

export interface StartedRouter {
  url: string;
  router: RouterHandle;
  close(): Promise<void>;
}

/** Starts a gateway from a config object on a free loopback port, with logs silenced unless TEST_LOG is set. */
export async function startRouter(config: RouterConfig, o: { env?: Record<string, string | undefined>; baseDir?: string } = {}): Promise<StartedRouter> {
  const logger = createLogger({ level: process.env.TEST_LOG ?? 'silent', pretty: false });
  const router = await createRouter(config, { env: o.env ?? {}, baseDir: o.baseDir, overrides: { port: 0, host: '127.0.0.1' }, logger });
  const { url } = await router.listen();
  return { url, router, close: () => router.close() };
}
