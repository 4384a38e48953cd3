import { defineCommand } from 'citty';
import { CLIError } from './errors.js';
import { createLogger } from '../core/logger.js';
import { loadRouter } from '../router.js';
import { pinHeapGrowth } from './heap-growth.js';

export const serverArgs = {
  config: { type: 'string', alias: 'c', description: 'Config file (default: search router.config.* from the current directory)' },
  host: { type: 'string', description: 'Address to bind (default: server.host in the config, else HOST, else 127.0.0.1)' },
  port: { type: 'string', alias: 'p', description: 'Port to bind (default: server.port in the config, else PORT, else 60001)' },
  'allow-remote': { type: 'boolean', description: 'Allow binding a non-loopback address' },
  'log-level': { type: 'string', description: 'fatal, error, warn, info, debug, trace or silent (default: logLevel in the config, else LOG_LEVEL, else info)' },
} as const;

export function serverOverrides(args: { host?: string; port?: string; 'allow-remote'?: boolean; 'log-level'?: string }) {
  const port = args.port === undefined ? undefined : Number(args.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new CLIError(`--port must be an integer from 0 to 65535, got ${args.port}`);
  return { host: args.host, port, allowRemote: args['allow-remote'] || undefined, logLevel: args['log-level'] };
}

export default defineCommand({
  meta: { name: 'serve', description: 'Run the gateway in the foreground' },
  args: {
    ...serverArgs,
    'log-file': { type: 'string', description: 'Write JSON logs to this file, rotated by size, instead of stderr (used by `ccrx start`)' },
  },
  async run({ args }) {
    pinHeapGrowth();
    const overrides = serverOverrides(args);
    const level = overrides.logLevel ?? (process.env.LOG_LEVEL?.trim() || 'info');
    const logger = createLogger({ level, file: args['log-file'], pretty: args['log-file'] ? false : undefined });
    const router = await loadRouter({ configFile: args.config, overrides, logger });
    // The logger exists before the config is read (to report config errors); the config's logLevel applies from here.
    logger.level = router.config.logLevel;
    await router.listen();
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal; exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      void router.close().then(() => logger.flush(() => process.exit(0)));
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  },
});
