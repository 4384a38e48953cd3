import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ExchangeAbort } from './abort.js';

describe('ExchangeAbort', () => {
  it('a signal asked for before the abort is aborted with it, with the same reason', () => {
    const abort = new ExchangeAbort();
    const signal = abort.signal;
    const reason = new Error('client went away');
    abort.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });

  it('a signal asked for after the abort is born aborted, so a sleep on it ends at once', async () => {
    const abort = new ExchangeAbort();
    const reason = new Error('client went away');
    abort.abort(reason);
    abort.abort(new Error('a later reason is ignored'));
    expect(abort.signal.aborted).toBe(true);
    expect(abort.signal.reason).toBe(reason);
    await expect(sleep(10_000, undefined, { signal: abort.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('tells its listeners once, however often it is aborted', () => {
    const abort = new ExchangeAbort();
    let told = 0;
    abort.on('abort', () => (told += 1));
    abort.abort();
    abort.abort();
    expect(told).toBe(1);
    expect(abort.aborted).toBe(true);
  });
});
