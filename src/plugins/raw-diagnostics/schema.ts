import { ConfigError } from '../../index.js';

export const levels = ['off', 'metadata', 'content_redacted', 'full_content'] as const;
export type RawLogLevel = (typeof levels)[number];

/** Options of the raw-diagnostics plugin. */
export interface RawDiagnosticsOptions {
  /** What to record: nothing, metadata only, content with every string replaced, or content (secrets still redacted). @default "off" */
  level: RawLogLevel;
  /** JSONL file; a leading `~/` is the home directory; empty = `raw/diagnostics.jsonl` in the state directory. @default "" */
  file: string;
  /** Longest line; a longer event is replaced by a `diagnostic_event_truncated` marker. @default 65536 */
  maxEventBytes: number;
  /** Bytes of a request or response body kept for a content snapshot. @default 16384 */
  contentMaxBytes: number;
  /** Events waiting for the disk; more are dropped (and counted) rather than slowing requests. @default 1000 */
  queueMax: number;
  /** Rotate the file when it would grow past this many bytes; 0 = never. @default 52428800 */
  rotateBytes: number;
  /** Rotated files kept (`file.1` … `file.N`). @default 3 */
  maxFiles: number;
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    level: { type: 'string', enum: [...levels], default: 'off', description: 'Raw diagnostics level: off, metadata, content_redacted or full_content.' },
    file: { type: 'string', default: '', description: 'JSONL file for raw diagnostics; a leading ~/ is the home directory; empty = raw/diagnostics.jsonl in the state directory (CODEX_CODE_ROUTER_STATE_DIR, else ~/.codex-code-router).' },
    maxEventBytes: { type: 'integer', minimum: 1024, default: 65_536, description: 'Longest JSONL line; longer events become a diagnostic_event_truncated marker.' },
    contentMaxBytes: { type: 'integer', minimum: 1024, default: 16_384, description: 'Bytes of a request or response body kept for a content snapshot.' },
    queueMax: { type: 'integer', minimum: 1, default: 1000, description: 'Events waiting for the disk before new ones are dropped (and counted).' },
    rotateBytes: { type: 'integer', minimum: 0, default: 50 * 1024 * 1024, description: 'Rotate the file when it would grow past this many bytes; 0 = never.' },
    maxFiles: { type: 'integer', minimum: 1, default: 3, description: 'Rotated files kept (file.1 ... file.N).' },
  },
} as const;

/** The original's rule: trimmed, case-insensitive, and an unknown level stops startup with its message. */
export function parseLevel(raw: string): RawLogLevel {
  const value = raw.trim().toLowerCase();
  if ((levels as readonly string[]).includes(value)) return value as RawLogLevel;
  throw new ConfigError(`Invalid value for CODEX_CODE_ROUTER_RAW_LOG_LEVEL: ${raw}. Expected one of: ${levels.join(', ')}`);
}
