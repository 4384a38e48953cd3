import { COPILOT_TOKEN_URL, copilotClientProperties, type CopilotClientVersions } from '../../index.js';

/** Options of the auth-copilot-tokenfile plugin (also read by `ccrx login` and `ccrx print-token`). */
export interface AuthCopilotTokenFileOptions extends CopilotClientVersions {
  /** Token file path; empty = `~/.copilot-tokens.json` (resolved with the user's home directory). @default "" */
  tokenFile: string;
  /** Refresh when the token expires within this many seconds. @default 300 */
  expiryBufferSeconds: number;
  /** Mint new Copilot tokens from the saved GitHub token (before expiry and after an upstream 401). @default true */
  refresh: boolean;
  /** GitHub's Copilot token exchange. @default "https://api.github.com/copilot_internal/v2/token" */
  tokenUrl: string;
  /**
   * Route to the account's API host from the token exchange (`endpoints.api`, only `https://*.githubcopilot.com`)
   * when the upstream URL is on the public host `api.githubcopilot.com`. Needed for Business/Enterprise accounts.
   * @default true
   */
  accountEndpoint: boolean;
  /** Timeout of one call to the token endpoint, in ms. @default 30000 */
  requestTimeoutMs: number;
  /** Device-login start URL (`ccrx login`). @default "https://github.com/login/device/code" */
  deviceCodeUrl: string;
  /** Device-login poll URL (`ccrx login`). @default "https://github.com/login/oauth/access_token" */
  accessTokenUrl: string;
  /** GitHub OAuth app id used by `ccrx login`. @default "01ab8ac9400c4e429b23" */
  clientId: string;
  /** OAuth scope requested by `ccrx login`. @default "read:user" */
  scope: string;
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tokenFile: { type: 'string', default: '', description: 'Token file path (env COPILOT_TOKEN_FILE); empty = ~/.copilot-tokens.json.' },
    expiryBufferSeconds: { type: 'integer', minimum: 0, default: 300, description: 'Refresh when the token expires within this many seconds (env COPILOT_TOKEN_EXPIRY_BUFFER_SECONDS).' },
    refresh: { type: 'boolean', default: true, description: 'Mint new Copilot tokens from the saved GitHub token (env COPILOT_TOKEN_REFRESH).' },
    tokenUrl: { type: 'string', minLength: 1, default: COPILOT_TOKEN_URL, description: 'Copilot token exchange URL (env COPILOT_TOKEN_URL).' },
    accountEndpoint: { type: 'boolean', default: true, description: 'Route to the account API host from the token exchange when the upstream is the public api.githubcopilot.com (env COPILOT_ACCOUNT_ENDPOINT).' },
    chatVersion: copilotClientProperties.chatVersion,
    editorVersion: copilotClientProperties.editorVersion,
    requestTimeoutMs: { type: 'integer', minimum: 1, default: 30_000, description: 'Timeout of one token-endpoint call, in ms.' },
    deviceCodeUrl: { type: 'string', minLength: 1, default: 'https://github.com/login/device/code', description: 'Device-login start URL for ccrx login (env GITHUB_DEVICE_CODE_URL).' },
    accessTokenUrl: { type: 'string', minLength: 1, default: 'https://github.com/login/oauth/access_token', description: 'Device-login poll URL for ccrx login (env GITHUB_ACCESS_TOKEN_URL).' },
    clientId: { type: 'string', minLength: 1, default: '01ab8ac9400c4e429b23', description: 'GitHub OAuth client id for ccrx login (env GITHUB_OAUTH_CLIENT_ID).' },
    scope: { type: 'string', default: 'read:user', description: 'OAuth scope for ccrx login (env GITHUB_OAUTH_SCOPE).' },
  },
} as const;
