import { defineCommand } from 'citty';
import { breadcrumb } from '../service/breadcrumb.js';
import { startService, stopService } from '../service/control.js';
import { prepare } from '../service/launch.js';
import { readServiceOptions, statePaths, writeServiceOptions, type ServiceOptions, type StatePaths } from '../service/state.js';
import { serverArgs } from './serve.js';
import { say } from './output.js';
import { optionsFromArgs } from './start.js';
import { stopArgs, stopTimeout } from './stop.js';

/** The options `start` stored, with any flag given now taking their place. */
function restartOptions(paths: StatePaths, args: Parameters<typeof optionsFromArgs>[0]): ServiceOptions {
  const stored = readServiceOptions(paths);
  const given = optionsFromArgs(args);
  if (!stored) return given;
  const defined = Object.fromEntries(Object.entries(given).filter(([k, v]) => v !== undefined && k !== 'cwd'));
  return { ...stored, ...defined };
}

export default defineCommand({
  meta: { name: 'restart', description: 'Stop and start the background gateway, keeping the options it was started with' },
  args: { ...serverArgs, ...stopArgs },
  async run({ args }) {
    const paths = statePaths();
    breadcrumb(paths, 'service_restart_requested');
    const options = restartOptions(paths, args);
    // Config and auth are checked before stopping, so a broken config never leaves you without a gateway.
    const inspection = await prepare(options, { say });
    await stopService(paths, { say, timeoutMs: stopTimeout(args['timeout-ms']) });
    writeServiceOptions(paths, options);
    await startService(paths, options, inspection, { say });
  },
});
