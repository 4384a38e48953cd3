import { resolve } from 'node:path';
import { serverOverrides } from '../cli/serve.js';
import { createLogger } from '../core/logger.js';
import { loadRouter } from '../router.js';
import type { HealthCheckView } from './probe.js';
import type { ServiceOptions } from './state.js';
import { gatewayUrl } from './url.js';

/** What `start` learns by building the gateway in-process (without listening) before it spawns the service. */
export interface Inspection {
  /** The config file found, or undefined for the built-in default chain. */
  configFile: string | undefined;
  url: string;
  shutdownGraceMs: number;
  /** The local API key the service will require (config or CCRX_API_KEY), for the CLI's own health checks. */
  apiKey: string | undefined;
  /** `providers.default.checks.auth` of `/health`; undefined when no plugin reports auth. */
  auth: HealthCheckView | undefined;
}

/**
 * Loads the config exactly as the service will (same flags, same cwd, this environment), so config
 * errors surface here, in the terminal, instead of in the service log.
 */
export async function inspectService(options: ServiceOptions): Promise<Inspection> {
  const overrides = serverOverrides({ host: options.host, port: options.port, 'allow-remote': options.allowRemote, 'log-level': options.logLevel });
  const router = await loadRouter({ configFile: options.config ? resolve(options.cwd, options.config) : undefined, cwd: options.cwd, overrides, logger: createLogger({ level: 'silent', pretty: false }) });
  try {
    const { host, port, shutdownGraceMs } = router.config.server;
    if (port === 0) throw new Error('the background service needs a fixed port: set --port, PORT or server.port (0 picks a random port)');
    const health = (await router.health()) as { providers?: Record<string, { checks?: Record<string, HealthCheckView> }> };
    return { configFile: router.config.file, url: gatewayUrl(host, port), shutdownGraceMs, apiKey: router.config.server.apiKey, auth: health.providers?.default?.checks?.auth };
  } finally {
    await router.close().catch(() => {});
  }
}
