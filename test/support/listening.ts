import { spawn } from 'node:child_process';

export interface Listening {
  /** Everything the command wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves once the output contains `text`; fails with the output after `timeoutMs`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM to the command's whole process group (npm, its shell, node), then its exit code. Idempotent. */
  stop(): Promise<number | null>;
}

/**
 * Runs a command that should end up serving `url` (such as `npm start` or an installed `ccrx serve`), in its own
 * process group, and resolves once `${url}/health` answers. Fails with the command's output when it exits first
 * or does not answer in time.
 */
export async function startListening(command: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; url: string; timeoutMs?: number }): Promise<Listening> {
  const child = spawn(command, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let stopped: Promise<number | null> | undefined;
  const handle: Listening = {
    output: () => output,
    async waitForOutput(text, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (Date.now() > until) throw new Error(`no ${JSON.stringify(text)} in the output of ${command} ${args.join(' ')}:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop() {
      if (!stopped) {
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
        stopped = exited;
      }
      return stopped;
    },
  };
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      await fetch(`${o.url}/health`);
      return handle;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const code = await handle.stop();
  throw new Error(`${command} ${args.join(' ')} did not answer ${o.url}/health (exit ${code}):\n${output}`);
}
