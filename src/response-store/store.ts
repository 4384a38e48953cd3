import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { GatewayError } from '../core/errors.js';
import { isObject, type JsonObject } from '../json/is-object.js';
import { ResponseDb, StoreOpenError, type StoredItem, type StoredResponse } from './db.js';

export interface StoreBounds {
  maxResponses: number;
  maxBytes: number;
  maxAgeMs: number;
}

/** A response waiting for its output: what the request brought, kept until the terminal event is seen. */
interface Pending {
  chain: string;
  previousId: string | undefined;
  input: JsonObject[];
  createdAt: number;
}

/** Deepest previous_response_id chain followed; a longer one is refused rather than walked forever. */
const MAX_CHAIN = 10_000;

/**
 * The response store behind `previous_response_id`, `item_reference` and `GET /v1/responses/{id}` for chains whose
 * upstream keeps no state (translated ones). Reads are synchronous primary-key lookups; writes are queued when a
 * response ends and committed together once the event loop turns, after the answer has been written.
 */
export class ResponseStore {
  private queue: { response: StoredResponse; items: StoredItem[] }[] = [];
  /** Queued responses by chain and id, so a chained request that arrives before the commit still finds them. */
  private readonly queued = new Map<string, StoredResponse>();
  private readonly queuedItems = new Map<string, StoredItem>();
  private scheduled = false;
  private lastAgePrune = 0;

  private constructor(
    private readonly db: ResponseDb | undefined,
    /** Why the store is unusable, when it is. */
    readonly problem: StoreOpenError | undefined,
    readonly bounds: StoreBounds,
    private readonly log: Logger,
  ) {}

  /** Opens the file; a corrupt or locked one is reported here and leaves a store that refuses stateful requests. */
  static open(file: string, bounds: StoreBounds, log: Logger): ResponseStore {
    try {
      const db = ResponseDb.open(file);
      const store = new ResponseStore(db, undefined, bounds, log);
      const removed = db.prune(bounds);
      log.info({ file, responses: db.count, bytes: db.bytes, pruned: removed }, 'response store open');
      return store;
    } catch (err) {
      const problem = err instanceof StoreOpenError ? err : new StoreOpenError(`the response store ${file} cannot be opened: ${(err as Error).message}`, 'unreadable');
      log.error({ file, reason: problem.reason, err: problem.message }, 'response store unavailable: requests that need it are refused, store:false requests are served');
      return new ResponseStore(undefined, problem, bounds, log);
    }
  }

  /** A store that keeps nothing (`responseStore.enabled: false`). */
  static disabled(log: Logger): ResponseStore {
    return new ResponseStore(undefined, undefined, { maxResponses: 0, maxBytes: 0, maxAgeMs: 0 }, log);
  }

  get enabled(): boolean {
    return this.db !== undefined || this.problem !== undefined;
  }

  /** Whether a Responses body asks anything of the store: kept (store not false), chained or referencing items. */
  wants(body: unknown): boolean {
    if (!isObject(body)) return false;
    if (body.store !== false) return true;
    if (typeof body.previous_response_id === 'string') return true;
    return Array.isArray(body.input) && body.input.some((item) => isObject(item) && item.type === 'item_reference');
  }

  /**
   * The body a stateless upstream needs: the stored conversation before the new input, item references replaced
   * by their items. Returns the request to keep when the response completes (undefined for store: false).
   */
  expand(chain: string, body: JsonObject): { body: JsonObject; keep: Pending | undefined } {
    const previousId = body.previous_response_id;
    if (previousId !== undefined && previousId !== null && (typeof previousId !== 'string' || !previousId)) throw invalid('`previous_response_id` must be a non-empty string', 'previous_response_id');
    const needsStore = typeof previousId === 'string' || hasReference(body.input);
    if (needsStore) this.usable();
    const history = typeof previousId === 'string' ? this.conversation(chain, previousId) : [];
    const own = normalizeInput(body.input).map((item) => (item.type === 'item_reference' ? this.referenced(chain, item) : item));
    const out: JsonObject = { ...body, input: [...history, ...own] };
    delete out.previous_response_id;
    if (body.store === false || !this.db) {
      if (body.store !== false && this.problem) this.usable();
      return { body: out, keep: undefined };
    }
    return { body: out, keep: { chain, previousId: typeof previousId === 'string' ? previousId : undefined, input: own.map(withId), createdAt: Date.now() } };
  }

