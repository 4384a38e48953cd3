import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Whether `pid` names a live process. Zombies count as gone: in containers nobody may reap a
 * detached service we stopped, and `kill(pid, 0)` would still succeed on it.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = procStat(pid)?.state;
  return state !== 'Z' && state !== 'X';
}

/**
 * What tells this process apart from a later one that reuses its pid: the kernel start time
 * (`/proc/<pid>/stat` field 22) on Linux, `ps -o lstart=` elsewhere; undefined when unknowable
 * (Windows), in which case callers fall back to asking the service for its pid.
 */
export function processIdentity(pid: number): string | undefined {
  const stat = procStat(pid);
  if (stat) return `stat:${stat.startTime}`;
  if (process.platform === 'win32' || process.platform === 'linux') return undefined;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).trim();
    return out ? `ps:${out}` : undefined;
  } catch {
    return undefined;
  }
}

/** The process group `pid` belongs to (`/proc/<pid>/stat` field 5, `ps -o pgid=` elsewhere); undefined when unknowable. */
export function processGroup(pid: number): number | undefined {
  const stat = procStat(pid);
  if (stat) return stat.group;
  if (process.platform === 'win32' || process.platform === 'linux') return undefined;
  try {
    const out = Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).trim());
    return Number.isInteger(out) && out > 0 ? out : undefined;
  } catch {
    return undefined;
  }
}

function procStat(pid: number): { state: string; group: number; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; the fields after the last ')' are fixed.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const group = Number(rest[2]);
  const startTime = rest[19];
  return state && startTime ? { state, group, startTime } : undefined;
}

/** Sends a signal; false when the process is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

export async function waitForExit(pid: number, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return true;
}
