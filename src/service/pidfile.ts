import { readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { isAlive, processIdentity } from './process.js';
import { ensureStateDir, removeFile, type StatePaths } from './state.js';

/** What `start` records about the service it spawned. */
export interface PidRecord {
  pid: number;
  /** See `processIdentity`; absent when the platform cannot tell. */
  identity?: string;
  /** Where the service listens, e.g. `http://127.0.0.1:60001`. */
  url: string;
  startedAt: string;
  /** `server.shutdownGraceMs` of the config the service runs, so `stop` waits long enough. */
  shutdownGraceMs: number;
}

export type PidState =
  | { kind: 'none' }
  | { kind: 'unreadable'; reason: string }
  | { kind: 'running'; record: PidRecord }
  /** The process is gone, or its pid now belongs to another program. */
  | { kind: 'stale'; record: PidRecord; why: 'dead' | 'reused' }
  /**
   * The original codex-code-router's pid file: the pid and a newline, nothing else. Users come from there; its
   * process may still run (an older gateway), and nothing in the file tells where it listens.
   */
  | { kind: 'legacy'; pid: number; alive: boolean };

export function writePidFile(paths: StatePaths, record: PidRecord): void {
  ensureStateDir(paths);
  writeFileAtomic.sync(paths.pidFile, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

export function removePidFile(paths: StatePaths): void {
  removeFile(paths.pidFile);
}

/** What a live legacy pid file means for `start`, `stop` and `status`: the words, and what to do. */
export function legacyPidAdvice(pid: number, pidFile: string, gateway: { url: string; healthy: boolean }): string {
  if (gateway.healthy) {
    return `an older codex-code-router (pid ${pid}, recorded in the original project's pid file ${pidFile}) is still running at ${gateway.url}; stop it with \`kill ${pid}\` (or Ctrl-C where it runs), then run \`ccrx start\``;
  }
  return `${pidFile} holds pid ${pid} in the original codex-code-router's format; that process is alive, but no gateway answers at ${gateway.url}. If it is an older codex-code-router, stop it with \`kill ${pid}\`; if it is another program, remove ${pidFile}. Then run \`ccrx start\``;
}

export function readPidFile(paths: StatePaths): PidState {
  let text: string;
  try {
    text = readFileSync(paths.pidFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'unreadable', reason: (err as Error).message };
  }
  const legacy = /^\s*(\d+)\s*$/.exec(text);
  if (legacy) {
    const pid = Number(legacy[1]);
    if (pid > 0 && Number.isSafeInteger(pid)) return { kind: 'legacy', pid, alive: isAlive(pid) };
  }
  const record = parseRecord(text);
  if (!record) return { kind: 'unreadable', reason: `${paths.pidFile} does not hold a pid record` };
  if (!isAlive(record.pid)) return { kind: 'stale', record, why: 'dead' };
  if (record.identity !== undefined) {
    const now = processIdentity(record.pid);
    if (now !== undefined && now !== record.identity) return { kind: 'stale', record, why: 'reused' };
  }
  return { kind: 'running', record };
}

function parseRecord(text: string): PidRecord | undefined {
  try {
    const raw = JSON.parse(text) as Partial<PidRecord>;
    if (!Number.isInteger(raw.pid) || (raw.pid as number) <= 0 || typeof raw.url !== 'string') return undefined;
    return {
      pid: raw.pid as number,
      identity: typeof raw.identity === 'string' ? raw.identity : undefined,
      url: raw.url,
      startedAt: typeof raw.startedAt === 'string' ? raw.startedAt : '',
      shutdownGraceMs: typeof raw.shutdownGraceMs === 'number' ? raw.shutdownGraceMs : 10_000,
    };
  } catch {
    return undefined;
  }
}
