/**
 * The exchanges in flight, for `/_ccrx/status` and shutdown: an array with swap-remove rather than a `Map`. A `Map`
 * that gains and loses an entry per request is rehashed often, and V8 keeps each replaced hash table linked to its
 * successor with its old entries in place; once the first full collection has moved one of those tables to the old
 * generation, every later table, and every exchange it held, survives the young-generation collections that would
 * otherwise free it. Measured at concurrency 32: about 1.6 MB promoted per scavenge and a full collection every second,
 * against 50 KB and one every few minutes with this list.
 */
export class InFlight<T> {
  #items: { value: T; index: number }[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** Adds a value; the returned handle removes it. */
  add(value: T): () => void {
    const entry = { value, index: this.#items.length };
    this.#items.push(entry);
    return () => {
      const items = this.#items;
      if (items[entry.index] !== entry) return;
      const last = items.pop()!;
      if (last !== entry) {
        items[entry.index] = last;
        last.index = entry.index;
      }
    };
  }

  values(): T[] {
    return this.#items.map((entry) => entry.value);
  }
}
