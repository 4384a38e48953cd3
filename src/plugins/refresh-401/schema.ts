/** Options of the refresh-401 plugin. */
export interface Refresh401Options {
  /**
   * Also treat a 403 as an expired token when the credential's expiry has passed (GitHub Enterprise answers 403 for
   * an expired Copilot token).
   * @default true
   */
  expired403: boolean;
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    expired403: { type: 'boolean', default: true, description: "Treat a 403 as an expired token when the credential's expiry has passed (Enterprise)." },
  },
} as const;
