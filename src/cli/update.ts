import { defineCommand } from 'citty';
import { breadcrumb } from '../service/breadcrumb.js';
import { cliScript, startService, stopService } from '../service/control.js';
import { prepare } from '../service/launch.js';
import { readPidFile } from '../service/pidfile.js';
import { readServiceOptions, statePaths } from '../service/state.js';
import { installedVersion, installPrefix, planUpdate, runNpm } from '../service/update.js';
import { packageVersion } from '../core/version.js';
import { CLIError } from './errors.js';
import { say } from './output.js';

export default defineCommand({
  meta: { name: 'update', description: 'Install the latest codex-code-router with npm (into the prefix ccrx runs from), then restart the service' },
  args: {
    version: { type: 'string', description: 'Install this version (or dist-tag) instead of latest' },
    from: { type: 'string', description: 'Install this package file (from `npm pack`) instead of the registry' },
    registry: { type: 'string', description: 'npm registry URL to install from' },
    prefix: { type: 'string', description: 'npm global prefix to install into (default: the one ccrx runs from)' },
    restart: { type: 'boolean', default: true, description: 'Restart a running service afterwards (--no-restart to skip)' },
  },
  async run({ args }) {
    const script = cliScript();
    const prefix = args.prefix ?? installPrefix(script);
    if (!prefix) throw new CLIError(`ccrx runs from ${script}, which is not an npm global install; pass --prefix DIR or update this checkout with git`);
    const plan = planUpdate({ prefix, version: args.version, from: args.from, registry: args.registry });
    say(`updating ccrx from ${plan.description}`);
    say(`install prefix: ${plan.prefix}`);
    say(`running: npm ${plan.args.join(' ')}`);
    const status = await runNpm(plan.args);
    if (status !== 0) throw new CLIError(`npm install failed with status ${status}`);
    say(`installed codex-code-router ${installedVersion(prefix) ?? '(unknown version)'} (was ${packageVersion()})`);

    if (!args.restart) {
      say('skipped restart; run `ccrx restart` when you want Codex to use the update');
      return;
    }
    const paths = statePaths();
    const options = readServiceOptions(paths);
    if (readPidFile(paths).kind !== 'running' || !options) {
      say('the background service is not running; run `ccrx start` to start it');
      return;
    }
    breadcrumb(paths, 'service_restart_requested', { reason: 'update' });
    const inspection = await prepare(options, { say });
    await stopService(paths, { say });
    await startService(paths, options, inspection, { say });
  },
});
