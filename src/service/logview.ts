import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { prettyFactory } from 'pino-pretty';

/** Turns one log line into what a human reads: pino JSON gets pino-pretty's layout, anything else passes as is. */
export function lineFormatter(o: { json: boolean; colorize: boolean }): (line: string) => string {
  if (o.json) return (line) => `${line}\n`;
  const pretty = prettyFactory({ colorize: o.colorize, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'hostname', singleLine: true });
  return (line) => {
    if (line.startsWith('{')) {
      try {
        const parsed = JSON.parse(line) as unknown;
        if (parsed && typeof parsed === 'object' && 'level' in parsed) return pretty(parsed as Record<string, unknown>);
      } catch {
        // not JSON after all: show it raw
      }
    }
    return `${line}\n`;
  };
}

/** The last `n` complete lines of a file, reading only its end. */
export function lastLines(file: string, n: number): { lines: string[]; size: number } {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    let start = size;
    let text = '';
    while (start > 0 && text.split('\n').length <= n + 1) {
      const from = Math.max(0, start - 64 * 1024);
      const buf = Buffer.alloc(start - from);
      readSync(fd, buf, 0, buf.length, from);
      text = buf.toString('utf8') + text;
      start = from;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return { lines: n === 0 ? [] : lines.slice(-n), size };
  } finally {
    closeSync(fd);
  }
}

/**
 * Follows a file from `offset`, line by line, across rotation (the file shrinking or being replaced
 * restarts from its beginning). Resolves when `signal` aborts.
 */
export async function follow(file: string, offset: number, onLine: (line: string) => void, signal: AbortSignal, pollMs = 200): Promise<void> {
  let position = offset;
  let inode = safeStat(file)?.ino;
  let partial = '';
  while (!signal.aborted) {
    const st = safeStat(file);
    if (st && (st.ino !== inode || st.size < position)) {
      inode = st.ino;
      position = 0;
      partial = '';
    }
    if (st && st.size > position) {
      const fd = openSync(file, 'r');
      try {
        const buf = Buffer.alloc(st.size - position);
        const read = readSync(fd, buf, 0, buf.length, position);
        position += read;
        const parts = (partial + buf.subarray(0, read).toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) onLine(line);
      } finally {
        closeSync(fd);
      }
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function safeStat(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
