import { defineCommand, runMain, type CommandDef } from 'citty';
import { ConfigError } from '../core/errors.js';
import { packageVersion } from '../core/version.js';
import { CLIError } from './errors.js';

/** Every subcommand, loaded on demand so `print-token` starts fast. */
const subCommands: Record<string, () => Promise<CommandDef>> = {
  serve: () => import('./serve.js').then((m) => m.default as CommandDef),
};

export const mainCommand = defineCommand({
  meta: { name: 'ccrx', version: packageVersion(), description: 'codex-code-router: a plugin-based gateway between Codex CLI and GitHub Copilot or any Chat Completions provider' },
  subCommands,
  default: 'serve',
});

export async function main(argv: string[]): Promise<void> {
  process.on('uncaughtException', report);
  try {
    await runMain(mainCommand, { rawArgs: argv });
  } catch (err) {
    report(err);
  }
}

function report(err: unknown): never {
  if (err instanceof ConfigError || err instanceof CLIError) {
    process.stderr.write(`ccrx: ${err.message}\n`);
  } else {
    process.stderr.write(`ccrx: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(err instanceof CLIError ? err.exitCode : 1);
}
