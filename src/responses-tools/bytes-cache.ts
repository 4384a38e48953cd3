/**
 * Values made from a piece of a request, by that piece's bytes: Codex sends the same tools array (17 KB, 9 tools)
 * on every turn of a session, and converting it, serializing the result and encoding it again was a third of what
 * translating an everyday Codex request costs before its first byte can leave. A hit needs the same bytes (compared
 * whole, which is a `memcmp`); the key is a copy, so an entry never holds a request's body. Bounded by entries, least
 * recently used first out, and by the size of a key: a piece larger than `maxBytes` is made each time, never kept (a
 * client sending huge distinct arrays cannot make the cache hold more than `capacity` × `maxBytes` of keys); a value
 * that cannot be made (its maker throws) is not remembered.
 */
export class BytesCache<T> {
  readonly #entries: { key: Buffer; value: T }[] = [];

  constructor(
    readonly capacity: number,
    readonly maxBytes = 512 * 1024,
  ) {}

  get(bytes: Buffer, make: () => T): T {
    const entries = this.#entries;
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k]!;
      if (entry.key.length !== bytes.length || !entry.key.equals(bytes)) continue;
      if (k > 0) {
        entries.splice(k, 1);
        entries.unshift(entry);
      }
      return entry.value;
    }
    const value = make();
    if (this.capacity > 0 && bytes.length <= this.maxBytes) {
      entries.unshift({ key: Buffer.from(bytes), value });
      if (entries.length > this.capacity) entries.length = this.capacity;
    }
    return value;
  }

  /** The pieces held, most recently used first: bytes a scan can recognize rather than walk (`keepTexts`). */
  keys(): readonly Buffer[] {
    return this.#entries.map((entry) => entry.key);
  }

  get size(): number {
    return this.#entries.length;
  }
}
