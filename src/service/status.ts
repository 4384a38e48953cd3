import { serviceApiKey } from './api-key.js';
import { legacyPidAdvice, readPidFile, type PidState } from './pidfile.js';
import { probeStatus, type HealthCheckView, type ProbeLabel, type ServiceStatus } from './probe.js';
import { readServiceOptions, type StatePaths } from './state.js';
import { gatewayUrl } from './url.js';

export type ServiceState = 'running' | 'unhealthy' | 'stopped';

/** One health check that is not ok, with what to do about it. */
export interface Problem {
  provider: string;
  check: string;
  message: string;
  fix?: string;
}

/** Everything `ccrx status` knows; `--json` prints this. */
export interface StatusReport {
  state: ServiceState;
  /** One line saying what is going on. */
  summary: string;
  pid?: number;
  url?: string;
  health: ProbeLabel | 'not_checked';
  pidFile: { path: string; state: PidState['kind'] | 'reused' };
  logFile: string;
  stateDir: string;
  service?: ServiceStatus;
  auth?: { ok: boolean; source?: string; expiresAt?: string; message?: string; fix?: string };
  problems: Problem[];
}

export const exitCodes: Record<ServiceState, number> = { running: 0, unhealthy: 1, stopped: 3 };

/** Reads the pid file, asks the service for `/_ccrx/status`, and turns failing health checks into problems. */
export async function collectStatus(paths: StatePaths, env: Readonly<Record<string, string | undefined>> = process.env): Promise<StatusReport> {
  const pidState = readPidFile(paths);
  const base = { pidFile: { path: paths.pidFile, state: pidState.kind === 'stale' && pidState.why === 'reused' ? ('reused' as const) : pidState.kind }, logFile: paths.logFile, stateDir: paths.dir, problems: [] as Problem[] };
  if (pidState.kind === 'unreadable') {
    return { ...base, state: 'unhealthy', health: 'not_checked', summary: `cannot read the pid file: ${pidState.reason}`, problems: [{ provider: '-', check: 'pid file', message: pidState.reason, fix: `remove ${paths.pidFile} if ccrx is not running` }] };
  }
  const record = 'record' in pidState ? pidState.record : undefined;
  const url = record?.url ?? guessUrl(paths, env);
  const probe = await probeStatus(url, 2000, await serviceApiKey(paths, env));
  const answered = probe.label === 'healthy' && probe.body !== undefined;

  if (pidState.kind !== 'running') {
    const stale =
      pidState.kind === 'stale' ? `; the pid file is stale (pid ${pidState.record.pid} ${pidState.why === 'dead' ? 'is gone' : 'now belongs to another program'}), \`ccrx start\` will remove it`
      : pidState.kind === 'legacy' ? `; the pid file is the original codex-code-router's, of pid ${pidState.pid}, which is gone; \`ccrx start\` will remove it`
      : '';
    if (pidState.kind === 'legacy' && pidState.alive) {
      const advice = legacyPidAdvice(pidState.pid, paths.pidFile, { url, healthy: answered });
      return { ...base, state: 'unhealthy', pid: pidState.pid, url, health: probe.label, service: probe.body, summary: advice, problems: [{ provider: '-', check: 'pid file', message: advice }] };
    }
    if (answered) {
      const problem = { provider: '-', check: 'pid file', message: `a gateway (pid ${probe.body!.pid}) answers at ${url}, but it was not started by \`ccrx start\` with this state directory`, fix: 'stop that process yourself (e.g. Ctrl-C where `ccrx serve` runs)' };
      return { ...base, state: 'unhealthy', url, health: probe.label, service: probe.body, summary: `ccrx is reachable at ${url}, but no pid file exists${stale}`, problems: [problem] };
    }
    return { ...base, state: 'stopped', url, health: probe.label, summary: `ccrx is stopped${stale}` };
  }

  if (!answered) {
    const problem = { provider: '-', check: 'health', message: `process ${record!.pid} exists, but ${url}/_ccrx/status failed (${probe.error ?? probe.label})`, fix: `inspect \`ccrx logs\`, then \`ccrx restart\`` };
    return { ...base, state: 'unhealthy', pid: record!.pid, url, health: probe.label, summary: `ccrx process ${record!.pid} exists, but health check failed at ${url} (${probe.label})`, problems: [problem] };
  }
  const service = probe.body!;
  const problems: Problem[] = [];
  if (service.pid !== record!.pid) problems.push({ provider: '-', check: 'pid file', message: `the pid file names ${record!.pid}, but the gateway at ${url} is pid ${service.pid}`, fix: '`ccrx restart`' });
  for (const [provider, p] of Object.entries(service.health?.providers ?? {})) {
    for (const [check, c] of Object.entries(p.checks ?? {})) {
      if (!c.ok) problems.push({ provider, check, message: c.message ?? 'failing', fix: typeof c.fix === 'string' ? c.fix : undefined });
    }
  }
  const authCheck = service.health?.providers?.default?.checks?.auth;
  return {
    ...base,
    state: problems.length ? 'unhealthy' : 'running',
    pid: record!.pid,
    url,
    health: probe.label,
    service,
    auth: authCheck ? authView(authCheck) : undefined,
    problems,
    summary: `ccrx is running at ${url} (pid ${record!.pid})${problems.length ? `, with ${problems.length} problem${problems.length > 1 ? 's' : ''}` : ''}`,
  };
}

