import { GatewayError } from '../core/errors.js';

/**
 * Why Copilot auth is unavailable. Stable, safe to log, and sent to Codex as `error.reason`.
 * The original's error classes, plus `refused_inbound` (a placeholder key Codex sent was not forwarded).
 */
export type CopilotAuthReason =
  | 'missing'
  | 'expired'
  | 'expired_missing_github_token'
  | 'token_file_not_refreshable'
  | 'read_token_file'
  | 'parse_token_file'
  | 'missing_copilot_token'
  | 'refresh_status'
  | 'refresh_request'
  | 'missing_refresh_fields'
  | 'write_token_file'
  | 'refused_inbound';

/** The command that fixes most auth problems; shown in errors and in `/health`. */
const LOGIN_FIX = 'ccrx login';

/**
 * An auth failure Codex can act on. Status 401 for everything the user fixes locally (Codex shows the message),
 * 502 when GitHub's token endpoint failed for a reason other than a rejected GitHub token. Never 500: Codex hides
 * a 500's message behind "We're currently experiencing high demand". Messages never carry a token or file contents.
 */
export class CopilotAuthError extends GatewayError {
  readonly reason: CopilotAuthReason;

  constructor(reason: CopilotAuthReason, message: string, status = 401, cause?: unknown) {
    super({
      status,
      type: status === 401 ? 'authentication_error' : 'server_error',
      code: 'copilot_auth_unavailable',
      message,
      expose: true,
      details: { reason, fix: LOGIN_FIX },
      cause,
    });
    this.name = 'CopilotAuthError';
    this.reason = reason;
  }
}

/** The message when no auth source produced a token; keeps the original's leading words (scripts grep them). */
export function missingAuthError(detail: string): CopilotAuthError {
  return new CopilotAuthError('missing', `missing Copilot bearer token: ${detail}; run \`${LOGIN_FIX}\` (or set COPILOT_BEARER_TOKEN)`);
}
