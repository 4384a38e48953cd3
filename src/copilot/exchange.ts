import { stripBearer } from './bearer.js';
import { copilotClientHeaders, type CopilotClientVersions } from './client.js';
import { CopilotAuthError } from './errors.js';
import { callJson, describeNetworkError } from './http.js';
import { validateApiBase } from './token-file.js';

/** What the token exchange needs besides the GitHub token. */
export interface ExchangeSettings extends CopilotClientVersions {
  tokenUrl: string;
  timeoutMs: number;
}

export interface ExchangedToken {
  token: string;
  /** Epoch seconds. */
  expiresAt: number;
  /** Validated `endpoints.api`, when the answer had a usable one. */
  apiBase: string | undefined;
  /** `endpoints.api` was present but refused (not https or not a githubcopilot.com host). */
  refusedApi: boolean;
}

/** The refresh headers of the original (`Bearer`, not `token`). */
export function githubHeaders(githubToken: string | undefined, s: CopilotClientVersions): Record<string, string> {
  return {
    accept: 'application/json',
    ...(githubToken !== undefined && { authorization: `Bearer ${githubToken}` }),
    ...copilotClientHeaders(s),
  };
}

/**
 * Trades a GitHub OAuth token for a Copilot session token (GET `tokenUrl`). A 401/403 means the GitHub token is no
 * longer accepted (401 to Codex, fixed by logging in again); other failures are 502.
 */
export async function exchangeCopilotToken(githubToken: string, s: ExchangeSettings, signal?: AbortSignal): Promise<ExchangedToken> {
  let res;
  try {
    res = await callJson(s.tokenUrl, { method: 'GET', headers: githubHeaders(githubToken, s), timeoutMs: s.timeoutMs, signal });
  } catch (err) {
    throw new CopilotAuthError('refresh_request', `failed to refresh Copilot token: ${describeNetworkError(err)}`, 502, err);
  }
  if (res.status < 200 || res.status > 299) {
    const rejected = res.status === 401 || res.status === 403 || res.status === 404;
    const hint = rejected ? '; the saved GitHub token was refused, run `ccrx login`' : res.status >= 300 && res.status < 400 ? '; redirects are not followed' : '';
    throw new CopilotAuthError('refresh_status', `failed to refresh Copilot token: HTTP ${res.status}${hint}`, rejected ? 401 : 502);
  }
  const body = (res.json ?? {}) as { token?: unknown; expires_at?: unknown; endpoints?: { api?: unknown } };
  const token = typeof body.token === 'string' ? stripBearer(body.token) : '';
  const expiresAt = typeof body.expires_at === 'number' && Number.isFinite(body.expires_at) && body.expires_at >= 0 ? body.expires_at : undefined;
  if (!token || expiresAt === undefined) throw new CopilotAuthError('missing_refresh_fields', 'Copilot refresh response is missing token or expires_at', 502);
  const api = body.endpoints?.api;
  const apiBase = validateApiBase(api);
  return { token, expiresAt, apiBase, refusedApi: api !== undefined && apiBase === undefined };
}
