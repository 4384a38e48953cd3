import { Pool } from 'undici';
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { errors, type GatewayError } from './errors.js';
import type { UpstreamRequest } from './types.js';

export interface UpstreamTimeouts {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
}

export interface RawUpstreamResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Readable;
}

/**
 * Response headers that never travel on: those that describe one hop only (RFC 9110 §7.6.1), and `set-cookie`,
 * an upstream's session cookie, which has no use for Codex and is a credential of its own.
 */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection', 'set-cookie']);

/**
 * One keep-alive pool per upstream origin, shared by all calls of a chain. undici's `request` never decompresses,
 * so `content-encoding` and the bytes pass through as sent; redirects are not followed, so a bearer token is never
 * replayed to another host. Pools are kept by origin here rather than through undici's `Agent`: a chain talks to
 * one or two origins, and dispatching to the pool directly is measurably cheaper per request (docs/performance.md).
 */
export function createUpstreamClient(timeouts: UpstreamTimeouts) {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connect: { timeout: timeouts.connectTimeoutMs },
        headersTimeout: timeouts.headersTimeoutMs,
        // undici's bodyTimeout is the longest gap between two body chunks: an idle timeout, not a total one.
        bodyTimeout: timeouts.idleTimeoutMs,
        keepAliveTimeout: 30_000,
      });
      pools.set(origin, pool);
    }
    return pool;
  };

  async function send(req: UpstreamRequest, url: URL, signal: AbortSignal | EventEmitter): Promise<RawUpstreamResponse> {
    try {
      const res = await poolFor(url.origin).request({
        path: url.pathname + url.search,
        method: req.method,
        headers: req.headers,
        body: req.method === 'GET' ? undefined : req.body,
        signal,
      });
      return { status: res.statusCode, headers: res.headers as Record<string, string | string[]>, body: res.body };
    } catch (err) {
      throw classifyUpstreamError(err, 'before-headers');
    }
  }

  const all = () => [...pools.values()];
  return {
    send,
    close: async () => void (await Promise.all(all().map((pool) => pool.close()))),
    destroy: async () => void (await Promise.all(all().map((pool) => pool.destroy()))),
  };
}

export type UpstreamClient = ReturnType<typeof createUpstreamClient>;

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'ETIMEDOUT']);

/** Maps a network failure to what Codex understands: 504 for timeouts, 502 otherwise (codex-contract §3.4). */
export function classifyUpstreamError(err: unknown, phase: 'before-headers' | 'body'): GatewayError {
  const code = (err as { code?: string } | null)?.code ?? '';
  if (phase === 'body') return errors.upstreamCut(err);
  if (TIMEOUT_CODES.has(code)) return errors.upstreamTimeout(err);
  return errors.upstreamUnreachable(err);
}

/** Reads at most `maxBytes` of a body; more is an error (`tooLarge` gets what was read), and the rest is discarded. */
export async function readLimited(body: Readable, maxBytes: number, tooLarge?: (read: Buffer) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > maxBytes) {
        tooLarge?.(Buffer.concat(chunks));
        body.destroy();
        throw errors.bodyTooLarge(maxBytes);
      }
      chunks.push(buf);
    }
  } catch (err) {
    if ((err as GatewayError).code === 'upstream_body_too_large') throw err;
    throw classifyUpstreamError(err, 'body');
  }
  return Buffer.concat(chunks, total);
}

/** Copies upstream headers for Codex, minus hop-by-hop ones, `set-cookie`, and any in `drop`. */
export function forwardableHeaders(headers: Record<string, string | string[]>, drop: readonly string[] = []): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (NOT_FORWARDED.has(lower) || drop.includes(lower)) continue;
    out[lower] = headers[name]!;
  }
  return out;
}
