import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite from 'node-sqlite3-wasm';

type Database = InstanceType<typeof sqlite.Database>;
type Statement = ReturnType<Database['prepare']>;

/** One stored response, as kept on disk. */
export interface StoredResponse {
  id: string;
  chain: string;
  createdAt: number;
  previousId: string | undefined;
  bytes: number;
  /** The response object exactly as the client got it in the terminal event (or the JSON answer). */
  response: string;
  /** The request's own input items (JSON array), item references resolved, each with an id. */
  input: string;
}

export interface StoredItem {
  id: string;
  item: string;
}

export interface ListedResponse {
  id: string;
  chain: string;
  createdAt: number;
  previousId: string | undefined;
  bytes: number;
}

/** Why the store could not be opened: shown at start, the file is left as it is. */
export class StoreOpenError extends Error {
  constructor(
    message: string,
    readonly reason: 'corrupt' | 'locked' | 'unreadable',
  ) {
    super(message);
    this.name = 'StoreOpenError';
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS responses (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  chain TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  previous_id TEXT,
  bytes INTEGER NOT NULL,
  response TEXT NOT NULL,
  input TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
  chain TEXT NOT NULL,
  id TEXT NOT NULL,
  response_seq INTEGER NOT NULL,
  item TEXT NOT NULL,
  PRIMARY KEY (chain, id)
);
CREATE INDEX IF NOT EXISTS items_by_response ON items (response_seq);
CREATE INDEX IF NOT EXISTS responses_by_created ON responses (created_at);
`;

/**
 * The SQLite file behind the response store. Opened in exclusive locking mode with a write-ahead log: the lock
 * is held for the life of the process, which makes a read about twenty times cheaper than re-taking the
 * WebAssembly build's directory lock per transaction (docs/dependencies.md). Every call is synchronous.
 */
export class ResponseDb {
  private readonly db: Database;
  private readonly stmts: {
    insert: Statement;
    insertItem: Statement;
    get: Statement;
    getItem: Statement;
    seqOf: Statement;
    deleteResponse: Statement;
    deleteItems: Statement;
    oldest: Statement;
  };
  private readonly ownerFile: string;
  /** Rows and bytes kept, tracked here so bounds need no aggregate query per write. */
  count = 0;
  bytes = 0;

  private constructor(
    readonly file: string,
    db: Database,
  ) {
    this.db = db;
    this.ownerFile = `${file}.owner`;
    this.stmts = {
      insert: db.prepare('INSERT OR REPLACE INTO responses (id, chain, created_at, previous_id, bytes, response, input) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      insertItem: db.prepare('INSERT OR REPLACE INTO items (chain, id, response_seq, item) VALUES (?, ?, ?, ?)'),
      get: db.prepare('SELECT id, chain, created_at, previous_id, bytes, response, input FROM responses WHERE chain = ? AND id = ? LIMIT 1'),
      getItem: db.prepare('SELECT id, item FROM items WHERE chain = ? AND id = ?'),
      seqOf: db.prepare('SELECT seq, bytes FROM responses WHERE chain = ? AND id = ?'),
      deleteResponse: db.prepare('DELETE FROM responses WHERE seq = ?'),
      deleteItems: db.prepare('DELETE FROM items WHERE response_seq = ?'),
      oldest: db.prepare('SELECT seq, bytes, created_at FROM responses ORDER BY seq LIMIT 64'),
    };
    const totals = db.get('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM responses') as { n: number; b: number };
    this.count = totals.n;
    this.bytes = totals.b;
  }

  /**
   * Opens (or creates) the store at `file`: its folder 0700, the file 0600. A file that is not a database, or one
   * another live process holds, is reported and left untouched; a lock whose owner process is gone (a crash) is
   * cleared.
   */
  static open(file: string): ResponseDb {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const lock = `${file}.lock`;
    const ownerFile = `${file}.owner`;
    if (existsSync(lock)) {
      const owner = readOwner(ownerFile);
      if (owner !== undefined && isAlive(owner)) {
        const who = owner === process.pid ? 'this process (a second gateway in it?)' : `process ${owner} (another ccrx serve?)`;
        throw new StoreOpenError(`the response store ${file} is in use by ${who}; stop it, or point responseStore.path elsewhere`, 'locked');
      }
      // The owner is gone (it crashed holding the lock): SQLite recovers the file itself from its log.
      rmdirSync(lock);
    }
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    try {
      chmodSync(file, 0o600);
      if (statSync(file).isDirectory()) throw new Error('it is a directory');
    } catch (err) {
      throw new StoreOpenError(`the response store ${file} cannot be used: ${(err as Error).message}`, 'unreadable');
    }
    let db: Database | undefined;
    try {
      db = new sqlite.Database(file);
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      // Checkpoint every 256 pages (1 MiB) and shrink the log back to that size, so the file next to the
      // database stays small whatever the traffic.
      db.exec('PRAGMA wal_autocheckpoint = 256');
      db.exec('PRAGMA journal_size_limit = 1048576');
      writeFileSync(ownerFile, String(process.pid), { mode: 0o600 });
      db.exec(SCHEMA);
      const check = db.get('PRAGMA quick_check') as { quick_check?: string } | null;
      if (check?.quick_check !== 'ok') throw new Error(`integrity check failed: ${check?.quick_check ?? 'no answer'}`);
      for (const extra of ['-wal', '-journal']) if (existsSync(file + extra)) chmodSync(file + extra, 0o600);
      return new ResponseDb(file, db);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // Closing a connection that never opened a file can fail too; the open error is the one to report.
      }
      rmSync(ownerFile, { force: true });
      const message = (err as Error).message;
      if (err instanceof StoreOpenError) throw err;
      if (/locked|busy/i.test(message)) throw new StoreOpenError(`the response store ${file} is locked by another process: ${message}`, 'locked');
      throw new StoreOpenError(`the response store ${file} is not a usable database (${message}); it was left as it is: move it away to start a new store`, 'corrupt');
    }
  }

  get(chain: string, id: string): StoredResponse | undefined {
    const row = first<Row>(this.stmts.get, [chain, id]);
    return row ? fromRow(row) : undefined;
  }

  getItem(chain: string, id: string): StoredItem | undefined {
    return first<StoredItem>(this.stmts.getItem, [chain, id]);
  }

  /** Writes responses (and their items, by id) in one transaction. */
  put(records: readonly { response: StoredResponse; items: readonly StoredItem[] }[]): void {
    this.db.exec('BEGIN');
    try {
      for (const { response: r, items } of records) {
        const old = first<{ seq: number; bytes: number }>(this.stmts.seqOf, [r.chain, r.id]);
        if (old) this.removeSeq(old.seq, old.bytes);
        const { lastInsertRowid } = this.stmts.insert.run([r.id, r.chain, r.createdAt, r.previousId ?? null, r.bytes, r.response, r.input]);
        for (const item of items) this.stmts.insertItem.run([r.chain, item.id, lastInsertRowid, item.item]);
        this.count += 1;
        this.bytes += r.bytes;
      }
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      const totals = this.db.get('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM responses') as { n: number; b: number };
      this.count = totals.n;
      this.bytes = totals.b;
      throw err;
    }
  }

  delete(chain: string, id: string): boolean {
    const old = first<{ seq: number; bytes: number }>(this.stmts.seqOf, [chain, id]);
    if (!old) return false;
    this.db.exec('BEGIN');
    this.removeSeq(old.seq, old.bytes);
    this.db.exec('COMMIT');
    return true;
  }

  /** Removes the oldest responses until every bound holds; returns how many went. */
  prune(bounds: { maxResponses: number; maxBytes: number; maxAgeMs: number }, now = Date.now()): number {
    const cutoff = now - bounds.maxAgeMs;
    let removed = 0;
    this.db.exec('BEGIN');
    try {
      for (;;) {
        const rows = this.stmts.oldest.all() as { seq: number; bytes: number; created_at: number }[];
        let progressed = false;
        for (const row of rows) {
          if (this.count <= bounds.maxResponses && this.bytes <= bounds.maxBytes && row.created_at >= cutoff) break;
          this.removeSeq(row.seq, row.bytes);
          removed += 1;
          progressed = true;
        }
        if (!progressed || rows.length === 0) break;
      }
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    return removed;
  }

  list(o: { chain?: string; limit: number }): ListedResponse[] {
    const rows = (o.chain === undefined
      ? this.db.all('SELECT id, chain, created_at, previous_id, bytes FROM responses ORDER BY seq DESC LIMIT ?', [o.limit])
      : this.db.all('SELECT id, chain, created_at, previous_id, bytes FROM responses WHERE chain = ? ORDER BY seq DESC LIMIT ?', [o.chain, o.limit])) as unknown as Row[];
    return rows.map((row) => ({ id: row.id, chain: row.chain, createdAt: row.created_at, previousId: row.previous_id ?? undefined, bytes: row.bytes }));
  }

  /** Every chain a response with this id is stored under (the CLI looks ids up without a chain). */
  chainsOf(id: string): string[] {
    return (this.db.all('SELECT chain FROM responses WHERE id = ?', [id]) as { chain: string }[]).map((r) => r.chain);
  }

  close(): void {
    for (const stmt of Object.values(this.stmts)) stmt.finalize();
    this.db.close();
    rmSync(this.ownerFile, { force: true });
  }

  private removeSeq(seq: number, bytes: number): void {
    this.stmts.deleteItems.run([seq]);
    this.stmts.deleteResponse.run([seq]);
    this.count -= 1;
    this.bytes -= bytes;
  }
}

interface Row {
  id: string;
  chain: string;
  created_at: number;
  previous_id: string | null;
  bytes: number;
  response: string;
  input: string;
}

function fromRow(row: Row): StoredResponse {
  return { id: row.id, chain: row.chain, createdAt: row.created_at, previousId: row.previous_id ?? undefined, bytes: row.bytes, response: row.response, input: row.input };
}

/**
 * The first row, with the statement run to its end: a statement left mid-step holds a read transaction, which
 * stops every checkpoint and lets the write-ahead log grow without bound.
 */
function first<T>(stmt: Statement, values: (string | number)[]): T | undefined {
  return (stmt.all(values) as unknown as T[])[0];
}

function readOwner(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
