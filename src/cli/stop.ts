import { defineCommand } from 'citty';
import { stopService } from '../service/control.js';
import { statePaths } from '../service/state.js';
import { CLIError } from './errors.js';
import { say } from './output.js';

export const stopArgs = {
  'timeout-ms': { type: 'string', description: 'How long to wait for a graceful shutdown before SIGKILL (default: the service\'s shutdownGraceMs + 5000)' },
} as const;

export function stopTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new CLIError(`--timeout-ms must be a non-negative integer, got ${raw}`);
  return ms;
}

export default defineCommand({
  meta: { name: 'stop', description: 'Stop the background gateway (graceful, then SIGKILL after a timeout)' },
  args: stopArgs,
  async run({ args }) {
    await stopService(statePaths(), { say, timeoutMs: stopTimeout(args['timeout-ms']) });
  },
});