/** Only what a user may see: never a token, whatever a plugin put in the check. */
function authView(check: HealthCheckView): NonNullable<StatusReport['auth']> {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const expires = typeof check.expiresAt === 'number' ? new Date(check.expiresAt > 1e12 ? check.expiresAt : check.expiresAt * 1000).toISOString() : str(check.expiresAt);
  return { ok: check.ok, source: str(check.source), expiresAt: expires, message: str(check.message), fix: str(check.fix) };
}

/** Without a pid file, look where `start` would have put the service. */
export function guessUrl(paths: StatePaths, env: Readonly<Record<string, string | undefined>>): string {
  const stored = readServiceOptions(paths);
  const host = stored?.host ?? (env.HOST?.trim() || '127.0.0.1');
  const port = stored?.port ?? (env.PORT?.trim() || '60001');
  return gatewayUrl(host, port);
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = d ? [`${d}d`, `${h}h`] : h ? [`${h}h`, `${m}m`] : m ? [`${m}m`, `${s % 60}s`] : [`${s}s`];
  return parts.join(' ');
}

/** The human-readable report. */
export function formatStatus(r: StatusReport, now = Date.now()): string {
  const lines = [r.summary];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(9)} ${value}`);
  const s = r.service;
  if (s) {
    row('uptime', `${formatDuration(s.uptimeMs)} (since ${s.startedAt})`);
    row('version', s.version);
    row('config', s.configFile ?? 'none found; built-in default chain');
    for (const chain of s.chains) row('chain', `${chain.provider}${chain.prefix ? ` (${chain.prefix})` : ''}: ${chain.plugins.length ? chain.plugins.join(' → ') : '(no plugins)'}`);
    if (r.auth) {
      const parts = [r.auth.ok ? 'ok' : 'NOT OK'];
      if (r.auth.source) parts.push(`from ${r.auth.source}`);
      if (r.auth.expiresAt) {
        const left = Date.parse(r.auth.expiresAt) - now;
        parts.push(Number.isNaN(left) ? `Copilot token expires ${r.auth.expiresAt}` : left >= 0 ? `Copilot token expires in ${formatDuration(left)} (${r.auth.expiresAt})` : `Copilot token expired ${formatDuration(-left)} ago (it is refreshed on the next request)`);
      }
      row('auth', parts.join(', '));
    } else row('auth', 'no auth check in this chain');
    const quota = s.health?.providers?.default?.checks?.quota;
    if (quota?.message) row('quota', quota.message);
    const c = s.counts;
    row('requests', `${c.requests} (errors ${c.errors}, retries ${c.replays}, in flight ${c.inFlight})`);
  }
  row('log', r.logFile);
  if (r.problems.length) {
    lines.push('problems:');
    for (const p of r.problems) lines.push(`  - ${p.provider === '-' ? '' : `${p.provider} > `}${p.check}: ${p.message}${p.fix ? ` (fix: ${p.fix})` : ''}`);
  }
  return lines.join('\n');
}
