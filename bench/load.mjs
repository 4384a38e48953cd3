// Load driving with undici: one keep-alive pool per target, closed loops bounded by time and count.
import { Pool } from 'undici';

export function createClient(origin, connections) {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
}

const COMPLETED = Buffer.from('response.completed');

/**
 * One request: status, time to the first body byte, total time, bytes and SSE events received, and whether the
 * answer ended in `response.completed`.
 */
export async function sendOnce(client, path, body) {
  const started = performance.now();
  let firstByteMs;
  let bytes = 0;
  let events = 0;
  let completed = false;
  let carry = Buffer.alloc(0);
  try {
    const res = await client.request({ path, method: 'POST', body, headers: { 'content-type': 'application/json', accept: 'text/event-stream' } });
    for await (const chunk of res.body) {
      firstByteMs ??= performance.now() - started;
      bytes += chunk.length;
      for (let at = chunk.indexOf('\n\n'); at !== -1; at = chunk.indexOf('\n\n', at + 2)) events += 1;
      // The terminal event may be large (it repeats the whole output), so look for its name anywhere, across chunks.
      if (!completed) completed = Buffer.concat([carry, chunk.subarray(0, 64)]).includes(COMPLETED) || chunk.includes(COMPLETED);
      carry = chunk.subarray(-32);
    }
    const ok = res.statusCode === 200 && completed;
    return { ok, status: res.statusCode, totalMs: performance.now() - started, firstByteMs, bytes, events };
  } catch (err) {
    return { ok: false, status: 0, totalMs: performance.now() - started, firstByteMs, bytes, events, error: err.code ?? err.message };
  }
}

/**
 * `concurrency` workers send back to back until `durationMs` or `maxRequests`; returns every result. `body` is the
 * body, or a function of the request's number that makes it (before its clock starts).
 */
export async function closedLoop(client, path, body, { concurrency, durationMs, maxRequests = Infinity }) {
  const results = [];
  const until = performance.now() + durationMs;
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until && started < maxRequests) {
        started += 1;
        results.push(await sendOnce(client, path, typeof body === 'function' ? body(started) : body));
      }
    }),
  );
  return { results, elapsedMs: performance.now() - t0 };
}

/** Each of `sessions` (lists of bodies) sent in order, one request in flight per session, all sessions at once. */
export async function sessionsLoop(client, path, sessions) {
  const results = [];
  const t0 = performance.now();
  await Promise.all(sessions.map(async (turns) => {
    for (const body of turns) results.push(await sendOnce(client, path, body));
  }));
  return { results, elapsedMs: performance.now() - t0 };
}

/** All at once: `count` requests started together. */
export async function burst(client, path, body, count) {
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: count }, () => sendOnce(client, path, body)));
  return { results, elapsedMs: performance.now() - t0 };
}
