import { defineCommand } from 'citty';
// The package root first: it evaluates the core before the built-in plugins that import it.
import { resolvePluginOptions } from '../index.js';
import { deviceLogin, resolveTokenFilePath } from '../copilot/index.js';
import authTokenFile from '../plugins/auth-copilot-tokenfile/index.js';
import { CLIError } from './errors.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * GitHub device login, then saves the GitHub and Copilot tokens to the token file. Settings come from the
 * auth-copilot-tokenfile plugin's options (environment variables), so login writes where the gateway reads.
 * Everything is printed on stderr; the file is written only once the flow succeeded, atomically.
 */
export default defineCommand({
  meta: { name: 'login', description: 'Sign in to GitHub Copilot (device flow) and save the token file' },
  async run() {
    const options = resolvePluginOptions(authTokenFile, {}, process.env);
    const path = resolveTokenFilePath(options.tokenFile);
    const spinner = createSpinner();
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const saved = await deviceLogin(
        { ...options, path, timeoutMs: options.requestTimeoutMs },
        {
          print: (line) => {
            spinner.clear();
            process.stderr.write(`${line}\n`);
          },
          waiting: (remainingMs) => spinner.start(remainingMs),
          signal: abort.signal,
        },
      );
      spinner.clear();
      process.stderr.write(`Token file: ${saved.path}\n`);
    } catch (err) {
      spinner.clear();
      if (abort.signal.aborted) throw new CLIError('login cancelled; the token file was not changed', 130);
      throw new CLIError(err instanceof Error ? err.message : String(err));
    } finally {
      spinner.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});

/** A one-line progress indicator on stderr, only when stderr is a terminal. */
function createSpinner() {
  const tty = process.stderr.isTTY === true;
  let timer: ReturnType<typeof setInterval> | undefined;
  let frame = 0;
  let deadline = 0;
  let shown = false;
  const draw = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    process.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]} waiting for approval in the browser (code expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')})  `);
    shown = true;
  };
  return {
    start(remainingMs: number) {
      if (!tty) return;
      deadline = Date.now() + remainingMs;
      if (!timer) {
        timer = setInterval(draw, 100);
        timer.unref();
      }
    },
    clear() {
      if (tty && shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
