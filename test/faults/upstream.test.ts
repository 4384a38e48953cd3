import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type StartedRouter } from '../support/router.js';
import { errorOf, eventMode, eventTypes, faultRouting, HUGE_BYTES, keepAliveMode, send, startFaultUpstream, type Fault, type FaultUpstream } from './support.js';

// Each upstream fault, through a byte-passthrough chain and through an event-mode chain (as translating chains
// are): what Codex receives must be a complete stream, a JSON error, a terminal `response.failed` event, or (for a
// byte stream cut mid-way) a closed connection, never a hang.

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
let upstream: FaultUpstream;
let bytes: StartedRouter;
let events: StartedRouter;
let early: StartedRouter;
const timeouts = { headersTimeoutMs: 300, idleTimeoutMs: 300 };

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  upstream = await startFaultUpstream();
  bytes = await startRouter({ plugins: [faultRouting(upstream)], upstream: timeouts });
  events = await startRouter({ plugins: [faultRouting(upstream), eventMode], upstream: timeouts });
  early = await startRouter({ plugins: [faultRouting(upstream), eventMode, keepAliveMode], upstream: timeouts });
});

afterAll(async () => {
  await Promise.all([bytes?.close(), events?.close(), early?.close()]);
  await upstream?.close();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

const call = (gw: StartedRouter, fault: Fault) => send(`${gw.url}/v1/responses?fault=${fault}`);

function expectError(seen: Awaited<ReturnType<typeof send>>, status: number, code: string) {
  expect(seen.hung).toBe(false);
  expect(seen.status).toBe(status);
  expect(String(seen.headers['content-type'])).toMatch(/^application\/json/);
  expect(errorOf(seen.body)).toMatchObject({ code });
}

function expectFailedEvent(seen: Awaited<ReturnType<typeof send>>, code: string) {
  expect(seen.hung).toBe(false);
  expect(seen.status).toBe(200);
  expect(seen.cut).toBe(false);
  expect(eventTypes(seen.body).at(-1)).toBe('response.failed');
  const last = seen.body.toString('utf8').trim().split('\n').at(-1)!.replace(/^data: /, '');
  expect(JSON.parse(last)).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code } } });
}

describe.each([
  ['byte passthrough', () => bytes],
  ['event mode', () => events],
])('upstream faults through %s', (mode, gateway) => {
  it('a healthy stream arrives whole, ending in response.completed', async () => {
    const seen = await call(gateway(), 'slow-ok');
    expect(seen).toMatchObject({ status: 200, cut: false, hung: false });
    expect(eventTypes(seen.body).at(-1)).toBe('response.completed');
  });

  it('a refused connection is a 502 upstream_unreachable JSON error', async () => {
    expectError(await call(gateway(), 'refuse'), 502, 'upstream_unreachable');
  });

  it('an upstream that never answers is a 504 upstream_timeout JSON error after headersTimeoutMs', async () => {
    expectError(await call(gateway(), 'never-answer'), 504, 'upstream_timeout');
  });

  it('non-HTTP bytes from the upstream are a 502 JSON error', async () => {
    expectError(await call(gateway(), 'garbage-bytes'), 502, 'upstream_unreachable');
  });

  it('an upstream error status and body pass through', async () => {
    const seen = await call(gateway(), 'error-json');
    expectError(seen, 429, 'rate_limited');
    expect(seen.headers['retry-after']).toBe('1');
  });

  it('a non-JSON 200 that is not an event stream passes through as bytes', async () => {
    const seen = await call(gateway(), 'non-json-200');
    expect(seen).toMatchObject({ status: 200, cut: false, hung: false });
    expect(seen.body.toString()).toBe('<html>surprise</html>');
  });

  it(`a ${HUGE_BYTES / 1024 / 1024} MiB stream arrives whole`, async () => {
    const seen = await call(gateway(), 'huge-body');
    expect(seen).toMatchObject({ status: 200, cut: false, hung: false });
    expect(seen.body.length).toBeGreaterThan(HUGE_BYTES);
    expect(eventTypes(seen.body).at(-1)).toBe('response.completed');
  });

  if (mode === 'byte passthrough') {
    it('an event stream passes byte for byte: upstream content-type and comment lines kept', async () => {
      const seen = await call(gateway(), 'invalid-sse');
      expect(seen).toMatchObject({ status: 200, cut: false });
      expect(seen.headers['content-type']).toBe('text/event-stream');
      expect(seen.body.toString('latin1')).toContain('data {"no colon"');
    });

    it('a reset mid-stream closes the client connection (Codex retries a cut stream)', async () => {
      const seen = await call(gateway(), 'reset-mid-stream');
      expect(seen).toMatchObject({ status: 200, cut: true, hung: false });
      expect(eventTypes(seen.body)).not.toContain('response.completed');
    });

    it('an upstream that stalls mid-stream is cut after idleTimeoutMs', async () => {
      expect(await call(gateway(), 'stall-mid-stream')).toMatchObject({ status: 200, cut: true, hung: false });
    });
  } else {
    it('a reset mid-stream ends the stream with response.failed upstream_stream_error', async () => {
      expectFailedEvent(await call(gateway(), 'reset-mid-stream'), 'upstream_stream_error');
    });

    it('an upstream that stalls mid-stream ends with response.failed after idleTimeoutMs', async () => {
      expectFailedEvent(await call(gateway(), 'stall-mid-stream'), 'upstream_stream_error');
    });

    it('invalid SSE ends the stream cleanly (the kernel adds no terminal event of its own on EOF)', async () => {
      const seen = await call(gateway(), 'invalid-sse');
      expect(seen).toMatchObject({ status: 200, cut: false, hung: false });
      expect(String(seen.headers['content-type'])).toMatch(/^text\/event-stream/);
    });
  }
});

describe('upstream faults after an early keep-alive commit', () => {
  it('a header timeout after the stream was committed arrives as response.failed upstream_timeout', async () => {
    const seen = await call(early, 'never-answer');
    expectFailedEvent(seen, 'upstream_timeout');
    expect(eventTypes(seen.body)).toContain('codex.keepalive');
  });

  it('a healthy but slow upstream still ends in response.completed', async () => {
    const seen = await call(early, 'slow-ok');
    expect(seen).toMatchObject({ status: 200, cut: false, hung: false });
    expect(eventTypes(seen.body).at(-1)).toBe('response.completed');
  });
});
