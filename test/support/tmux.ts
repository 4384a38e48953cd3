import { execFileSync, spawnSync } from 'node:child_process';

/**
 * A program in a detached tmux session, read the way a user reads it: keys in, the visible screen out. Each
 * session runs on its own tmux server (`-L <socket>`, no user config), so a developer's tmux is never touched and
 * `close()` ends exactly the server this helper started.
 *
 *   const tui = TmuxSession.start({ command: CODEX_BIN, env: { CODEX_HOME: home }, cwd });
 *   await tui.waitFor(/Ask Codex/);
 *   tui.type('say hello');
 *   tui.press('Enter');
 */
export interface TmuxStartOptions {
  command: string;
  args?: string[];
  /** The program's whole environment (PATH and TERM are added when missing). */
  env: Record<string, string>;
  cwd: string;
  cols?: number;
  rows?: number;
}

let sessions = 0;

/** Why tmux cannot be used here, or undefined when it can. */
export function tmuxUnavailable(): string | undefined {
  const probe = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'tmux is not installed (Debian: apt-get install -y tmux); the TUI tests need it to drive Codex on a terminal';
  return undefined;
}

export class TmuxSession {
  private closed = false;

  private constructor(
    private readonly socket: string,
    private readonly name: string,
  ) {}

  static start(o: TmuxStartOptions): TmuxSession {
    const socket = `ccrx-e2e-${process.pid}-${++sessions}`;
    const session = new TmuxSession(socket, 'tui');
    // A terminal type every terminfo database knows; the TUI draws with it as it would in a real tmux.
    const env = { PATH: process.env.PATH ?? '', TERM: 'screen-256color', ...o.env };
    // `env -i`: the program gets exactly `env`, not the tmux server's environment.
    const argv = ['env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), o.command, ...(o.args ?? [])];
    session.tmux(['-f', '/dev/null', 'new-session', '-d', '-s', session.name, '-x', String(o.cols ?? 120), '-y', String(o.rows ?? 50), '-c', o.cwd, ...argv]);
    // Keep the pane after the program exits, so a crash stays readable on screen.
    session.tmux(['set-option', '-t', session.name, 'remain-on-exit', 'on']);
    return session;
  }

  /** The visible screen, one string per row. */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', this.name]);
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', this.name, '-l', text]);
  }

  /** Presses named keys, e.g. `Enter`, `Escape`. */
  press(...keys: string[]): void {
    this.tmux(['send-keys', '-t', this.name, ...keys]);
  }

  /** Waits until the screen matches; rejects with the last screen after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = this.screen();
      if (pattern.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the screen never showed ${pattern} within ${timeoutMs} ms; last screen:\n${screen}`);
  }

  /** Ends this session's tmux server and the program in it. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }

  private tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }
}
