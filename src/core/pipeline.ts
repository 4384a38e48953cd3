import { setTimeout as sleep } from 'node:timers/promises';
import { codexStreams, upstreamCodexFailure } from './codex-failure.js';
import { errors, toGatewayError, type GatewayError } from './errors.js';
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
    this.#reading ??= readLimited(this.#raw.body, maxBytes).then((buf) => (this.#body = buf));
    return this.#reading;
  }

  /** The body, once a plugin has read it. */
  get cached(): Buffer | undefined {
    return this.#body;
  }
}

function discard(raw: RawUpstreamResponse, cached: Buffer | undefined): void {
  if (cached === undefined) raw.body.resume().on('error', () => {});
}
