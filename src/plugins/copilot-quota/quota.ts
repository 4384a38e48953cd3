import { request } from 'undici';
import { copilotClientHeaders, isObject, readTokenFile, resolveTokenFilePath, type CopilotClientVersions } from '../../index.js';

/** One bucket of `quota_snapshots` (chat, completions, premium_interactions). */
export interface QuotaBucket {
  entitlement: number | undefined;
  remaining: number | undefined;
  percentRemaining: number | undefined;
  unlimited: boolean;
  overageCount: number | undefined;
  overagePermitted: boolean;
}

/** What `GET https://api.github.com/copilot_internal/user` says about the account's quota. */
export interface CopilotQuota {
  plan: string | undefined;
  /** Epoch ms of the next reset, when the answer had a date. */
  resetAt: number | undefined;
  premium: QuotaBucket | undefined;
  chat: QuotaBucket | undefined;
  completions: QuotaBucket | undefined;
  fetchedAt: number;
}

export interface QuotaFetchSettings extends CopilotClientVersions {
  url: string;
  githubToken: string;
  timeoutMs: number;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function bucket(value: unknown): QuotaBucket | undefined {
  if (!isObject(value)) return undefined;
  return {
    entitlement: num(value.entitlement),
    remaining: num(value.remaining) ?? num(value.quota_remaining),
    percentRemaining: num(value.percent_remaining),
    unlimited: value.unlimited === true,
    overageCount: num(value.overage_count),
    overagePermitted: value.overage_permitted === true,
  };
}

export function parseQuota(body: unknown, now = Date.now()): CopilotQuota {
  const b = isObject(body) ? body : {};
  const snapshots = isObject(b.quota_snapshots) ? b.quota_snapshots : {};
  const date = typeof b.quota_reset_date_utc === 'string' ? b.quota_reset_date_utc : typeof b.quota_reset_date === 'string' ? b.quota_reset_date : undefined;
  const resetAt = date === undefined ? undefined : Date.parse(date);
  return {
    plan: typeof b.copilot_plan === 'string' ? b.copilot_plan : undefined,
    resetAt: resetAt !== undefined && Number.isFinite(resetAt) ? resetAt : undefined,
    premium: bucket(snapshots.premium_interactions),
    chat: bucket(snapshots.chat),
    completions: bucket(snapshots.completions),
    fetchedAt: now,
  };
}

/** The GitHub OAuth token saved by `ccrx login`, read as the token store reads the file; `file` says where it was looked for. */
export async function readGithubToken(tokenFile: string): Promise<{ file: string; exists: boolean; token: string | undefined }> {
  const file = resolveTokenFilePath(tokenFile);
  const snapshot = await readTokenFile(file);
  return { file, exists: snapshot !== undefined, token: snapshot?.data.githubToken };
}

/** One call to GitHub's Copilot user endpoint. Redirects are not followed (the token never goes elsewhere). */
export async function fetchQuota(s: QuotaFetchSettings): Promise<CopilotQuota> {
  let res;
  try {
    res = await request(s.url, {
      method: 'GET',
      headers: {
        accept: 'application/json',
        authorization: `token ${s.githubToken}`,
        ...copilotClientHeaders(s),
      },
      signal: AbortSignal.timeout(s.timeoutMs),
    });
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    throw new Error(`cannot reach ${new URL(s.url).host}: ${e.name === 'TimeoutError' ? 'timed out' : (e.code ?? e.message ?? 'request failed')}`);
  }
  const text = await res.body.text();
  if (res.statusCode === 401 || res.statusCode === 403 || res.statusCode === 404) throw new Error(`GitHub refused the saved GitHub token for the Copilot quota (HTTP ${res.statusCode}); run \`ccrx login\``);
  if (res.statusCode !== 200) throw new Error(`the Copilot quota endpoint answered HTTP ${res.statusCode}`);
  try {
    return parseQuota(JSON.parse(text));
  } catch {
    throw new Error('the Copilot quota endpoint did not answer JSON');
  }
}

/** Share of the premium entitlement used, 0–100; undefined when unlimited or unknown. */
export function usedPercent(b: QuotaBucket | undefined): number | undefined {
  if (!b || b.unlimited) return undefined;
  if (b.percentRemaining !== undefined) return clamp(100 - b.percentRemaining);
  if (b.entitlement && b.remaining !== undefined) return clamp(((b.entitlement - b.remaining) / b.entitlement) * 100);
  return undefined;
}

const clamp = (n: number) => Math.min(100, Math.max(0, n));

/**
 * Codex's primary rate-limit headers (codex-contract §3.5) from the premium-request quota: used percent, the
 * monthly window in minutes, and the reset time in unix seconds. Nothing for unlimited or unknown quotas.
 */
export function quotaHeaders(q: CopilotQuota): Record<string, string> {
  const used = usedPercent(q.premium);
  if (used === undefined) return {};
  const headers: Record<string, string> = { 'x-codex-primary-used-percent': String(Math.round(used * 10) / 10) };
  if (q.resetAt !== undefined) {
    const start = new Date(q.resetAt);
    start.setUTCMonth(start.getUTCMonth() - 1);
    headers['x-codex-primary-window-minutes'] = String(Math.round((q.resetAt - start.getTime()) / 60_000));
    headers['x-codex-primary-reset-at'] = String(Math.floor(q.resetAt / 1000));
  }
  return headers;
}

/** Whether premium requests are used up with no overage allowed. */
export function premiumExhausted(q: CopilotQuota): boolean {
  const p = q.premium;
  return Boolean(p && !p.unlimited && p.remaining !== undefined && p.remaining <= 0 && !p.overagePermitted);
}

/** One line, e.g. `premium requests: 250 of 300 left (83.3%), resets 2026-12-01`. */
export function describeQuota(q: CopilotQuota): string {
  const p = q.premium;
  const reset = q.resetAt === undefined ? '' : `, resets ${new Date(q.resetAt).toISOString().slice(0, 10)}`;
  if (!p) return `no premium request quota reported${q.plan ? ` (plan ${q.plan})` : ''}`;
  if (p.unlimited) return `premium requests: unlimited${reset}`;
  const pct = p.percentRemaining ?? (p.entitlement ? ((p.remaining ?? 0) / p.entitlement) * 100 : undefined);
  const left = p.remaining !== undefined && p.entitlement !== undefined ? `${fmt(p.remaining)} of ${fmt(p.entitlement)} left` : p.remaining !== undefined ? `${fmt(p.remaining)} left` : 'remaining unknown';
  const overage = p.overageCount ? `, ${fmt(p.overageCount)} over the quota` : '';
  return `premium requests: ${left}${pct === undefined ? '' : ` (${fmt(Math.round(pct * 10) / 10)}%)`}${overage}${reset}`;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
