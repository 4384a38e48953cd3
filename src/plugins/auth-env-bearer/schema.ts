import type { InboundAuthPolicy } from '../../index.js';

/** Options of the auth-env-bearer plugin. */
export interface AuthEnvBearerOptions {
  /**
   * A Copilot bearer token (or a PAT the upstream accepts). Trimmed; a leading `Bearer ` is stripped. Wins over the
   * token file. Empty = not set.
   * @default ""
   */
  token: string;
  /**
   * What to do with the `Authorization` header Codex sends when no token is configured (or the token file failed):
   * `filtered` forwards it unless it looks like a placeholder (an `sk-…` key, a placeholder word, under 20
   * characters); `any` forwards any visible-ASCII value; `off` never forwards it.
   * @default "filtered"
   */
  inboundAuth: InboundAuthPolicy;
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    token: { type: 'string', default: '', description: 'Copilot bearer token sent upstream (env COPILOT_BEARER_TOKEN); wins over the token file. Empty = not set.' },
    inboundAuth: {
      type: 'string',
      enum: ['filtered', 'any', 'off'],
      default: 'filtered',
      description: "Fallback to the Authorization header Codex sends when no token is configured: 'filtered' refuses placeholders (sk- keys, placeholder words, < 20 chars), 'any' forwards it, 'off' never does (env COPILOT_INBOUND_AUTH).",
    },
  },
} as const;
