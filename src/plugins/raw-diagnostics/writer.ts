import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../index.js';

export interface WriterOptions {
  queueMax: number;
  rotateBytes: number;
  maxFiles: number;
  log: Logger;
}

/**
 * Appends JSONL lines off the request path: `write` only queues (or counts a drop when the queue is full); one
 * drain loop writes batches. The file is created 0600 (and made 0600 if it existed), and rotated by renaming
 * (`file` → `file.1` → …) when the next batch would pass `rotateBytes`. Our own rotation rather than
 * rotating-file-stream: the writer needs an exact drop count and an awaitable flush, which a stream's backpressure
 * model hides, and renames keep every open/chmod under our control.
 */
export class JsonlWriter {
  private queue: string[] = [];
  private pendingDrops = 0;
  private handle: FileHandle | undefined;
  private size = 0;
  private draining: Promise<void> | undefined;
  private failing = false;
  readonly stats = { written: 0, dropped: 0, failures: 0 };

  constructor(
    readonly path: string,
    private readonly o: WriterOptions,
  ) {}

  /** Queues one line; never waits. */
  write(line: string): void {
    if (this.queue.length >= this.o.queueMax) {
      this.pendingDrops += 1;
      this.stats.dropped += 1;
    } else {
      this.queue.push(line);
    }
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  /** Resolves when everything queued so far is on disk (or failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close().catch(() => {});
    this.handle = undefined;
  }

  /** Opens (creating parents and the 0600 file) so a bad path shows at startup. */
  async open(): Promise<void> {
    if (this.handle) return;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const handle = await open(this.path, 'a', 0o600);
    await handle.chmod(0o600);
    this.size = (await handle.stat()).size;
    this.handle = handle;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 || this.pendingDrops > 0) {
      const batch = this.queue.splice(0, this.queue.length);
      if (this.pendingDrops > 0) {
        batch.push(JSON.stringify({ timestamp_unix_ms: Date.now(), kind: 'diagnostic_events_dropped', fields: { count: this.pendingDrops, queue_max: this.o.queueMax } }));
        this.pendingDrops = 0;
      }
      const data = Buffer.from(batch.join('\n') + '\n');
      try {
        await this.open();
        if (this.o.rotateBytes > 0 && this.size > 0 && this.size + data.length > this.o.rotateBytes) await this.rotate();
        await this.handle!.write(data);
        this.size += data.length;
        this.stats.written += batch.length;
        this.failing = false;
      } catch (err) {
        this.stats.failures += 1;
        await this.handle?.close().catch(() => {});
        this.handle = undefined;
        if (!this.failing) this.o.log.warn({ err: (err as Error).message }, 'raw diagnostics could not be written; events are lost until the file is writable');
        this.failing = true;
      }
    }
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    for (let i = this.o.maxFiles - 1; i >= 1; i -= 1) await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(ignoreMissing);
    await rename(this.path, `${this.path}.1`).catch(ignoreMissing);
    await this.open();
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}

/** One writer per file, shared by every chain that logs to it (two writers renaming one file would race). */
const shared = new Map<string, { writer: JsonlWriter; refs: number }>();

export function acquireWriter(path: string, o: WriterOptions): JsonlWriter {
  const entry = shared.get(path) ?? { writer: new JsonlWriter(path, o), refs: 0 };
  entry.refs += 1;
  shared.set(path, entry);
  return entry.writer;
}

export async function releaseWriter(writer: JsonlWriter): Promise<void> {
  const entry = shared.get(writer.path);
  if (!entry || entry.writer !== writer) return writer.close();
  entry.refs -= 1;
  if (entry.refs > 0) return writer.flush();
  shared.delete(writer.path);
  await writer.close();
}
