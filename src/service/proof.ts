import { lstatSync } from 'node:fs';
import type { PidRecord } from './pidfile.js';
import { probeStatus } from './probe.js';
import { processGroup, processIdentity } from './process.js';

/**
 * Whether the process a pid file names is this gateway, asked before `stop` signals anything. A pid file can name
 * any process (hand-written, left by another tool, reached through a symlink): only a proven gateway is signalled.
 */
export type Proof =
  | {
      proven: true;
      by: 'identity' | 'status';
      /** The process's identity when proven, so a pid reused before SIGKILL is noticed; undefined when unknowable. */
      identity: string | undefined;
      /** Whether its process group is one `ccrx start` created (the service leads it), so SIGKILL may take it down. */
      ownGroup: boolean;
    }
  | { proven: false; why: string };

/**
 * Proof by identity: the record's identity (what `start` wrote from the kernel's start time) matches the process, in
 * a pid file that is a regular file of this user that nobody else can write. Otherwise proof by asking: the gateway
 * at the recorded URL answers `/_ccrx/status` with the same pid. Only the first proves that `start` spawned it, and
 * so that its process group is ours.
 */
export async function proveGateway(pidFile: string, record: PidRecord, apiKey: string | undefined): Promise<Proof> {
  const { pid } = record;
  const identity = processIdentity(pid);
  const trusted = trustedFile(pidFile);
  if (trusted && record.identity !== undefined && identity !== undefined && identity === record.identity) {
    return { proven: true, by: 'identity', identity, ownGroup: processGroup(pid) === pid };
  }
  const status = await probeStatus(record.url, 1500, apiKey);
  if (status.label === 'healthy' && status.body?.pid === pid) return { proven: true, by: 'status', identity, ownGroup: false };
  const file = trusted ? (record.identity === undefined ? 'records no process identity' : 'records an identity that cannot be checked here') : 'is not a regular file that only you can write';
  const asked = status.label === 'healthy' ? `answered as pid ${String(status.body?.pid)}` : status.label === 'unhealthy_response' ? `answered HTTP ${status.status}` : `did not answer (${status.label})`;
  return { proven: false, why: `the pid file ${file}, and ${record.url}/_ccrx/status ${asked}` };
}

function trustedFile(path: string): boolean {
  try {
    const s = lstatSync(path);
    const mine = typeof process.getuid !== 'function' || s.uid === process.getuid();
    return s.isFile() && mine && (s.mode & 0o022) === 0;
  } catch {
    return false;
  }
}
