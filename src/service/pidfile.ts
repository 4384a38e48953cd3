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
  | { kind: 'stale'; record: PidRecord; why: 'dead' | 'reused' };

export function writePidFile(paths: StatePaths, record: PidRecord): void {
  ensureStateDir(paths);
  writeFileAtomic.sync(paths.pidFile, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

export function removePidFile(paths: StatePaths): void {
  removeFile(paths.pidFile);
}

export function readPidFile(paths: StatePaths): PidState {
  let text: string;
  try {
    text = readFileSync(paths.pidFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'unreadable', reason: (err as Error).message };
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
