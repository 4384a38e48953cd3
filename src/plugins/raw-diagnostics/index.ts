import { homedir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, redactCut, redactHeaders, redactUrl, Stage, stableHash, statePaths, truncate, type Exchange, type ExchangeSummary } from '../../index.js';
import { eventLine } from './event.js';
import { parseLevel, schema, type RawDiagnosticsOptions } from './schema.js';
import { requestSnapshot, responseSnapshot } from './snapshot.js';
import { acquireWriter, releaseWriter, type JsonlWriter } from './writer.js';

export type { RawDiagnosticsOptions, RawLogLevel } from './schema.js';

/** Per-exchange diagnostics state. */
interface DiagState {
  inboundLogged: boolean;
  contentType: string | undefined;
  chunks: Buffer[];
  captured: number;
}

const STATE = Symbol('raw-diagnostics');
const CODEX_HEADERS = ['x-client-request-id', 'x-codex-parent-thread-id', 'x-codex-sandbox', 'x-codex-window-id', 'x-openai-subagent'];
const TERMINAL: Record<ExchangeSummary['outcome'], [kind: string, source: string]> = {
  completed: ['upstream_stream_completed', 'stream_completed'],
  cut: ['upstream_stream_error', 'stream_error'],
  aborted: ['upstream_stream_dropped', 'stream_dropped'],
  error: ['exchange_error', 'error'],
};

function stateOf(ex: Exchange): DiagState {
  let state = ex.state.get(STATE) as DiagState | undefined;
  if (!state) {
    state = { inboundLogged: false, contentType: undefined, chunks: [], captured: 0 };
    ex.state.set(STATE, state);
  }
  return state;
}

const target = (ex: Exchange) => (ex.inbound.route === 'models' ? 'Models' : 'Responses');
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

function resolveFile(file: string): string {
  return file === '~' || file.startsWith('~/') ? join(homedir(), file.slice(1)) : file;
}

/**
 * Raw JSONL diagnostics of each exchange (metadata, or content snapshots), redacted by key, header name and
 * secret-shaped value at every level, written off the request path.
 */
