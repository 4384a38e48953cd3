import { defineCommand } from 'citty';
import { collectStatus, exitCodes, formatStatus } from '../service/status.js';
import { statePaths } from '../service/state.js';

export default defineCommand({
  meta: { name: 'status', description: 'Show whether the background gateway runs, its config, auth and counts (exit 0 running, 1 unhealthy, 3 stopped)' },
  args: {
    json: { type: 'boolean', description: 'Print the report as JSON' },
  },
  async run({ args }) {
    // Read-only: status writes nothing, so scripts may poll it.
    const report = await collectStatus(statePaths());
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
    process.exitCode = exitCodes[report.state];
  },
});
