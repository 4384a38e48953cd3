import { defineCommand } from 'citty';
import { resolve } from 'node:path';
import { launch } from '../service/launch.js';
import { statePaths, type ServiceOptions } from '../service/state.js';
import { say } from './output.js';
import { serverArgs } from './serve.js';

/** The service options given on the command line; `--config` is made absolute so `restart` works from anywhere. */
export function optionsFromArgs(args: { config?: string; host?: string; port?: string; 'log-level'?: string; 'allow-remote'?: boolean }, cwd = process.cwd()): ServiceOptions {
  return {
    cwd,
    config: args.config ? resolve(cwd, args.config) : undefined,
    host: args.host,
    port: args.port,
    logLevel: args['log-level'],
    allowRemote: args['allow-remote'] || undefined,
  };
}

export default defineCommand({
  meta: { name: 'start', description: 'Start the gateway in the background (logs to the state directory)' },
  args: serverArgs,
  async run({ args }) {
    await launch(statePaths(), optionsFromArgs(args), { say });
  },
});