  /** The terminal response the client got: queued, committed once the event loop turns. */
  keep(pending: Pending, response: JsonObject): void {
    if (!this.db || typeof response.id !== 'string') return;
    if (response.status !== 'completed' && response.status !== 'incomplete') return;
    const output = Array.isArray(response.output) ? (response.output as unknown[]).filter(isObject) : [];
    const responseJson = JSON.stringify(response);
    const inputJson = JSON.stringify(pending.input);
    const record: StoredResponse = { id: response.id, chain: pending.chain, createdAt: pending.createdAt, previousId: pending.previousId, bytes: responseJson.length + inputJson.length, response: responseJson, input: inputJson };
    const items: StoredItem[] = [];
    for (const item of [...pending.input, ...output]) if (typeof item.id === 'string' && item.id) items.push({ id: item.id, item: JSON.stringify(item) });
    this.queue.push({ response: record, items });
    this.queued.set(key(record.chain, record.id), record);
    for (const item of items) this.queuedItems.set(key(record.chain, item.id), item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Commits everything queued. Never throws: a failed write is logged (without content) and dropped. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (!batch.length || !this.db) return;
    this.queue = [];
    try {
      this.db.put(batch);
      const now = Date.now();
      // Age is checked at most once a minute; count and bytes after every write.
      const ageDue = now - this.lastAgePrune > 60_000;
      if (ageDue) this.lastAgePrune = now;
      if (ageDue || this.db.count > this.bounds.maxResponses || this.db.bytes > this.bounds.maxBytes) this.db.prune(this.bounds, now);
    } catch (err) {
      this.log.error({ err: (err as Error).message, responses: batch.length }, 'response store: write failed; these responses were not kept');
    } finally {
      for (const { response, items } of batch) {
        this.queued.delete(key(response.chain, response.id));
        for (const item of items) this.queuedItems.delete(key(response.chain, item.id));
      }
    }
  }

  get(chain: string, id: string): StoredResponse | undefined {
    return this.queued.get(key(chain, id)) ?? this.db?.get(chain, id);
  }

  delete(chain: string, id: string): boolean {
    this.flush();
    return this.db?.delete(chain, id) ?? false;
  }

  prune(now = Date.now()): number {
    this.flush();
    return this.db?.prune(this.bounds, now) ?? 0;
  }

  list(o: { chain?: string; limit: number }) {
    this.flush();
    return this.db?.list(o) ?? [];
  }

  chainsOf(id: string): string[] {
    this.flush();
    return this.db?.chainsOf(id) ?? [];
  }

  stats(): { responses: number; bytes: number } {
    return { responses: this.db?.count ?? 0, bytes: this.db?.bytes ?? 0 };
  }

  close(): void {
    this.flush();
    this.db?.close();
  }

  /** Throws the error a request needing the store gets when it is off or could not be opened. */
  private usable(): void {
    if (this.db) return;
    if (this.problem) {
      throw new GatewayError({ status: 503, type: 'server_error', code: 'response_store_unavailable', message: `this request needs the response store, which could not be opened: ${this.problem.message}. Requests with store: false and no previous_response_id or item_reference are still served.`, expose: true });
    }
    throw new GatewayError({ status: 400, type: 'invalid_request_error', code: 'response_store_disabled', message: 'previous_response_id and item_reference need the response store, which this gateway has turned off (responseStore.enabled: false); send the whole conversation with store: false instead' });
  }

  private conversation(chain: string, previousId: string): JsonObject[] {
    const records: StoredResponse[] = [];
    const seen = new Set<string>();
    let id: string | undefined = previousId;
    while (id !== undefined) {
      if (seen.has(id) || records.length >= MAX_CHAIN) throw invalid(`previous_response_id ${previousId} has a conversation longer than ${MAX_CHAIN} responses, or a loop`, 'previous_response_id');
      seen.add(id);
      const record = this.get(chain, id);
      if (!record) {
        const message = id === previousId ? `Previous response with id '${previousId}' not found.` : `Previous response with id '${previousId}' cannot be continued: an earlier response of its conversation ('${id}') is no longer stored.`;
        throw new GatewayError({ status: 400, type: 'invalid_request_error', code: 'previous_response_not_found', message, details: { param: 'previous_response_id' } });
      }
      records.push(record);
      id = record.previousId;
    }
    const items: JsonObject[] = [];
    for (const record of records.reverse()) {
      for (const item of JSON.parse(record.input) as JsonObject[]) items.push(item);
      const response = JSON.parse(record.response) as JsonObject;
      if (Array.isArray(response.output)) for (const item of response.output as unknown[]) if (isObject(item)) items.push(item);
    }
    return items;
  }

  private referenced(chain: string, reference: JsonObject): JsonObject {
    const id = reference.id;
    if (typeof id !== 'string' || !id) throw invalid('an item_reference needs an `id`', 'input');
    const stored = this.queuedItems.get(key(chain, id)) ?? this.db?.getItem(chain, id);
    if (!stored) throw new GatewayError({ status: 404, type: 'invalid_request_error', code: 'item_not_found', message: `Item with id '${id}' not found.`, details: { param: 'input' } });
    return JSON.parse(stored.item) as JsonObject;
  }
}

function key(chain: string, id: string): string {
  return `${chain}\u0000${id}`;
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'invalid_request', message, details: { param } });
}

function hasReference(input: unknown): boolean {
  return Array.isArray(input) && input.some((item) => isObject(item) && item.type === 'item_reference');
}

/** The input as items: a string is one user message, as the Responses API reads it. */
function normalizeInput(input: unknown): JsonObject[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  return Array.isArray(input) ? (input as unknown[]).filter(isObject) : [];
}

/**
 * Input items as the API lists them (`input_items`, `item_reference`): each with an id, a message's string content
 * as one text part.
 */
function withId(item: JsonObject): JsonObject {
  const message = item.type === 'message' || (item.type === undefined && item.role !== undefined);
  let out = item;
  if (message && typeof item.content === 'string') out = { ...out, type: 'message', content: [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.content }] };
  if (typeof item.id === 'string' && item.id) return out;
  return { id: `${message ? 'msg' : 'item'}_${randomBytes(16).toString('hex')}`, ...out };
}
