import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Paths pino replaces with `[redacted]` wherever a secret could ride along in a log object.
 * Request logs carry metadata only; this is the safety net, not the policy.
 */
export const redactPaths = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'headers["set-cookie"]',
  '*.headers["set-cookie"]',
  'headers["proxy-authorization"]',
  '*.headers["proxy-authorization"]',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'githubToken',
  '*.githubToken',
  'copilotToken',
  '*.copilotToken',
  'access_token',
  '*.access_token',
  'device_code',
  '*.device_code',
  'body',
  '*.body',
];

export interface LoggerOptions {
  level?: string;
  /** Human-readable output; defaults to whether stdout is a TTY. */
  pretty?: boolean;
  destination?: DestinationStream;
}

/** Logs go to stderr (stdout stays free for command output such as `print-token`). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const usePretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const destination =
    options.destination ??
    (usePretty ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: 2 }) : pino.destination({ dest: 2, sync: false }));
  return pino({ level: options.level ?? 'info', redact: { paths: redactPaths, censor: '[redacted]' }, base: { pid: process.pid } }, destination);
}
