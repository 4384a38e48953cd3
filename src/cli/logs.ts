import { defineCommand } from 'citty';
import { existsSync } from 'node:fs';
import { follow, lastLines, lineFormatter } from '../service/logview.js';
import { statePaths } from '../service/state.js';
import { CLIError } from './errors.js';

export default defineCommand({
  meta: { name: 'logs', description: 'Print the background gateway\'s log (readable; --json for the raw lines)' },
  args: {
    follow: { type: 'boolean', alias: 'f', description: 'Keep printing new lines until Ctrl-C' },
    lines: { type: 'string', alias: 'n', description: 'How many of the last lines to print (default 50)' },
    json: { type: 'boolean', description: 'Print the raw JSON lines' },
  },
  async run({ args }) {
    const n = args.lines === undefined ? 50 : Number(args.lines);
    if (!Number.isInteger(n) || n < 0) throw new CLIError(`--lines must be a non-negative integer, got ${args.lines}`);
    const { logFile } = statePaths();
    if (!existsSync(logFile) && !args.follow) throw new CLIError(`no log yet at ${logFile}; start the service with \`ccrx start\``);
    const format = lineFormatter({ json: Boolean(args.json), colorize: Boolean(process.stdout.isTTY) });
    const print = (line: string) => void process.stdout.write(format(line));
    const { lines, size } = existsSync(logFile) ? lastLines(logFile, n) : { lines: [], size: 0 };
    lines.forEach(print);
    if (!args.follow) return;
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    await follow(logFile, size, print, stop.signal);
  },
});
