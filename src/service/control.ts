import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { CLIError } from '../cli/errors.js';
import { serviceApiKey } from './api-key.js';
import { breadcrumb } from './breadcrumb.js';
import type { Inspection } from './inspect.js';
import { legacyPidAdvice, readPidFile, removePidFile, writePidFile, type PidRecord } from './pidfile.js';
import { probeHealth, probeStatus, waitHealthy } from './probe.js';
import { proveGateway } from './proof.js';
import { isAlive, processIdentity, signal, waitForExit } from './process.js';
import { ensureStateDir, type ServiceOptions, type StatePaths } from './state.js';
import { guessUrl } from './status.js';

export type Say = (line: string) => void;

/** The script to relaunch: the `ccrx` bin this process runs from (after `update`, the new files at the same path). */
export function cliScript(): string {
  const script = process.argv[1];
  if (!script) throw new CLIError('cannot tell which ccrx script is running (process.argv[1] is empty)');
  return realpathSync(script);
}

/** The `serve` arguments that reproduce `options`; the log file keeps the service's logs. */
function serveArgs(options: ServiceOptions, logFile: string): string[] {
  const args = ['serve', '--log-file', logFile];
  if (options.config) args.push('--config', options.config);
  if (options.host) args.push('--host', options.host);
  if (options.port) args.push('--port', options.port);
  if (options.logLevel) args.push('--log-level', options.logLevel);
  if (options.allowRemote) args.push('--allow-remote');
  return args;
}

/**
 * The original codex-code-router's pid file: a dead pid is removed like any stale record; a live one stops `start`
 * with what to do (it names no URL, so the gateway is looked for where the original listened: HOST and PORT).
 */
async function clearLegacy(paths: StatePaths, say: Say): Promise<void> {
  const state = readPidFile(paths);
  if (state.kind !== 'legacy') return;
  if (!state.alive) {
    removePidFile(paths);
    breadcrumb(paths, 'stale_pid_cleanup', { pid: state.pid, why: 'dead', format: 'legacy' });
    say(`removed stale pid file of the original codex-code-router (pid ${state.pid} is gone)`);
    return;
  }
  const url = guessUrl(paths, process.env);
  const health = await probeHealth(url, 1500, await serviceApiKey(paths));
  throw new CLIError(legacyPidAdvice(state.pid, paths.pidFile, { url, healthy: health.label === 'healthy' }));
}

/** Leaves the state dir with no pid file of a dead or foreign process; returns a running record, if any. */
function clearStale(paths: StatePaths, say: Say): PidRecord | undefined {
  const state = readPidFile(paths);
  if (state.kind === 'unreadable') throw new CLIError(`cannot read the pid file: ${state.reason}; remove it if ccrx is not running`);
  if (state.kind === 'legacy') throw new CLIError(legacyPidAdvice(state.pid, paths.pidFile, { url: guessUrl(paths, process.env), healthy: false }));
  if (state.kind === 'stale') {
    removePidFile(paths);
    breadcrumb(paths, 'stale_pid_cleanup', { pid: state.record.pid, why: state.why });
    say(`removed stale pid file (pid ${state.record.pid} ${state.why === 'dead' ? 'is gone' : 'now belongs to another program'})`);
  }
  return state.kind === 'running' ? state.record : undefined;
}

/** Reports a service that already runs (healthy); throws if its process lives but does not answer. */
export async function alreadyRunning(paths: StatePaths, say: Say): Promise<StartResult | undefined> {
  await clearLegacy(paths, say);
  const running = clearStale(paths, say);
  if (!running) return undefined;
  const health = await probeHealth(running.url, undefined, await serviceApiKey(paths));
  if (health.label === 'healthy') {
    say(`ccrx is already running at ${running.url} (pid ${running.pid})`);
    say(`log: ${paths.logFile}`);
    return { pid: running.pid, url: running.url, already: true };
  }
  throw new CLIError(`pid file says ccrx is running as ${running.pid}, but health check failed at ${running.url} (${health.label}); run \`ccrx restart\` or inspect ${paths.logFile}`);
}

export interface StartResult {
  pid: number;
  url: string;
  already: boolean;
}

