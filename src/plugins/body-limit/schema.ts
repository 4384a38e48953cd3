/** Options of the body-limit plugin. */
export interface BodyLimitOptions {
  /** Largest accepted request body in bytes; 0 = no limit. @default 0 */
  maxBytes: number;
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxBytes: { type: 'integer', minimum: 0, default: 0, description: 'Largest accepted request body in bytes (REQUEST_BODY_LIMIT_BYTES); 0 = no limit.' },
  },
} as const;
