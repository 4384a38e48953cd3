import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChild, type ChildOutput } from './child.js';
import { ROOT } from './codex.js';
import { freePort } from './ports.js';

/**
 * `ccrx serve` as a child process (the real CLI from `dist/`), on a free loopback port, with only the environment
 * given (plus PATH and a temp HOME): no developer config or token leaks in, and its logs are collected.
 *
 *   const gw = await startServe({ env: { COPILOT_RESPONSES_URL: `${mock.url}/responses`, … } });
 *   await runCodex({ baseUrl: `${gw.url}/v1`, … });
 *   await gw.stop();
 */
export interface ServeOptions {
  /** Environment of the gateway (added to PATH and HOME). */
  env?: Record<string, string>;
  /** Extra arguments after `serve --port <port>`, e.g. `['--config', file]`. */
  args?: string[];
  /** Working directory (config search starts here). Default: a fresh empty directory, so the built-in chain is used. */
  cwd?: string;
}

export interface ServedGateway {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The directory HOME points at (and the default cwd). */
  home: string;
  child: ChildProcess;
  /** Everything the gateway wrote to stdout and stderr so far. */
  log(): string;
  /** SIGTERM, then the exit code once it is gone (flushes logs and diagnostics files). Idempotent. */
  stop(): Promise<number | null>;
}

export const CCRX_BIN = join(ROOT, 'bin', 'ccrx.js');

/** Fails clearly when `npm run build` was not run (`bin/ccrx.js` runs `dist/`). */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
}

export async function startServe(o: ServeOptions = {}): Promise<ServedGateway> {
  assertBuilt();
  const home = mkdtempSync(join(tmpdir(), 'ccrx-e2e-serve-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(process.execPath, [CCRX_BIN, 'serve', '--port', String(port), ...(o.args ?? [])], {
    cwd: o.cwd ?? home,
    env: { PATH: process.env.PATH ?? '', HOME: home, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let stopped: Promise<number | null> | undefined;
  const gateway: ServedGateway = {
    url,
    port,
    home,
    child,
    log: () => output,
    stop() {
      if (!stopped) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        stopped = exited.then((code) => {
          rmSync(home, { recursive: true, force: true });
          return code;
        });
      }
      return stopped;
    },
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    try {
      await fetch(`${url}/health`); // any answer: a failing check (e.g. no token yet) still means it listens
      return gateway;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await gateway.stop();
  throw new Error(`ccrx serve did not answer /health:\n${output}`);
}

/** Runs another `ccrx` command (e.g. `status`, `print-token`) with the given environment; stdin closed. */
export function runCcrx(args: string[], env: Record<string, string>, o: { timeoutMs?: number } = {}): Promise<ChildOutput> {
  assertBuilt();
  return runChild(process.execPath, [CCRX_BIN, ...args], { PATH: process.env.PATH ?? '', ...env }, o.timeoutMs ?? 30_000);
}
