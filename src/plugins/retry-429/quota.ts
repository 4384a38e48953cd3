import { GatewayError, redactCut, truncate } from '../../index.js';
import type { AnnouncedWait } from './wait.js';

/** What an upstream error body says, when it is the usual `{"error":{"code","type","message"}}`. */
export interface UpstreamErrorInfo {
  code: string | undefined;
  type: string | undefined;
  message: string | undefined;
}

export function parseErrorBody(body: Buffer | undefined): UpstreamErrorInfo {
  const info: UpstreamErrorInfo = { code: undefined, type: undefined, message: undefined };
  if (!body || body.length === 0) return info;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: unknown; message?: unknown; code?: unknown };
    const error = typeof parsed.error === 'object' && parsed.error !== null ? (parsed.error as Record<string, unknown>) : (parsed as Record<string, unknown>);
    if (typeof error.code === 'string') info.code = error.code;
    if (typeof error.type === 'string') info.type = error.type;
    if (typeof error.message === 'string') info.message = error.message;
    else if (typeof parsed.error === 'string') info.code ??= parsed.error;
  } catch {
    // Not JSON: the status and headers decide.
  }
  return info;
}

/** Header values naming an exhausted quota or a long window (Copilot's `x-ratelimit-exceeded`). */
const LONG_WINDOW = /quota|week|month|day|5.?h/i;

export interface QuotaVerdictInput {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  info: UpstreamErrorInfo;
  announced: AnnouncedWait | undefined;
  quotaCodes: readonly string[];
  longWaitMs: number;
}

/** Why an answer means an exhausted quota (nothing when it is a short throttle). */
export function exhaustedQuota(input: QuotaVerdictInput): string | undefined {
  if (input.status === 402) return 'status 402';
  const code = input.info.code?.split(':')[0];
  if (code && input.quotaCodes.includes(code)) return `code ${code}`;
  if (input.info.type && input.quotaCodes.includes(input.info.type)) return `type ${input.info.type}`;
  const exceeded = input.headers['x-ratelimit-exceeded'];
  const bucket = Array.isArray(exceeded) ? exceeded.join(',') : exceeded;
  if (bucket && LONG_WINDOW.test(bucket)) return `x-ratelimit-exceeded ${truncate(bucket, 40)}`;
  if (input.announced && input.announced.ms >= input.longWaitMs) return `${input.announced.source} of ${Math.round(input.announced.ms / 1000)} s`;
  return undefined;
}

/**
 * The answer that makes Codex stop and say why (codex-contract §3.4): HTTP 429 with `type: usage_limit_reached`
 * ("You've hit your usage limit. Try again at <time>." when `resets_at` is known), or `insufficient_quota` when
 * billing is the problem ("Quota exceeded. Check your plan and billing details.").
 */
export function quotaError(o: { info: UpstreamErrorInfo; announced: AnnouncedWait | undefined; why: string; now: number; status: number; streamStarted?: boolean }): GatewayError {
  const code = o.info.code?.split(':')[0];
  const billing = code === 'billing_not_configured' || code === 'insufficient_quota' || o.info.type === 'insufficient_quota';
  const resetsAt = o.announced ? Math.ceil((o.now + o.announced.ms) / 1000) : undefined;
  const upstreamMessage = o.info.message ? `: ${redactCut(o.info.message, 300)}` : '';
  const when = resetsAt === undefined ? '' : ` It resets at ${new Date(resetsAt * 1000).toISOString()}.`;
  const message = `The upstream quota is exhausted (upstream ${o.status}, ${o.why})${upstreamMessage}.${when}`;
  // Once a 200 event stream is open, only `response.failed` remains, and Codex reads only its `code` there: of the
  // quota codes it knows, `insufficient_quota` is the one that stops it (`usage_limit_reached` would be retried).
  if (billing || o.streamStarted) return new GatewayError({ status: 429, type: 'insufficient_quota', code: 'insufficient_quota', message });
  return new GatewayError({
    status: 429,
    type: 'usage_limit_reached',
    code: code ?? 'usage_limit_reached',
    message,
    details: resetsAt === undefined ? {} : { resets_at: resetsAt, resets_in_seconds: Math.max(0, resetsAt - Math.floor(o.now / 1000)) },
  });
}
