import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline/promises';
import { CLIError } from '../cli/errors.js';
import { alreadyRunning, cliScript, startService, type Say, type StartResult } from './control.js';
import { inspectService, type Inspection } from './inspect.js';
import type { HealthCheckView } from './probe.js';
import { writeServiceOptions, type ServiceOptions, type StatePaths } from './state.js';

export interface LaunchOptions {
  say: Say;
  /** Ask before running `ccrx login`; default: stdin and stdout are terminals. */
  interactive?: boolean;
  healthTimeoutMs?: number;
}

/** `start`, `restart` and `update`: check the config and auth in-process, remember the options, start the service. */
export async function launch(paths: StatePaths, options: ServiceOptions, o: LaunchOptions): Promise<StartResult> {
  const already = await alreadyRunning(paths, o.say);
  if (already) return already;
  const inspection = await prepare(options, o);
  writeServiceOptions(paths, options);
  return startService(paths, options, inspection, o);
}

/** Loads the config and passes the auth gate (offering `ccrx login`), without touching the running service. */
export async function prepare(options: ServiceOptions, o: LaunchOptions): Promise<Inspection> {
  let inspection = await inspectService(options);
  if (inspection.auth && !inspection.auth.ok) {
    await offerLogin(inspection.auth, o.interactive ?? Boolean(process.stdin.isTTY && process.stdout.isTTY), o.say);
    inspection = await inspectService(options);
    if (inspection.auth && !inspection.auth.ok) throw authError(inspection.auth);
  }
  return inspection;
}

function authError(auth: HealthCheckView): CLIError {
  const fix = auth.fix ?? 'ccrx login';
  const message = auth.message ?? 'no usable credentials';
  // Plugins often name the fix in their message already; say it once.
  return new CLIError(`Copilot auth is unavailable: ${message}${message.includes(fix) ? '' : `; run \`${fix}\``}, then start the service again`);
}

async function offerLogin(auth: HealthCheckView, interactive: boolean, say: Say): Promise<void> {
  if (!interactive) throw authError(auth);
  say(`Copilot auth is unavailable: ${auth.message ?? 'no usable credentials'}`);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = (await rl.question('Run ccrx login now? [Y/n] ')).trim().toLowerCase();
  rl.close();
  if (answer !== '' && answer !== 'y' && answer !== 'yes') throw authError(auth);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [cliScript(), 'login'], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new CLIError(`ccrx login failed${code === null ? '' : ` (exit code ${code})`}; the service was not started`);
}

export type { Inspection };