/** Spawns `ccrx serve` detached (own process group, stdin ignored, output to the log) and waits for `/health`. */
export async function startService(paths: StatePaths, options: ServiceOptions, inspection: Inspection, o: { say: Say; healthTimeoutMs?: number }): Promise<StartResult> {
  const { say } = o;
  ensureStateDir(paths);
  const already = await alreadyRunning(paths, say);
  if (already) return already;
  const { url, apiKey } = inspection;
  const squatter = await probeStatus(url, 500, apiKey);
  if (squatter.label !== 'connect_failed' && squatter.label !== 'timeout') {
    const who = squatter.body?.pid ? `ccrx (pid ${squatter.body.pid}) is reachable at ${url}, but no pid file exists at ${paths.pidFile}; stop the owning process manually` : `something already answers at ${url}; choose another --port`;
    throw new CLIError(who);
  }

  const script = cliScript();
  breadcrumb(paths, 'service_start_requested', { endpoint: url, state_dir: paths.dir, log_path: paths.logFile, executable: process.execPath, script, cwd: options.cwd, config: inspection.configFile ?? 'built-in default' });
  const log = openSync(paths.logFile, 'a', 0o600);
  let exited: { code: number | null; signal: string | null } | undefined;
  let child;
  try {
    child = spawn(process.execPath, [script, ...serveArgs(options, paths.logFile)], { cwd: options.cwd, detached: true, stdio: ['ignore', log, log], env: process.env, windowsHide: true });
  } finally {
    closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new CLIError(`could not start the service: ${error.message}`);
  }
  child.once('exit', (code, sig) => void (exited = { code, signal: sig }));
  child.unref();
  writePidFile(paths, { pid, identity: processIdentity(pid), url, startedAt: new Date().toISOString(), shutdownGraceMs: inspection.shutdownGraceMs });
  breadcrumb(paths, 'service_child_spawned', { pid, endpoint: url });

  const health = await waitHealthy(url, o.healthTimeoutMs ?? 20_000, () => exited !== undefined || !isAlive(pid), apiKey);
  if (exited || !isAlive(pid)) {
    // The process can be gone a moment before Node reports its exit code.
    for (let i = 0; i < 20 && !exited; i++) await new Promise((r) => setTimeout(r, 25));
    removePidFile(paths);
    breadcrumb(paths, 'service_exited_during_start', { pid, code: exited?.code ?? undefined, signal: exited?.signal ?? undefined });
    throw new CLIError(`the service exited during startup${exited?.code != null ? ` with code ${exited.code}` : ''}; last log lines:\n${tail(paths.logFile, 8)}\n(full log: ${paths.logFile})`);
  }
  if (health.label !== 'healthy') {
    breadcrumb(paths, 'service_health_timeout', { pid, last_health: health.label });
    throw new CLIError(`started process ${pid}, but health check did not pass at ${url} (${health.label}); inspect ${paths.logFile}`);
  }
  breadcrumb(paths, 'service_health_ready', { pid, endpoint: url });
  say(`started ccrx at ${url} (pid ${pid})`);
  say(`log: ${paths.logFile}`);
  return { pid, url, already: false };
}

export interface StopResult {
  /** Whether a running service was stopped. */
  stopped: boolean;
  pid?: number;
  forced?: boolean;
}

/** SIGTERM, wait for the graceful shutdown (in-flight streams get `shutdownGraceMs`), then SIGKILL. */
export async function stopService(paths: StatePaths, o: { say: Say; timeoutMs?: number }): Promise<StopResult> {
  const { say } = o;
  const state = readPidFile(paths);
  breadcrumb(paths, 'service_stop_requested', { pid_file: state.kind });
  if (state.kind === 'unreadable') throw new CLIError(`cannot read the pid file: ${state.reason}; remove it if ccrx is not running`);
  if (state.kind === 'none') {
    const url = guessUrl(paths, process.env);
    const probe = await probeStatus(url, 500, await serviceApiKey(paths));
    if (probe.label === 'healthy' && probe.body?.pid) {
      throw new CLIError(`ccrx (pid ${probe.body.pid}) is reachable at ${url}, but no pid file exists at ${paths.pidFile}; it was not started by \`ccrx start\` with this state directory, so stop it where it runs`);
    }
    say('ccrx is already stopped');
    return { stopped: false };
  }
  if (state.kind === 'legacy') {
    // Not recorded by `ccrx start`: nothing proves what the pid is now, so it is never signalled from here.
    if (state.alive) {
      const url = guessUrl(paths, process.env);
      const health = await probeHealth(url, 1500, await serviceApiKey(paths));
      throw new CLIError(legacyPidAdvice(state.pid, paths.pidFile, { url, healthy: health.label === 'healthy' }));
    }
    removePidFile(paths);
    breadcrumb(paths, 'stale_pid_cleanup', { pid: state.pid, why: 'dead', format: 'legacy' });
    say(`ccrx was not running; removed stale pid file of the original codex-code-router (pid ${state.pid} is gone)`);
    return { stopped: false };
  }
  if (state.kind === 'stale') {
    removePidFile(paths);
    breadcrumb(paths, 'stale_pid_cleanup', { pid: state.record.pid, why: state.why });
    say(`ccrx was not running; removed stale pid file (pid ${state.record.pid} ${state.why === 'dead' ? 'is gone' : 'now belongs to another program'})`);
    return { stopped: false };
  }
  const { pid, shutdownGraceMs } = state.record;
  const proof = await proveGateway(paths.pidFile, state.record, await serviceApiKey(paths));
  if (!proof.proven) {
    breadcrumb(paths, 'stop_refused', { pid, why: proof.why });
    throw new CLIError(`not stopping pid ${pid}: nothing proves it is this gateway (${proof.why}); if ccrx is not running, remove ${paths.pidFile}`);
  }
  const waitMs = o.timeoutMs ?? shutdownGraceMs + 5_000;
  signal(pid, 'SIGTERM');
  breadcrumb(paths, 'signal_sent', { pid, signal: 'TERM', proof: proof.by });
  let forced = false;
  if (!(await waitForExit(pid, waitMs))) {
    // The pid may have been given to another program while we waited.
    const same = proof.identity === undefined || processIdentity(pid) === proof.identity;
    if (same) {
      forced = true;
      // A service `start` spawned leads its own process group: take anything it spawned down with it.
      if (process.platform !== 'win32' && proof.ownGroup) signal(-pid, 'SIGKILL');
      signal(pid, 'SIGKILL');
      breadcrumb(paths, 'signal_sent', { pid, signal: 'KILL', group: proof.ownGroup });
      await waitForExit(pid, 5_000);
    }
  }
  removePidFile(paths);
  breadcrumb(paths, 'service_stopped', { pid, forced });
  say(`stopped ccrx (pid ${pid})${forced ? ' with SIGKILL' : ''}`);
  return { stopped: true, pid, forced };
}

/** The last `n` lines of a file, for error messages. */
export function tail(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}
