import type { Logger } from '../core/logger.js';
import type { BytesCache } from './bytes-cache.js';
import { convertTools, type ChatTool } from './convert.js';
import type { ToolMap } from './tool-map.js';

/** A wire's tools made from a request's tools array once: their name map, how many, and the tools serialized. */
export interface ConvertedTools {
  map: ToolMap;
  count: number;
  json: Buffer;
}

/** A kept body's tools: the array's bytes as sent, the body's `keepJson`, and the plugin's cache of converted arrays. */
export interface KeptTools {
  bytes: Buffer;
  keepJson: (json: Buffer) => string;
  cache: BytesCache<ConvertedTools>;
}

/** A request's tools in a wire's shape: the map, how many, the list (empty when converted once) and the body's value. */
export interface WireTools<W> {
  map: ToolMap;
  count: number;
  /** The tools made for this request (a parsed body's): empty when they come from the cache. */
  own: W[];
  /** What the body's `tools` is: the tools, or the marker of their bytes made once. */
  value: unknown;
}

/**
 * Codex's tools in a wire's shape (`toWire`, from the Chat functions every wire starts with). With `kept` (a kept
 * body's, whose tools are read, parsed, only when these bytes were never converted), converted once per distinct
 * array: `finish` marks the list made then (a prompt-cache mark), and its serialized bytes go into every body with
 * the same tools. Otherwise made for this request from `raw` (read through `original` for a kept body).
 */
export function wireTools<W>(raw: () => unknown, log: Logger, kept: KeptTools | undefined, toWire: (tools: ChatTool[]) => W[], finish?: (tools: W[]) => void): WireTools<W> {
  if (kept) {
    const converted = kept.cache.get(kept.bytes, () => {
      const { tools, map } = convertTools(raw(), log);
      const wire = toWire(tools);
      if (wire.length) finish?.(wire);
      // Shared by every request that sends the same tools: frozen, so a change is an error, not a leak.
      return Object.freeze({ map, count: wire.length, json: Buffer.from(JSON.stringify(wire)) });
    });
    return { map: converted.map, count: converted.count, own: [], value: kept.keepJson(converted.json) };
  }
  const { tools, map } = convertTools(raw(), log);
  const own = toWire(tools);
  return { map, count: own.length, own, value: own };
}
