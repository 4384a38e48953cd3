import { copilotClientProperties, type CopilotClientVersions } from '../../index.js';

/** Options of the copilot-quota plugin (also read by `ccrx usage`). */
export interface CopilotQuotaOptions extends CopilotClientVersions {
  /** GitHub's Copilot user endpoint. @default "https://api.github.com/copilot_internal/user" */
  url: string;
  /** Token file holding the GitHub token saved by `ccrx login`; empty = `~/.copilot-tokens.json`. @default "" */
  tokenFile: string;
  /** GitHub OAuth token to use instead of the token file's (never logged). @default "" */
  githubToken: string;
  /** Re-fetch the quota in the background this often (seconds). @default 300 */
  refreshSeconds: number;
  /** Add Codex's `x-codex-primary-*` rate-limit headers to successful `/v1/responses` answers. @default true */
  rateLimitHeaders: boolean;
  /** Timeout of one quota fetch (ms). @default 10000 */
  timeoutMs: number;
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', pattern: '^https?://', default: 'https://api.github.com/copilot_internal/user', description: "GitHub's Copilot user endpoint (env COPILOT_QUOTA_URL)." },
    tokenFile: { type: 'string', default: '', description: 'Token file with the GitHub token from ccrx login (env COPILOT_TOKEN_FILE); empty = ~/.copilot-tokens.json.' },
    githubToken: { type: 'string', default: '', description: "GitHub OAuth token to use instead of the token file's." },
    refreshSeconds: { type: 'integer', minimum: 10, default: 300, description: 'Background refresh period of the quota, in seconds.' },
    rateLimitHeaders: { type: 'boolean', default: true, description: "Add Codex's x-codex-primary-* rate-limit headers to successful /v1/responses answers." },
    chatVersion: copilotClientProperties.chatVersion,
    editorVersion: copilotClientProperties.editorVersion,
    timeoutMs: { type: 'integer', minimum: 1, default: 10_000, description: 'Timeout of one quota fetch, in ms.' },
  },
} as const;
