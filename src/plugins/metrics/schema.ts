/** Options of the metrics plugin. */
export interface MetricsOptions {
  /** Path of the Prometheus endpoint, under the chain's prefix. @default "/metrics" */
  path: string;
  /** Prefix of every metric name. @default "ccrx_" */
  prefix: string;
  /** Also export Node.js process metrics (CPU, memory, event loop, GC). @default false */
  processMetrics: boolean;
  /**
   * Distinct model label values kept; later models, and names that are no model id (over 128 characters, or other
   * characters than letters, digits and `_ . : / @ + -`), are counted as `other` (bounds the series and their size).
   * @default 50
   */
  maxModels: number;
  /** Histogram buckets for latencies, in seconds. @default [0.05,0.1,0.25,0.5,1,2.5,5,10,30,60,120,300] */
  buckets: number[];
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', pattern: '^/', default: '/metrics', description: "Path of the Prometheus endpoint, under the chain's prefix." },
    prefix: { type: 'string', pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$', default: 'ccrx_', description: 'Prefix of every metric name.' },
    processMetrics: { type: 'boolean', default: false, description: 'Also export Node.js process metrics (CPU, memory, event loop, GC).' },
    maxModels: { type: 'integer', minimum: 1, default: 50, description: 'Distinct model label values kept; later ones, and names over 128 characters or with characters other than letters, digits and _ . : / @ + -, are counted as "other".' },
    buckets: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1, default: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], description: 'Histogram buckets for latencies, in seconds.' },
  },
} as const;
