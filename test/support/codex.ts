import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'smol-toml';
import { runChild } from './child.js';

/**
 * The real Codex CLI (`@openai/codex`, a pinned dev dependency) for end-to-end tests: a fresh `CODEX_HOME` per run,
 * a `config.toml` pointing one provider at the gateway, stdin closed (so `codex exec` never waits for a prompt).
 *
 *   const run = await runCodex({ baseUrl: `${gateway.url}/v1`, prompt: 'say hi' });
 *   expect(run.stdout).toContain('hi');
 */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The Codex CLI under test: `CCRX_CODEX_BIN` (set by `npm run test:compat`), else the pinned dev dependency. */
export const CODEX_BIN = process.env.CCRX_CODEX_BIN || join(ROOT, 'node_modules', '.bin', 'codex');
/** Its version (`codex --version` prints `codex-cli 0.169.0`), for the few checks whose outcome Codex changed. */
export const CODEX_VERSION = /(\d+\.\d+\.\d+\S*)/.exec(execFileSync(CODEX_BIN, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';

/** Whether the Codex under test is older than `version` (plain `x.y.z` comparison; pre-release tags ignored). */
export function codexBefore(version: string): boolean {
  const parts = (v: string) => v.split(/[.-]/).slice(0, 3).map(Number);
  const [a, b] = [parts(CODEX_VERSION), parts(version)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) < (b[i] ?? 0);
  return false;
}
/** A tiny stdio MCP server with one tool, `echo` (`{text}` → `echo: <text>`). */
export const MCP_ECHO = join(ROOT, 'test', 'e2e', 'fixtures', 'mcp-echo.mjs');

export interface RunCodexOptions {
  /** The provider's `base_url`, e.g. `http://127.0.0.1:<port>/v1`. */
  baseUrl: string;
  prompt: string;
  /** Default `gpt-5.1-codex`. */
  model?: string;
  /** A model catalogue (written to the home and named by `model_catalog_json`). */
  catalog?: object;
  /** `--sandbox`; default `workspace-write` (tool runs need it). */
  sandbox?: 'read-only' | 'workspace-write' | 'danger-full-access';
  /** `-C`; default a fresh empty directory. */
  cwd?: string;
  /** Extra keys of `[model_providers.ccrx]` (retries, idle timeout, `env_key`, `http_headers`…). */
  provider?: Record<string, unknown>;
  /** Extra top-level config keys (e.g. `mcp_servers`). */
  config?: Record<string, unknown>;
  /** Raw TOML appended to config.toml. */
  extraToml?: string;
  /** Extra `codex exec` arguments before the prompt, e.g. `['--json']`. */
  args?: string[];
  /** Extra environment for Codex. */
  env?: Record<string, string>;
  /** Kill Codex after this long. Default 90 s. */
  timeoutMs?: number;
}

export interface CodexRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout then stderr: what the user saw. */
  output: string;
  /** The CODEX_HOME used. */
  home: string;
  /** The working directory (`-C`). */
  cwd: string;
}

const homes: string[] = [];

/** A fresh CODEX_HOME with `config.toml` (and `catalog.json` when given); removed by `cleanupCodexHomes()`. */
export function makeCodexHome(o: Omit<RunCodexOptions, 'prompt' | 'args' | 'env' | 'timeoutMs' | 'sandbox' | 'cwd'>): string {
  const home = mkdtempSync(join(tmpdir(), 'ccrx-e2e-codex-'));
  homes.push(home);
  const config: Record<string, unknown> = {
    model: o.model ?? 'gpt-5.1-codex',
    model_provider: 'ccrx',
    approval_policy: 'never',
    ...o.config,
  };
  if (o.catalog) {
    writeFileSync(join(home, 'catalog.json'), JSON.stringify(o.catalog));
    config.model_catalog_json = join(home, 'catalog.json');
  }
  config.model_providers = { ccrx: { name: 'codex-code-router', base_url: o.baseUrl, wire_api: 'responses', supports_websockets: false, ...o.provider } };
  writeFileSync(join(home, 'config.toml'), `${stringify(config)}\n${o.extraToml ?? ''}\n`);
  return home;
}

/** `codex exec --skip-git-repo-check` with a fresh home; resolves when Codex exits (never rejects on exit codes). */
export async function runCodex(o: RunCodexOptions): Promise<CodexRun> {
  const home = makeCodexHome(o);
  let cwd = o.cwd;
  if (!cwd) {
    cwd = join(home, 'work');
    mkdirSync(cwd);
  }
  const args = ['exec', '--skip-git-repo-check', '--sandbox', o.sandbox ?? 'workspace-write', '-C', cwd, ...(o.args ?? []), o.prompt];
  return { ...(await spawnCodex(args, home, o)), home, cwd };
}

/** Any Codex command (e.g. `['debug', 'models']`) with the given home. */
export async function spawnCodex(args: string[], home: string, o: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Omit<CodexRun, 'home' | 'cwd'>> {
  // OPENAI_API_KEY emptied: Codex must not pick up a developer's real key or login.
  const env = { ...process.env, CODEX_HOME: home, OPENAI_API_KEY: '', NO_COLOR: '1', RUST_LOG: 'off', ...o.env };
  const { code, stdout, stderr } = await runChild(CODEX_BIN, args, env, o.timeoutMs ?? 90_000);
  return { code, stdout, stderr, output: `${stdout}\n${stderr}` };
}

/** The JSONL events of `codex exec --json` (non-JSON lines skipped). */
export function codexEvents(stdout: string): { type: string; item?: { type: string; text?: string; [k: string]: unknown }; [k: string]: unknown }[] {
  const events = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // not an event
    }
  }
  return events;
}

/** The agent messages `codex exec --json` reported as completed items, in order. */
export function agentMessages(stdout: string): string[] {
  return codexEvents(stdout)
    .filter((e) => e.type === 'item.completed' && e.item?.type === 'agent_message')
    .map((e) => e.item?.text ?? '');
}

export function cleanupCodexHomes(): void {
  for (const home of homes.splice(0)) {
    stopCodexDaemons(home);
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The Codex TUI (0.166 and later) starts a background app-server in its CODEX_HOME that outlives it. Ends the ones
 * this home's pid files name, and only processes whose command line is inside that home.
 */
export function stopCodexDaemons(home: string): void {
  for (const file of ['daemon.pid', 'daemon-updater.pid']) {
    const path = join(home, 'app-server-daemon', file);
    if (!existsSync(path)) continue;
    let pid: number | undefined;
    try {
      pid = (JSON.parse(readFileSync(path, 'utf8')) as { pid?: number }).pid;
    } catch {
      continue;
    }
    if (!pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone already
    }
    if (!cmdline.includes(home)) continue;
    signal(pid, 'SIGTERM');
    // The home is removed next: wait for the daemon to be gone, so it writes nothing there any more.
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    if (existsSync(`/proc/${pid}`)) signal(pid, 'SIGKILL');
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // exited meanwhile
  }
}