export default definePlugin<RawDiagnosticsOptions>({
  name: 'raw-diagnostics',
  schema,
  env: {
    level: { name: 'CODEX_CODE_ROUTER_RAW_LOG_LEVEL', parse: parseLevel },
    file: 'CODEX_CODE_ROUTER_RAW_LOG_FILE',
    maxEventBytes: 'CODEX_CODE_ROUTER_RAW_LOG_MAX_BYTES',
    contentMaxBytes: 'CODEX_CODE_ROUTER_RAW_LOG_CONTENT_MAX_BYTES',
  },
  apply({ hooks, log, env }, o) {
    if (o.level === 'off') return;
    const content = o.level === 'content_redacted' || o.level === 'full_content' ? o.level : undefined;
    const file = o.file ? resolveFile(o.file) : join(statePaths(env).rawDir, 'diagnostics.jsonl');
    const writer: JsonlWriter = acquireWriter(file, { queueMax: o.queueMax, rotateBytes: o.rotateBytes, maxFiles: o.maxFiles, log });
    const emit = (kind: string, fields: Record<string, unknown>) => writer.write(eventLine(kind, fields, o.maxEventBytes));

    hooks.startup.tapPromise('raw-diagnostics', async () => {
      log.warn({ level: o.level }, 'raw diagnostics are enabled; logs may reveal request/tool context');
      if (content) log.warn('content-level raw diagnostics are enabled; keep this mode temporary and treat logs as sensitive');
      await writer.open().catch((err: Error) => log.warn({ err: err.message }, 'raw diagnostics file cannot be opened; events will be lost until it can'));
    });
    hooks.shutdown.tapPromise('raw-diagnostics', () => releaseWriter(writer));
    hooks.health.tap('raw-diagnostics', (report) => {
      report.checks['raw-diagnostics'] = { ok: writer.stats.failures === 0, level: o.level, written: writer.stats.written, dropped: writer.stats.dropped, failures: writer.stats.failures };
    });

    const inbound = (ex: Exchange) => {
      const state = stateOf(ex);
      if (state.inboundLogged) return;
      state.inboundLogged = true;
      const h = ex.inbound.headers;
      emit('inbound_request', {
        local_id: ex.id,
        provider: ex.provider,
        method: ex.inbound.method,
        target: target(ex),
        path: ex.inbound.path,
        body_len: ex.inbound.body.length,
        content_type: h['content-type'] === undefined ? null : truncate(h['content-type'], 96),
        accept: h.accept === undefined ? null : truncate(h.accept, 96),
        forwarded_codex_headers: CODEX_HEADERS.filter((name) => h[name] !== undefined),
      });
      if (content && ex.inbound.route === 'responses') {
        let parsed: unknown;
        try {
          parsed = ex.inbound.json();
        } catch {
          parsed = undefined;
        }
        emit('inbound_request_content', { local_id: ex.id, target: target(ex), snapshot: requestSnapshot(ex.inbound.body, parsed, content, o.contentMaxBytes) });
      }
    };

    hooks.request.tap({ name: 'raw-diagnostics', stage: Stage.Guard, observer: true }, (ex) => {
      inbound(ex);
      return undefined;
    });

    hooks.attempt.tap({ name: 'raw-diagnostics', stage: Stage.Observe, observer: true }, (ex) => {
      const up = ex.upstream;
      emit('upstream_attempt', {
        local_id: ex.id,
        target: target(ex),
        attempt: ex.attempt,
        upstream_url: up.url ? redactUrl(up.url) : null,
        method: up.method,
        body_len: up.body?.length ?? 0,
        upstream_request_id: up.headers['x-request-id'] === undefined ? null : stableHash(up.headers['x-request-id']),
        upstream_headers: redactHeaders(up.headers),
        auth_source: ex.credential?.source ?? null,
        replay: ex.replay ? { reason: redactCut(ex.replay.reason, 512), after_ms: ex.replay.afterMs, refresh_credentials: ex.replay.refreshCredentials } : null,
      });
    });

    hooks.upstreamResponse.tap({ name: 'raw-diagnostics', stage: Stage.Guard, observer: true }, (ex, response) => {
      const state = stateOf(ex);
      state.contentType = first(response.headers['content-type']);
      const length = first(response.headers['content-length']);
      emit('upstream_response', {
        local_id: ex.id,
        target: target(ex),
        attempt: ex.attempt,
        status: response.status,
        content_type: state.contentType ?? null,
        content_length: length === undefined ? null : Number(length),
        elapsed_ms: response.elapsedMs,
        upstream_request_id: first(response.headers['x-request-id']) === undefined ? null : stableHash(first(response.headers['x-request-id'])!),
        headers: redactHeaders(response.headers),
      });
      if (content && length !== undefined) emit('upstream_response_content_hint', { local_id: ex.id, target: target(ex), status: response.status, content_length: Number(length) });
      return undefined;
    });

    if (content) {
      hooks.responseBytes.tap('raw-diagnostics', (chunk, ex) => {
        const state = stateOf(ex);
        if (state.captured >= o.contentMaxBytes) return;
        const part = chunk.subarray(0, o.contentMaxBytes - state.captured);
        state.chunks.push(Buffer.from(part));
        state.captured += part.length;
      });
    }

    hooks.exchangeEnd.tap({ name: 'raw-diagnostics', stage: Stage.Observe }, (ex, summary) => {
      inbound(ex);
      const [kind, source] = TERMINAL[summary.outcome];
      emit(kind, {
        local_id: ex.id,
        target: target(ex),
        status: summary.status,
        upstream_status: summary.upstreamStatus ?? null,
        attempt_count: summary.attempts,
        chunk_count: summary.chunksOut,
        byte_count: summary.bytesOut,
        elapsed_ms: summary.durationMs,
        first_byte_ms: summary.firstByteMs ?? null,
        outcome: summary.outcome,
        error_code: summary.error?.code ?? null,
        error_type: summary.error?.type ?? null,
        error: summary.error ? redactCut(summary.error.message, 256) : null,
      });
      if (content) {
        const state = stateOf(ex);
        emit('upstream_response_content', {
          local_id: ex.id,
          target: target(ex),
          status: summary.status,
          source,
          snapshot: responseSnapshot(Buffer.concat(state.chunks), summary.bytesOut, state.contentType, content),
        });
      }
    });
  },
});
