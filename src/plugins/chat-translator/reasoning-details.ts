import { isObject, type JsonObject } from '../../index.js';

/**
 * OpenRouter's `reasoning_details`: typed blocks (`reasoning.text` with a `signature`, `reasoning.summary`,
 * `reasoning.encrypted` with opaque `data`), streamed as pieces of the same block (same `type` and `index`). The
 * provider wants them back whole on the assistant message of the next turn, or the model loses its chain.
 */
export class ReasoningDetails {
  readonly blocks: JsonObject[] = [];

  /** Merges one delta's `reasoning_details`: string pieces join, other fields take the latest value. */
  add(details: readonly unknown[]): void {
    for (const piece of details) {
      if (!isObject(piece) || typeof piece.type !== 'string') continue;
      const block = this.blocks.find((b) => b.type === piece.type && b.index === piece.index);
      if (!block) {
        this.blocks.push({ ...piece });
        continue;
      }
      for (const [key, value] of Object.entries(piece)) {
        if (value === null || value === undefined || value === '') continue;
        if ((key === 'text' || key === 'summary' || key === 'data') && typeof value === 'string' && typeof block[key] === 'string') block[key] = (block[key] as string) + value;
        else block[key] = value;
      }
    }
  }

  /** Whether a block carries what the provider needs back (encrypted data, a signature, text or a summary). */
  get useful(): boolean {
    return this.blocks.some((b) => Boolean(b.data || b.signature || b.text || b.summary));
  }
}
