import { appendFileSync } from 'node:fs';
import { ensureStateDir, type StatePaths } from './state.js';

/**
 * Appends one service-control event to the service log, as a pino-shaped JSON line so `ccrx logs`
 * shows it among the service's own lines. Fields are paths, pids, endpoints and labels only:
 * never env values.
 */
export function breadcrumb(paths: StatePaths, event: string, fields: Record<string, string | number | boolean | undefined> = {}): void {
  try {
    ensureStateDir(paths);
    const line = { level: 30, time: Date.now(), pid: process.pid, component: 'service_control', event, ...renamePid(fields), msg: `service control: ${event.replaceAll('_', ' ')}` };
    appendFileSync(paths.logFile, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  } catch {
    // the log is a convenience; service control must work without it
  }
}

/** `pid` is the writer's (pino's meaning); the service's pid travels as `service_pid`. */
function renamePid(fields: Record<string, string | number | boolean | undefined>) {
  const { pid, ...rest } = fields;
  return pid === undefined ? rest : { service_pid: pid, ...rest };
}
