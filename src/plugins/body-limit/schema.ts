/** Options of the body-limit plugin. */
export interface BodyLimitOptions {
  /** Largest accepted request body in bytes for this chain; 0 = only the server's limit. @default 0 */
  maxBytes: number;
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxBytes: { type: 'integer', minimum: 0, default: 0, description: "Largest accepted request body in bytes on this chain, below the server's limit (server.maxBodyBytes, REQUEST_BODY_LIMIT_BYTES, which applies to every chain); 0 = the server's limit alone." },
  },
} as const;
