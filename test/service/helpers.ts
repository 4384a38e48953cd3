import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild, type ChildOutput } from '../support/child.js';
import { freePort } from '../support/ports.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ccrxBin = join(repoRoot, 'bin', 'ccrx.js');

export type RunResult = ChildOutput;

/** A temporary HOME, state dir and free port: one user's machine, as far as the CLI can tell. */
export interface Sandbox {
  dir: string;
  home: string;
  stateDir: string;
  port: number;
  url: string;
  env: Record<string, string>;
  /** Runs `node <script> ...args` (default: this repo's `bin/ccrx.js`) with stdin closed. */
  ccrx(args: string[], o?: { script?: string; cwd?: string; env?: Record<string, string> }): Promise<RunResult>;
  pidFile: string;
  logFile: string;
  readPid(): number | undefined;
  /** Kills whatever the pid file names and every helper process; removes the temp dir. */
  cleanup(): Promise<void>;
  track(child: ChildProcess): ChildProcess;
}

export async function createSandbox(): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'ccrx-service-'));
  const home = join(dir, 'home');
  const stateDir = join(dir, 'state');
  const work = join(dir, 'work');
  mkdirSync(home);
  mkdirSync(work);
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    CODEX_CODE_ROUTER_STATE_DIR: stateDir,
    PORT: String(port),
    LOG_LEVEL: 'info',
  };
  const helpers: ChildProcess[] = [];
  const pidFile = join(stateDir, 'codex-code-router.pid');
  const readPid = () => {
    try {
      return (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  };
  const seen = new Set<number>();
  const sandbox: Sandbox = {
    dir: work,
    home,
    stateDir,
    port,
    url: `http://127.0.0.1:${port}`,
    env,
    pidFile,
    logFile: join(stateDir, 'codex-code-router.log'),
    readPid: () => {
      const pid = readPid();
      if (pid) seen.add(pid);
      return pid;
    },
    ccrx: (args, o = {}) => {
      const pid = readPid();
      if (pid) seen.add(pid);
      return run(process.execPath, [o.script ?? ccrxBin, ...args], { cwd: o.cwd ?? work, env: { ...env, ...o.env } }).then((r) => {
        const after = readPid();
        if (after) seen.add(after);
        return r;
      });
    },
    track: (child) => {
      helpers.push(child);
      return child;
    },
    async cleanup() {
      const pid = readPid();
      if (pid) seen.add(pid);
      for (const p of seen) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const child of helpers) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return sandbox;
}

export function run(cmd: string, args: string[], o: { cwd: string; env: Record<string, string> }): Promise<RunResult> {
  return runChild(cmd, args, o.env, 60_000, { cwd: o.cwd });
}

/**
 * Writes `router.config.mjs` into the sandbox's working dir: an inline plugin that points the
 * upstream at `upstreamUrl` and reports an auth check read from `auth.json` beside it (so a test
 * can break auth while the service runs). No Copilot plugin involved. `apiKey` sets `server.apiKey`.
 */
export function writeConfig(sandbox: Sandbox, o: { upstreamUrl?: string; shutdownGraceMs?: number; auth?: object; apiKey?: string } = {}): string {
  const file = join(sandbox.dir, 'router.config.mjs');
  const authFile = join(sandbox.dir, 'auth.json');
  if (o.auth) writeFileSync(authFile, JSON.stringify(o.auth));
  writeFileSync(
    file,
    `import { existsSync, readFileSync } from 'node:fs';
const authFile = ${JSON.stringify(authFile)};
export default {
  server: { shutdownGraceMs: ${o.shutdownGraceMs ?? 5000}${o.apiKey ? `, apiKey: ${JSON.stringify(o.apiKey)}` : ''} },
  plugins: [{
    name: 'test-upstream',
    apply({ hooks }) {
      hooks.request.tapPromise('test-upstream', async (ex) => {
        ex.upstream.url = new URL('/responses', ${JSON.stringify(o.upstreamUrl ?? 'http://127.0.0.1:9')});
        return undefined;
      });
      hooks.health.tapPromise('test-upstream', async (report) => {
        if (existsSync(authFile)) report.checks.auth = JSON.parse(readFileSync(authFile, 'utf8'));
      });
    },
  }],
};
`,
  );
  return file;
}

export function setAuth(sandbox: Sandbox, auth: object): void {
  writeFileSync(join(sandbox.dir, 'auth.json'), JSON.stringify(auth));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}
