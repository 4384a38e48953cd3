import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin } from '../../src/index.js';
import { startRouter } from '../support/router.js';
import { activeHandles, eventMode, eventTypes, faultMix, faultRouting, judge, MIX_LIMITS, outcomes, send, sendEntry, settle, startFaultUpstream, type FaultUpstream } from './support.js';

// 1,000 concurrent requests with a mix of upstream faults (refused, reset, silent, garbage, huge, a line without end,
// a stream without end), client faults (a web page's GET, two Host headers or none, CONNECT, a body over the limit
// or stalled, JSON 50,000 deep) and clients that hang up at random points, through a byte-passthrough and an
// event-mode chain: every client gets an answer Codex can act on, the gateway settles to nothing in flight, and
// closing it leaves no timer or socket behind. Each run reports what the clients saw and the event loop's delay.

/** An observer that reads every body whole, as diagnostics do: JSON nested 50,000 deep overflows its stack. */
const jsonObserver = definePlugin({
  name: 'json-observer',
  apply: ({ hooks }) =>
    void hooks.request.tap({ name: 'json-observer', observer: true }, (ex) => {
      JSON.stringify(ex.inbound.json());
      return undefined;
    }),
});

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
let upstream: FaultUpstream;

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  upstream = await startFaultUpstream();
});

afterAll(async () => {
  await upstream?.close();
  process.off('unhandledRejection', onUnhandled);
});

describe.each([
  ['bytes', []],
  ['events', [eventMode]],
] as const)('1,000 concurrent faulty requests (%s)', (mode, extra) => {
  it('every client gets a well-formed answer, nothing stays in flight, nothing leaks', async () => {
    const before = activeHandles();
    const gw = await startRouter({ plugins: [faultRouting(upstream), jsonObserver, ...extra], ...MIX_LIMITS });
    const mix = faultMix(1_000, mode === 'bytes' ? 7 : 11);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const seen = await Promise.all(mix.map((m) => sendEntry(gw.url, m, 25_000)));
    delay.disable();
    // The loop is shared with the fault upstream and the 1,000 clients: this is an upper bound of the gateway's share.
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    console.log(`1,000 faulty requests (${mode}): ${JSON.stringify(outcomes(seen))}; event-loop delay p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms`);

    const problems = seen.map((s, i) => ({ fault: mix[i]!.client ?? mix[i]!.fault, problem: judge(mix[i]!.fault, mode, s, mix[i]!.client) })).filter((p) => p.problem);
    expect(problems.slice(0, 10)).toEqual([]);
    expect(seen.filter((s) => s.status === 200 && !s.cut && eventTypes(s.body).at(-1) === 'response.completed').length).toBeGreaterThan(300);
    expect(await settle(gw.url)).toBe(0);

    const after = await send(`${gw.url}/v1/responses?fault=ok`);
    expect(eventTypes(after.body).at(-1)).toBe('response.completed');

    await gw.close();
    expect(unhandled).toEqual([]);
    // Sockets closing and timers clearing take a tick or two after close().
    await new Promise((r) => setTimeout(r, 100));
    const left = activeHandles();
    for (const kind of ['Timeout', 'TCPSocketWrap', 'TCPServerWrap']) expect(`${kind}: ${left[kind] ?? 0}`).toBe(`${kind}: ${Math.min(left[kind] ?? 0, before[kind] ?? 0)}`);
  }, 60_000);
});

describe('clients that hang up', () => {
  it('at random points of a slow, a huge and a silent answer leave nothing in flight', async () => {
    const gw = await startRouter({ plugins: [faultRouting(upstream), eventMode], upstream: { headersTimeoutMs: 5_000, idleTimeoutMs: 5_000 } });
    const faults = ['slow-ok', 'huge-body', 'never-answer', 'stall-mid-stream'] as const;
    const runs = Array.from({ length: 80 }, (_, i) => ({ fault: faults[i % faults.length]!, abortAfterMs: (i * 7) % 90 }));
    const seen = await Promise.all(runs.map((r) => send(`${gw.url}/v1/responses?fault=${r.fault}`, r)));
    expect(seen.filter((s) => s.hung)).toEqual([]);
    // The upstream never answers and stalls for 5 s: a hang-up must cancel those upstream calls at once.
    expect(await settle(gw.url, 2_000)).toBe(0);
    await gw.close();
    expect(unhandled).toEqual([]);
  });

  it('while the body is still being sent', async () => {
    const gw = await startRouter({ plugins: [faultRouting(upstream)] });
    const { request } = await import('node:http');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new Promise<void>((resolve) => {
          const req = request(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100000' }, agent: false });
          req.on('error', () => resolve());
          req.on('close', () => resolve());
          req.write('{"model":"m","input":"' + 'x'.repeat(i * 100));
          setTimeout(() => req.destroy(), 5 + i);
        }),
      ),
    );
    expect(await settle(gw.url, 2_000)).toBe(0);
    expect(eventTypes((await send(`${gw.url}/v1/responses?fault=ok`)).body).at(-1)).toBe('response.completed');
    await gw.close();
    expect(unhandled).toEqual([]);
  });
});
