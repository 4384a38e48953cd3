import type { DestinationStream } from 'pino';
import { packageVersion } from './version.js';

/** pino's numeric levels, as a person reads them. */
const LEVELS: Record<number, { name: string; color: number }> = {
  10: { name: 'TRACE', color: 90 },
  20: { name: 'DEBUG', color: 36 },
  30: { name: 'INFO', color: 32 },
  40: { name: 'WARN', color: 33 },
  50: { name: 'ERROR', color: 31 },
  60: { name: 'FATAL', color: 35 },
};
/** Fields every record has, or that the short line already shows. */
const QUIET = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId']);

type Record_ = Record<string, unknown>;

/**
 * The log a person watches in a terminal: a short banner at start, one line per request (method, path, model,
 * status, duration), one line per other record. The full JSON records are what a pipe, a file or `ccrx logs --json`
 * get; this is only a view of them.
 */
export function consoleDestination(o: { color: boolean; write?: (text: string) => void }): DestinationStream {
  const write = o.write ?? ((text: string) => void process.stderr.write(text));
  const paint = (code: number, text: string) => (o.color ? `\u001b[${code}m${text}\u001b[39m` : text);
  const dim = (text: string) => (o.color ? `\u001b[2m${text}\u001b[22m` : text);
  return {
    write(line: string) {
      let record: Record_;
      try {
        record = JSON.parse(line) as Record_;
      } catch {
        write(line.endsWith('\n') ? line : `${line}\n`);
        return;
      }
      write(`${formatRecord(record, paint, dim)}\n`);
    },
  };
}

function formatRecord(r: Record_, paint: (code: number, text: string) => string, dim: (text: string) => string): string {
  const time = dim(clock(r.time));
  const level = LEVELS[Number(r.level)] ?? { name: String(r.level), color: 39 };
  const msg = typeof r.msg === 'string' ? r.msg : '';
  if (msg === 'codex-code-router listening') return banner(r, paint, dim);
  if (msg === 'request completed' || msg.startsWith('request ended')) {
    const status = Number(r.status);
    const statusText = paint(status >= 500 ? 31 : status >= 400 ? 33 : 32, String(r.status ?? '-'));
    const extra = [
      r.provider && r.provider !== 'default' ? `[${String(r.provider)}]` : '',
      Number(r.attempts) > 1 ? `${String(r.attempts)} attempts` : '',
      r.outcome && r.outcome !== 'completed' ? paint(33, `${String(r.outcome)}${r.error ? ` (${String(r.error)})` : ''}`) : '',
    ].filter(Boolean);
    return [time, `${String(r.method)} ${String(r.path)}`, r.model ? String(r.model) : dim('-'), statusText, duration(r.durationMs), ...extra].join('  ');
  }
  const fields = Object.entries(r)
    .filter(([k, v]) => !QUIET.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${compact(v)}`);
  return [time, paint(level.color, level.name.padEnd(5)), msg, ...fields].filter(Boolean).join(' ');
}

function banner(r: Record_, paint: (code: number, text: string) => string, dim: (text: string) => string): string {
  const chains = Array.isArray(r.chains) ? (r.chains as { provider?: string; prefix?: string }[]) : [];
  const routes = chains.map((c) => `${c.provider ?? '?'} ${dim(`${String(r.url)}${c.prefix ?? ''}/v1`)}`).join(', ');
  return [
    `${paint(32, 'codex-code-router')} ${packageVersion()} listening on ${paint(36, String(r.url))}`,
    `  config: ${String(r.configFile ?? 'built-in default')}; ${chains.length === 1 ? 'chain' : 'chains'}: ${routes}`,
    dim('  one line per request below (JSON logs instead when stderr is not a terminal)'),
  ].join('\n');
}

function clock(time: unknown): string {
  const d = new Date(typeof time === 'number' ? time : Date.now());
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function duration(ms: unknown): string {
  const n = Number(ms);
  if (!Number.isFinite(n)) return '-';
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
}

function compact(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (value !== null && typeof value === 'object' && 'message' in value && typeof (value as { message: unknown }).message === 'string') return JSON.stringify((value as { message: string }).message);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
