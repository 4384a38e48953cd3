import { setTimeout as sleep } from 'node:timers/promises';
import { codexStreams, upstreamCodexFailure } from './codex-failure.js';
import { errors, GatewayError, toGatewayError } from './errors.js';
import { collectSecrets } from './scrub.js';
import type { KernelExchange } from './exchange.js';
import { hasTaps, type Hooks } from './hooks.js';
import type { Responder } from './respond.js';
import { readLimited, type RawUpstreamResponse, type UpstreamClient } from './upstream.js';
import type { Credential, UpstreamResponse, Verdict } from './types.js';

export interface PipelineContext {
  hooks: Hooks;
  upstream: UpstreamClient;
  maxAttempts: number;
  /** Counters the process reports on its status endpoint. */
  stats: { replays: number };
}

/** Largest upstream body a plugin may read whole with `readBody()` by default. */
const DEFAULT_READ_LIMIT = 1024 * 1024;
/** Largest upstream error body forwarded; a larger one becomes a JSON error with its start. */
const ERROR_FORWARD_LIMIT = 1024 * 1024;
/** How much of an error body too large to forward is quoted in the error that replaces it. */
const QUOTED_CHARS = 500;

/**
 * Runs one exchange: request hooks, then the attempt loop (authorize, attempt, send, upstreamResponse),
 * then hands the chosen response to the responder. The kernel owns the loop, its cap, its sleeps and
 * their cancellation; plugins only return verdicts.
 */
export async function runExchange(ctx: PipelineContext, ex: KernelExchange, out: Responder): Promise<number | undefined> {
  const { hooks } = ctx;
  let upstreamStatus: number | undefined;
  try {
    const local = hasTaps(hooks.request) ? await hooks.request.promise(ex) : undefined;
    if (local) {
      await out.reply(local);
      return undefined;
    }
    const url = ex.upstream.url;
    if (!url) throw errors.noUpstream(ex.provider, ex.inbound.path);
    if (ex.keepAlive) out.armKeepAlive(ex.keepAlive);

    for (;;) {
      ex.attempt += 1;
      if (ex.attempt === 1 || ex.replay?.refreshCredentials) await authorize(hooks, ex, ex.attempt > 1);
      if (hasTaps(hooks.attempt)) await hooks.attempt.promise(ex);
      const target = ex.upstream.url ?? url;
      const sentAt = Date.now();
      let raw: RawUpstreamResponse;
      collectSecrets(ex.upstream.headers, ex.sentSecrets);
      try {
        raw = await ctx.upstream.send(ex.upstream, target, ex.abort);
      } catch (err) {
        if (ex.abort.aborted) throw err;
        const failed = toGatewayError(err);
        const retry = hasTaps(hooks.upstreamError) ? await hooks.upstreamError.promise(ex, failed) : undefined;
        if (retry && 'replay' in retry && ex.attempt < ctx.maxAttempts) {
          await replay(ctx, ex, retry.replay, undefined);
          continue;
        }
        throw failed;
      }
      upstreamStatus = raw.status;
      const head = new UpstreamHead(raw, target, sentAt);
      const verdict: Verdict | undefined = hasTaps(hooks.upstreamResponse) ? await hooks.upstreamResponse.promise(ex, head) : undefined;
      raw.headers = head.headers;

      if (verdict && 'replay' in verdict) {
        if (ex.attempt >= ctx.maxAttempts) {
          ex.log.warn({ attempts: ex.attempt, reason: verdict.replay.reason }, 'attempt cap reached; passing the last upstream response on');
        } else {
          discard(raw, head.cached);
          await replay(ctx, ex, verdict.replay, upstreamStatus);
          continue;
        }
      }
      if (verdict && 'reply' in verdict) {
        discard(raw, head.cached);
        await out.reply(verdict.reply);
        return upstreamStatus;
      }
      if (verdict && 'fail' in verdict) {
        discard(raw, head.cached);
        throw verdict.fail;
      }
      // An error answer is read whole (bounded) so the responder can scrub it before Codex sees it.
      if (raw.status >= 400 && head.cached === undefined && !head.bodyUsed) await head.readBody(ERROR_FORWARD_LIMIT).catch(() => undefined);
      const unread = head.failure;
      if (unread) throw unreadableAnswer(raw, unread);
      // An upstream error Codex maps in-stream goes the error path, where it becomes a `response.failed`.
      const mapped = raw.status >= 400 && codexStreams(ex) ? await upstreamCodexFailure(head) : undefined;
      if (mapped) {
        discard(raw, head.cached);
        throw mapped;
      }
      await out.forward(raw, head.cached);
      return upstreamStatus;
    }
  } catch (err) {
    // After Codex went away the responder only records the abort; nothing is written.
    await out.fail(toGatewayError(err));
    return upstreamStatus;
  }
}

