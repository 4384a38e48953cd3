import { stripVTControlCharacters } from 'node:util';
import { defineCommand, renderUsage, runCommand, type CommandDef } from 'citty';
import { ConfigError } from '../core/errors.js';
import { packageVersion } from '../core/version.js';
import { colorEnabled } from '../core/color.js';
import { CLIError } from './errors.js';

/** Every subcommand, loaded on demand so `print-token` starts fast. */
const subCommands: Record<string, () => Promise<CommandDef>> = {
  serve: () => import('./serve.js').then((m) => m.default as CommandDef),
  login: () => import('./login.js').then((m) => m.default as CommandDef),
  'print-token': () => import('./print-token.js').then((m) => m.default as CommandDef),
  start: () => import('./start.js').then((m) => m.default as CommandDef),
  stop: () => import('./stop.js').then((m) => m.default as CommandDef),
  restart: () => import('./restart.js').then((m) => m.default as CommandDef),
  status: () => import('./status.js').then((m) => m.default as CommandDef),
  update: () => import('./update.js').then((m) => m.default as CommandDef),
  logs: () => import('./logs.js').then((m) => m.default as CommandDef),
  'codex-config': () => import('./codex-config.js').then((m) => m.default as CommandDef),
  usage: () => import('./usage.js').then((m) => m.default as CommandDef),
  doctor: () => import('./doctor.js').then((m) => m.default as CommandDef),
  responses: () => import('./responses.js').then((m) => m.default as CommandDef),
};

const mainCommand = defineCommand({
  meta: { name: 'ccrx', version: packageVersion(), description: 'codex-code-router: a plugin-based gateway between Codex CLI and GitHub Copilot or any Chat Completions provider' },
  subCommands,
  default: 'serve',
});

export async function main(argv: string[]): Promise<void> {
  process.on('uncaughtException', report);
  const name = argv.find((arg) => !arg.startsWith('-'));
  const loadSub = name === undefined ? undefined : subCommands[name];
  try {
    if (argv.includes('--help') || argv.includes('-h')) return await printUsage(loadSub ? await loadSub() : mainCommand, loadSub ? mainCommand : undefined);
    if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) return void process.stdout.write(`${packageVersion()}\n`);
    await runCommand(mainCommand, { rawArgs: argv });
  } catch (err) {
    // citty's own usage errors (unknown command, bad flag) deserve the usage text.
    if ((err as { name?: string }).name === 'CLIError' && !(err instanceof CLIError)) await printUsage(loadSub ? await loadSub() : mainCommand, loadSub ? mainCommand : undefined);
    report(err);
  }
}

/** citty's usage text, coloured only where colours belong (citty itself colours a pipe and reads only NO_COLOR=1). */
async function printUsage(cmd: CommandDef, parent?: CommandDef): Promise<void> {
  const text = await renderUsage(cmd, parent);
  process.stdout.write(`${colorEnabled(process.stdout) ? text : stripVTControlCharacters(text)}\n\n`);
}

function report(err: unknown): never {
  if (err instanceof ConfigError || err instanceof CLIError || (err as { name?: string }).name === 'CLIError') {
    process.stderr.write(`ccrx: ${(err as Error).message}\n`);
  } else {
    process.stderr.write(`ccrx: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(err instanceof CLIError ? err.exitCode : 1);
}
