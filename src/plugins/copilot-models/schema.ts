import { COPILOT_TOKEN_URL, copilotClientProperties, type CopilotClientIds } from '../../index.js';

/** Options of the copilot-models plugin. */
export interface CopilotModelsOptions extends CopilotClientIds {
  /** Copilot's model list. @default "https://api.githubcopilot.com/models" */
  modelsUrl: string;
  /** Chat Completions URL for chat-only models; empty = the `/responses` upstream URL with `/chat/completions` instead. @default "" */
  chatUrl: string;
  /** Messages URL for Claude models on `/v1/messages`; empty = the `/responses` upstream URL with `/v1/messages` instead. @default "" */
  messagesUrl: string;
  /** Send a model that lists both `/v1/messages` and `/chat/completions` to `/v1/messages` (when the chain has a messages-translator). @default true */
  preferMessages: boolean;
  /** Copilot bearer token for the list fetch; empty = the token file. @default "" */
  token: string;
  /** Token file path; empty = `~/.copilot-tokens.json`. @default "" */
  tokenFile: string;
  /** Copilot token exchange, used when the token file's token is near expiry. @default "https://api.github.com/copilot_internal/v2/token" */
  tokenUrl: string;
  /** Mint a new Copilot token from the saved GitHub token when the file's token is near expiry. @default true */
  tokenRefresh: boolean;
  /** Refresh the file token when it expires within this many seconds (as auth-copilot-tokenfile). @default 300 */
  tokenExpiryBufferSeconds: number;
  /** Fetch the list from the account's API host (Business/Enterprise) when `modelsUrl` is on the public host. @default true */
  accountEndpoint: boolean;
  /** Refresh the list in the background this often (seconds); 0 = only when used after that long. @default 900 */
  refreshSeconds: number;
  /** After a failed fetch with no list cached, requests pass through unrouted for this long (seconds). @default 30 */
  retrySeconds: number;
  /** Timeout of one list fetch (ms). @default 10000 */
  timeoutMs: number;
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    modelsUrl: { type: 'string', pattern: '^https?://', default: 'https://api.githubcopilot.com/models', description: "Copilot's model list URL (env COPILOT_MODELS_URL)." },
    chatUrl: { type: 'string', default: '', description: 'Chat Completions URL for chat-only models; empty = the /responses upstream URL with /chat/completions instead.' },
    messagesUrl: { type: 'string', default: '', description: 'Messages URL for Claude models on /v1/messages; empty = the /responses upstream URL with /v1/messages instead.' },
    preferMessages: { type: 'boolean', default: true, description: 'Send a model listing both /v1/messages and /chat/completions to /v1/messages (with a messages-translator in the chain); false keeps /chat/completions.' },
    token: { type: 'string', default: '', description: 'Copilot bearer token for the list fetch (env COPILOT_BEARER_TOKEN); empty = the token file.' },
    tokenFile: { type: 'string', default: '', description: 'Token file path (env COPILOT_TOKEN_FILE); empty = ~/.copilot-tokens.json.' },
    tokenUrl: { type: 'string', minLength: 1, default: COPILOT_TOKEN_URL, description: 'Copilot token exchange URL (env COPILOT_TOKEN_URL).' },
    tokenRefresh: { type: 'boolean', default: true, description: 'Mint a new Copilot token from the saved GitHub token when the file token is near expiry (env COPILOT_TOKEN_REFRESH).' },
    tokenExpiryBufferSeconds: { type: 'integer', minimum: 0, default: 300, description: 'Refresh the file token when it expires within this many seconds, as auth-copilot-tokenfile does (env COPILOT_TOKEN_EXPIRY_BUFFER_SECONDS).' },
    accountEndpoint: { type: 'boolean', default: true, description: 'Fetch from the account API host when modelsUrl is on the public host (env COPILOT_ACCOUNT_ENDPOINT).' },
    chatVersion: copilotClientProperties.chatVersion,
    editorVersion: copilotClientProperties.editorVersion,
    githubApiVersion: copilotClientProperties.githubApiVersion,
    integrationId: copilotClientProperties.integrationId,
    refreshSeconds: { type: 'integer', minimum: 0, default: 900, description: 'Background refresh period of the model list, in seconds (0: refresh on use only).' },
    retrySeconds: { type: 'integer', minimum: 0, default: 30, description: 'After a failed fetch with no list cached, requests pass through unrouted for this many seconds.' },
    timeoutMs: { type: 'integer', minimum: 1, default: 10_000, description: 'Timeout of one model list fetch, in ms.' },
  },
} as const;
