import { existsSync, mkdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { tempDir } from '../testing/temp.js';
import { ResponseStore } from './store.js';

const log = createLogger({ level: 'silent', pretty: false });
const bounds = { maxResponses: 100, maxBytes: 10_000_000, maxAgeMs: 86_400_000 };

function response(id: string, text: string) {
  return { id, object: 'response', status: 'completed', output: [{ id: `msg_${id}`, type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }] };
}

/** A request kept, then its response: as a translated exchange does it. */
function turn(store: ResponseStore, id: string, input: string, previous?: string) {
  const { keep } = store.expand('c', { model: 'm', input, ...(previous ? { previous_response_id: previous } : {}) });
  store.keep(keep!, response(id, `answer to ${input}`));
  store.flush();
}

describe('response store', () => {
  it('chains conversations in order and resolves item references, across a reopen', () => {
    const file = join(tempDir(), 'r', 'responses.db');
    let store = ResponseStore.open(file, bounds, log);
    turn(store, 'resp_1', 'one');
    turn(store, 'resp_2', 'two', 'resp_1');
    store.close();
    store = ResponseStore.open(file, bounds, log);
    const { body } = store.expand('c', { model: 'm', input: [{ type: 'item_reference', id: 'msg_resp_1' }, { role: 'user', content: 'three' }], previous_response_id: 'resp_2' });
    const texts = (body.input as { content: string | { text: string }[] }[]).map((i) => (typeof i.content === 'string' ? i.content : i.content[0]!.text));
    expect(texts).toEqual(['one', 'answer to one', 'two', 'answer to two', 'answer to one', 'three']);
    expect(body.previous_response_id).toBeUndefined();
    // Another chain sees none of it.
    expect(() => store.expand('other', { model: 'm', input: 'x', previous_response_id: 'resp_2' })).toThrow(/not found/);
    store.close();
  });

  it('evicts the oldest first by count, by bytes and by age', () => {
    const file = join(tempDir(), 'responses.db');
    const store = ResponseStore.open(file, { ...bounds, maxResponses: 3 }, log);
    for (let i = 1; i <= 5; i++) turn(store, `resp_${i}`, `n${i}`);
    expect(store.list({ limit: 10 }).map((r) => r.id)).toEqual(['resp_5', 'resp_4', 'resp_3']);
    store.close();

    const bytes = ResponseStore.open(join(tempDir(), 'responses.db'), { ...bounds, maxBytes: 1200 }, log);
    for (let i = 1; i <= 5; i++) turn(bytes, `resp_${i}`, 'x'.repeat(300));
    const kept = bytes.list({ limit: 10 });
    expect(kept[0]!.id).toBe('resp_5');
    expect(kept.reduce((n, r) => n + r.bytes, 0)).toBeLessThanOrEqual(1200);
    expect(kept.length).toBeLessThan(5);
    bytes.close();

    const aged = ResponseStore.open(join(tempDir(), 'responses.db'), { ...bounds, maxAgeMs: 60_000 }, log);
    turn(aged, 'resp_old', 'old');
    turn(aged, 'resp_new', 'new');
    expect(aged.prune(Date.now() + 30_000)).toBe(0);
    expect(aged.prune(Date.now() + 120_000)).toBe(2);
    aged.close();
  });

  it('an ancestor evicted makes a chained request fail clearly, never an empty conversation', () => {
    const store = ResponseStore.open(join(tempDir(), 'responses.db'), { ...bounds, maxResponses: 1 }, log);
    turn(store, 'resp_1', 'one');
    turn(store, 'resp_2', 'two', 'resp_1');
    expect(() => store.expand('c', { model: 'm', input: 'x', previous_response_id: 'resp_2' })).toThrow(/earlier response of its conversation \('resp_1'\)/);
    expect(() => store.expand('c', { model: 'm', input: 'x', previous_response_id: 'resp_1' })).toThrow(/Previous response with id 'resp_1' not found/);
    store.close();
  });

  it('keeps the write-ahead log small while reads and writes interleave', () => {
    const file = join(tempDir(), 'responses.db');
    const store = ResponseStore.open(file, bounds, log);
    turn(store, 'resp_0', 'start');
    for (let i = 1; i <= 400; i++) {
      turn(store, `resp_${i}`, 'y'.repeat(2000));
      store.get('c', `resp_${i}`);
    }
    // A read left mid-statement would pin the log: every write then appends to it and no checkpoint can reset it.
    expect(statSync(`${file}-wal`).size).toBeLessThan(3 * 1024 * 1024);
    store.close();
  });

  it('keeps the file 0600 in a 0700 folder', () => {
    const dir = join(tempDir(), 'responses');
    const store = ResponseStore.open(join(dir, 'responses.db'), bounds, log);
    turn(store, 'resp_1', 'secret');
    expect(statSync(join(dir, 'responses.db')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    store.close();
  });

  it('reports a corrupt file and leaves it as it is; store: false traffic needs nothing of it', () => {
    const file = join(tempDir(), 'responses.db');
    writeFileSync(file, 'not a database '.repeat(500));
    const store = ResponseStore.open(file, bounds, log);
    expect(store.problem?.reason).toBe('corrupt');
    expect(store.problem?.message).toMatch(/not a usable database/);
    expect(readFileSync(file, 'utf8').startsWith('not a database')).toBe(true);
    expect(store.wants({ model: 'm', input: 'x', store: false })).toBe(false);
    expect(() => store.expand('c', { model: 'm', input: 'x' })).toThrow(/response store, which could not be opened/);
    expect(() => store.expand('c', { model: 'm', input: 'x', previous_response_id: 'resp_1' })).toThrow(/could not be opened/);
  });

  it('reports a file held by a live process; clears the lock of a dead one', () => {
    const file = join(tempDir(), 'responses.db');
    const held = ResponseStore.open(file, bounds, log);
    turn(held, 'resp_1', 'one');
    const second = ResponseStore.open(file, bounds, log);
    expect(second.problem?.reason).toBe('locked');
    expect(second.problem?.message).toMatch(/in use by this process/);
    held.close();

    // A crash: the lock folder and the owner file stay behind, naming a pid that no longer runs.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    mkdirSync(`${file}.lock`);
    writeFileSync(`${file}.owner`, dead);
    const reopened = ResponseStore.open(file, bounds, log);
    expect(reopened.problem).toBeUndefined();
    expect(reopened.get('c', 'resp_1')?.id).toBe('resp_1');
    reopened.close();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('turned off: keeps nothing, refuses previous_response_id', () => {
    const store = ResponseStore.disabled(log);
    expect(store.expand('c', { model: 'm', input: 'x' }).keep).toBeUndefined();
    expect(() => store.expand('c', { model: 'm', input: 'x', previous_response_id: 'resp_1' })).toThrow(/turned off/);
  });
});
