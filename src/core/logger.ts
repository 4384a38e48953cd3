import { pino, type Logger, type DestinationStream } from 'pino';
import { createStream } from 'rotating-file-stream';
import { basename, dirname } from 'node:path';
import { colorEnabled } from './color.js';
import { consoleDestination } from './console-log.js';

export type { Logger } from 'pino';

const SECRET_KEYS = ['authorization', 'cookie', '["set-cookie"]', '["proxy-authorization"]', 'token', 'apiKey', 'githubToken', 'copilotToken', 'access_token', 'device_code', 'body'];
const PARENTS = ['headers', 'err', 'request', 'response', 'upstream', 'inbound', 'options', 'config', 'auth', 'credential'];

/**
 * Paths pino replaces with `[redacted]` wherever a secret could ride along in a log object: at the top level, under
 * the usual parents, and under their `headers`. Request logs carry metadata only; this is the safety net, not the
 * policy. Explicit paths rather than `*` wildcards: a wildcard walks every key of every logged object, which showed
 * up as a few percent of per-request CPU.
 */
const redactPaths = [...new Set(
  SECRET_KEYS.flatMap((key) => {
    const at = (parent: string) => (key.startsWith('[') ? `${parent}${key}` : `${parent}.${key}`);
    return [key.startsWith('[') ? `headers${key}` : key, ...PARENTS.map(at), ...PARENTS.map((p) => at(`${p}.headers`))];
  }),
)];

export interface LoggerOptions {
  level?: string;
  /**
   * The terminal view (a short banner, one line per request) instead of JSON lines; default: whether stderr, where
   * logs go, is a terminal.
   */
  pretty?: boolean;
  destination?: DestinationStream;
  /** Write JSON lines to this file instead, rotated by size (the background service's log). */
  file?: string;
}

/** Logs go to stderr (stdout stays free for command output such as `print-token`). */
export function createLogger(options: LoggerOptions = {}): Logger {
  // A silent logger needs no flush timer or pino-pretty; it still points at stderr in case its level is raised.
  if (options.level === 'silent' && !options.file && !options.destination) return pino({ level: 'silent' }, pino.destination({ dest: 2, sync: true }));
  if (options.file && !options.destination) return createLogger({ ...options, file: undefined, destination: rotatingFile(options.file) });
  const usePretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const destination = options.destination ?? (usePretty ? consoleDestination({ color: colorEnabled(process.stderr) }) : bufferedStderr());
  return pino({ level: options.level ?? 'info', redact: { paths: redactPaths, censor: '[redacted]' }, base: { pid: process.pid } }, destination);
}

/**
 * JSON lines to stderr in 12 KiB writes rather than one syscall per line (a measurable share of per-request CPU),
 * flushed at least twice a second so `ccrx logs -f` stays live. 12 KiB: SonicBoom refuses a batch of its 16 KiB
 * write size or more.
 */
function bufferedStderr(): DestinationStream {
  const stream = pino.destination({ dest: 2, sync: false, minLength: 12 * 1024 });
  // Only flush what was written since the last tick: an idle gateway should not wake up to write nothing.
  let pending = false;
  const write = stream.write.bind(stream);
  stream.write = (line: string) => {
    pending = true;
    return write(line);
  };
  setInterval(() => {
    if (!pending) return;
    pending = false;
    stream.flush();
  }, 500).unref();
  return stream;
}

/** Rotates at 10 MiB, keeping 5 older files as `<name>.1` … `<name>.5`. */
function rotatingFile(file: string): DestinationStream {
  const name = basename(file);
  // In rfs's classical (`rotate`) mode the generator receives the rotation number as its first argument.
  const stream = createStream((n) => (typeof n === 'number' ? `${name}.${n}` : name), { path: dirname(file), size: '10M', rotate: 5, mode: 0o600 });
  stream.on('error', () => {}); // a full disk must not crash the gateway
  // pino's flush() (called before exit) waits for the stream to hand its buffer to the file.
  return Object.assign(stream, {
    flush(cb: (err?: Error) => void) {
      const deadline = Date.now() + 2000;
      const check = () => (stream.writableLength === 0 || Date.now() > deadline ? cb() : setTimeout(check, 10));
      check();
    },
  }) as unknown as DestinationStream;
}
