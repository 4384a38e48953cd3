import { copilotClientEnv, definePlugin, stripBearer, type Logger } from '../../index.js';
import { describeQuota, fetchQuota, premiumExhausted, quotaHeaders, readGithubToken, type CopilotQuota } from './quota.js';
import { schema, type CopilotQuotaOptions } from './schema.js';

export type { CopilotQuotaOptions } from './schema.js';
export { describeQuota, parseQuota, quotaHeaders, usedPercent } from './quota.js';

const NAME = 'copilot-quota';

/** Fetches the quota once with the plugin's options: the explicit GitHub token, else the token file's. */
export async function loadQuota(options: CopilotQuotaOptions): Promise<CopilotQuota> {
  let githubToken = stripBearer(options.githubToken);
  if (!githubToken) {
    const saved = await readGithubToken(options.tokenFile);
    if (!saved.exists) throw new Error(`no GitHub token saved: there is no token file at ${saved.file}; run \`ccrx login\``);
    if (!saved.token) throw new Error(`no GitHub token saved: the token file ${saved.file} has no githubToken; run \`ccrx login\``);
    githubToken = saved.token;
  }
  return fetchQuota({ url: options.url, githubToken, chatVersion: options.chatVersion, editorVersion: options.editorVersion, timeoutMs: options.timeoutMs });
}

/**
 * Copilot's premium-request quota, kept fresh in the background: reported under `/health` (so `ccrx status` sees
 * it) and mapped onto Codex's `x-codex-primary-*` headers of successful answers. Requests never wait for it.
 */
export default definePlugin<CopilotQuotaOptions>({
  name: NAME,
  schema,
  env: { url: 'COPILOT_QUOTA_URL', tokenFile: 'COPILOT_TOKEN_FILE', chatVersion: copilotClientEnv.chatVersion, editorVersion: copilotClientEnv.editorVersion },
  apply({ hooks, log }, options) {
    const tracker = new QuotaTracker(options, log);
    let timer: NodeJS.Timeout | undefined;

    hooks.startup.tapPromise(NAME, async () => {
      tracker.refreshInBackground();
      timer = setInterval(() => tracker.refreshInBackground(), options.refreshSeconds * 1000).unref();
    });
    hooks.shutdown.tapPromise(NAME, async () => clearInterval(timer));

    if (options.rateLimitHeaders) {
      hooks.upstreamResponse.tap(NAME, (ex, response) => {
        if (ex.inbound.route !== 'responses' || response.status !== 200) return undefined;
        const quota = tracker.current();
        if (quota) Object.assign(response.headers, quotaHeaders(quota));
        return undefined;
      });
    }

    hooks.health.tapPromise(NAME, async (report) => {
      const quota = tracker.current();
      if (quota) {
        const exhausted = premiumExhausted(quota);
        report.checks.quota = {
          ok: !exhausted,
          message: describeQuota(quota),
          ...(quota.plan && { plan: quota.plan }),
          ...(quota.premium?.remaining !== undefined && { premiumRemaining: quota.premium.remaining }),
          ...(quota.premium?.entitlement !== undefined && { premiumEntitlement: quota.premium.entitlement }),
          ...(quota.resetAt !== undefined && { resetsAt: new Date(quota.resetAt).toISOString() }),
          ...(exhausted && { fix: 'wait for the reset, enable premium request overage on GitHub, or use an included model' }),
        };
      } else {
        // Unknown quota is not a fault of the gateway: requests still work.
        report.checks.quota = { ok: true, message: tracker.error ? `Copilot quota unavailable: ${tracker.error}` : 'Copilot quota not fetched yet' };
      }
    });
  },
});

/** The last quota fetched; one fetch in flight at most; a request only ever reads the cache. */
class QuotaTracker {
  private quota: CopilotQuota | undefined;
  private flight: Promise<void> | undefined;
  error: string | undefined;

  constructor(
    private readonly options: CopilotQuotaOptions,
    private readonly log: Logger,
  ) {}

  current(): CopilotQuota | undefined {
    if (this.quota && Date.now() - this.quota.fetchedAt > this.options.refreshSeconds * 1000) this.refreshInBackground();
    return this.quota;
  }

  refreshInBackground(): void {
    this.flight ??= loadQuota(this.options)
      .then((quota) => {
        this.quota = quota;
        this.error = undefined;
        this.log.debug({ quota: describeQuota(quota) }, 'copilot-quota: refreshed');
      })
      .catch((err: unknown) => {
        this.error = err instanceof Error ? err.message : String(err);
        this.log.warn({ err: this.error }, 'copilot-quota: refresh failed');
      })
      .finally(() => {
        this.flight = undefined;
      });
  }
}
