import { defineCommand } from 'citty';
// The package root first: it evaluates the core before the built-in plugins that import it.
import { resolvePluginOptions } from '../index.js';
import copilotQuota, { describeQuota, loadQuota, usedPercent } from '../plugins/copilot-quota/index.js';
import { CLIError } from './errors.js';

/** Prints the Copilot premium-request quota, fetched with the GitHub token saved by `ccrx login`. */
export default defineCommand({
  meta: { name: 'usage', description: 'Show the GitHub Copilot quota: premium requests used and left, and the reset date' },
  args: {
    json: { type: 'boolean', description: 'Print the quota as JSON' },
  },
  async run({ args }) {
    const options = resolvePluginOptions(copilotQuota, {}, process.env);
    let quota;
    try {
      quota = await loadQuota(options);
    } catch (err) {
      throw new CLIError(err instanceof Error ? err.message : String(err));
    }
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ ...quota, resetAt: quota.resetAt === undefined ? null : new Date(quota.resetAt).toISOString(), fetchedAt: new Date(quota.fetchedAt).toISOString() }, null, 2)}\n`);
      return;
    }
    const lines = [`Copilot plan: ${quota.plan ?? 'unknown'}`, describeQuota(quota)];
    const used = usedPercent(quota.premium);
    if (used !== undefined) lines.push(`used: ${Math.round(used * 10) / 10}%`);
    for (const [label, b] of [['chat', quota.chat], ['completions', quota.completions]] as const) {
      if (b) lines.push(`${label}: ${b.unlimited ? 'unlimited' : `${b.remaining ?? '?'} of ${b.entitlement ?? '?'} left`}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  },
});