/** Logs, counts and waits out a replay (the sleep ends early if Codex goes away), then marks the next attempt. */
async function replay(ctx: PipelineContext, ex: KernelExchange, asked: { afterMs?: number; reason: string; refreshCredentials?: boolean }, upstreamStatus: number | undefined): Promise<void> {
  const afterMs = Math.max(0, asked.afterMs ?? 0);
  ex.log.info({ attempt: ex.attempt, reason: asked.reason, afterMs, upstreamStatus }, 'replaying request');
  ctx.stats.replays += 1;
  if (afterMs > 0) await sleep(afterMs, undefined, { signal: ex.signal });
  ex.replay = { reason: asked.reason, afterMs, refreshCredentials: asked.refreshCredentials ?? false };
}

async function authorize(hooks: Hooks, ex: KernelExchange, force: boolean): Promise<void> {
  if (!hasTaps(hooks.authorize)) return;
  const failures: GatewayError[] = [];
  const credential: Credential | undefined = await hooks.authorize.promise(ex, { force, failures });
  if (!credential) {
    if (failures[0]) throw failures[0];
    return;
  }
  ex.upstream.headers.authorization = credential.authorization;
  ex.credential = { source: credential.source, refreshable: credential.refreshable, expiresAt: credential.expiresAt };
}

/** The upstream answer as plugins see it; its body is read whole only if a plugin asks. */
class UpstreamHead implements UpstreamResponse {
  readonly status: number;
  headers: Record<string, string | string[]>;
  readonly url: URL;
  readonly elapsedMs: number;
  #raw: RawUpstreamResponse;
  #reading: Promise<Buffer> | undefined;
  #body: Buffer | undefined;
  #read: Buffer | undefined;
  #failure: { error: GatewayError; read: Buffer | undefined } | undefined;

  constructor(raw: RawUpstreamResponse, url: URL, sentAt: number) {
    this.status = raw.status;
    this.headers = raw.headers;
    this.url = url;
    this.elapsedMs = Date.now() - sentAt;
    this.#raw = raw;
  }

  get bodyUsed(): boolean {
    return this.#reading !== undefined;
  }

  readBody(maxBytes = DEFAULT_READ_LIMIT): Promise<Buffer> {
    this.#reading ??= readLimited(this.#raw.body, maxBytes, (read) => (this.#read = read)).then(
      (buf) => (this.#body = buf),
      (err: unknown) => {
        this.#failure = { error: toGatewayError(err), read: this.#read };
        throw err;
      },
    );
    return this.#reading;
  }

  /** The body, once a plugin has read it. */
  get cached(): Buffer | undefined {
    return this.#body;
  }

  /** Why reading the body failed, with what was read before the limit; the body is gone then. */
  get failure(): { error: GatewayError; read: Buffer | undefined } | undefined {
    return this.#failure;
  }
}

/**
 * What Codex gets when a plugin's read of the upstream answer failed, since the body can no longer be forwarded:
 * for an error answer too large to read, the upstream's status with a JSON error quoting its start (scrubbed like any
 * error text); for a body that broke, the transport error (502); for a success answer too large, the size error.
 */
function unreadableAnswer(raw: RawUpstreamResponse, unread: { error: GatewayError; read: Buffer | undefined }): GatewayError {
  if (unread.error.code !== 'upstream_body_too_large' || raw.status < 400) return unread.error;
  const start = (unread.read ?? Buffer.alloc(0)).toString('utf8', 0, QUOTED_CHARS * 4).slice(0, QUOTED_CHARS).trim();
  const retryAfter = headerValue(raw.headers['retry-after']);
  return new GatewayError({
    status: raw.status,
    type: raw.status < 500 ? 'invalid_request_error' : 'server_error',
    code: 'upstream_error_too_large',
    message: `upstream HTTP ${raw.status} with an error body too large to forward (${unread.error.message.replace(/^upstream body is /, '')})${start ? `; it begins: ${start}…` : ''}`,
    expose: true,
    headers: retryAfter ? { 'retry-after': retryAfter } : undefined,
    details: { upstream_status: raw.status },
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function discard(raw: RawUpstreamResponse, cached: Buffer | undefined): void {
  if (cached === undefined) raw.body.resume().on('error', () => {});
}
