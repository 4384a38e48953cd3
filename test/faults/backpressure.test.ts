import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type StartedRouter } from '../support/router.js';
import { eventMode, faultRouting, HUGE_BYTES, startFaultUpstream, type FaultUpstream } from './support.js';

// A huge answer to a client that reads slowly makes the gateway wait for 'drain' many times. Each wait must clean
// up after itself: a listener left on the response per wait is a leak that grows with the answer's size.

let upstream: FaultUpstream;
const gateways: StartedRouter[] = [];
beforeAll(async () => {
  upstream = await startFaultUpstream();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await upstream?.close();
});

/** Reads a response slowly (a pause every chunk) and returns its size. */
function slowRead(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        res.pause();
        setTimeout(() => res.resume(), 1);
      });
      res.on('end', () => resolve(size));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe.each([
  ['bytes', []],
  ['events', [eventMode]],
] as const)('a huge answer to a slow reader (%s)', (_mode, extra) => {
  // Regression: waiting for drain once left a close listener behind per wait (MaxListenersExceededWarning);
  // respond.ts now removes the losing listener.
  it('arrives whole without piling listeners on the response (no MaxListenersExceededWarning)', async () => {
    const gw = await startRouter({ plugins: [faultRouting(upstream), ...extra] });
    gateways.push(gw);
    const warnings: string[] = [];
    const onWarning = (w: Error) => void (w.name === 'MaxListenersExceededWarning' && warnings.push(w.message));
    process.on('warning', onWarning);
    try {
      expect(await slowRead(`${gw.url}/v1/responses?fault=huge-body`)).toBeGreaterThan(HUGE_BYTES);
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });
});
