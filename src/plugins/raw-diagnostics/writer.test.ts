import { tempDir } from '../../../test/support/temp.js';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../index.js';
import { JsonlWriter } from './writer.js';

const log = createLogger({ level: 'silent', pretty: false });
const dir = () => Promise.resolve(tempDir('ccrx-raw-'));
const lines = async (path: string) => (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { kind?: string; n?: number; fields?: { count: number } });

describe('JsonlWriter', () => {
  it('never waits: a full queue drops events, counts them, and writes the count once space frees', async () => {
    const path = join(await dir(), 'raw.jsonl');
    const writer = new JsonlWriter(path, { queueMax: 2, rotateBytes: 0, maxFiles: 1, log });
    for (let n = 0; n < 10; n += 1) writer.write(JSON.stringify({ n }));
    expect(writer.stats.dropped).toBeGreaterThan(0);
    await writer.close();
    const out = await lines(path);
    const kept = out.filter((l) => l.n !== undefined);
    const marker = out.find((l) => l.kind === 'diagnostic_events_dropped');
    expect(marker?.fields?.count).toBe(writer.stats.dropped);
    expect(kept.length + writer.stats.dropped).toBe(10);
  });

  it('creates the file 0600 and tightens an existing one', async () => {
    const d = await dir();
    const fresh = new JsonlWriter(join(d, 'sub', 'a.jsonl'), { queueMax: 10, rotateBytes: 0, maxFiles: 1, log });
    fresh.write('{}');
    await fresh.close();
    expect((await stat(join(d, 'sub', 'a.jsonl'))).mode & 0o777).toBe(0o600);
    await writeFile(join(d, 'b.jsonl'), '');
    await chmod(join(d, 'b.jsonl'), 0o644);
    const old = new JsonlWriter(join(d, 'b.jsonl'), { queueMax: 10, rotateBytes: 0, maxFiles: 1, log });
    old.write('{}');
    await old.close();
    expect((await stat(join(d, 'b.jsonl'))).mode & 0o777).toBe(0o600);
  });

  it('rotates by size and keeps maxFiles old files', async () => {
    const path = join(await dir(), 'raw.jsonl');
    const writer = new JsonlWriter(path, { queueMax: 10, rotateBytes: 100, maxFiles: 2, log });
    for (let n = 0; n < 12; n += 1) {
      writer.write(JSON.stringify({ n, pad: 'x'.repeat(30) }));
      await writer.flush();
    }
    await writer.close();
    const current = await lines(path);
    const older = await lines(`${path}.1`);
    const oldest = await lines(`${path}.2`);
    await expect(stat(`${path}.3`)).rejects.toThrow();
    expect(current.at(-1)?.n).toBe(11);
    expect(older.at(-1)!.n! + 1).toBe(current[0]!.n);
    expect(oldest.at(-1)!.n! + 1).toBe(older[0]!.n);
    for (const p of [path, `${path}.1`, `${path}.2`]) expect((await stat(p)).mode & 0o777).toBe(0o600);
  });

  it('survives an unwritable path: counts failures and does not throw', async () => {
    const d = await dir();
    await writeFile(join(d, 'file'), '');
    const writer = new JsonlWriter(join(d, 'file', 'raw.jsonl'), { queueMax: 10, rotateBytes: 0, maxFiles: 1, log });
    writer.write('{}');
    await writer.close();
    expect(writer.stats.failures).toBe(1);
  });
});
