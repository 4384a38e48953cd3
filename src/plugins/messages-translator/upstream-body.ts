import { PrefixUnusable, type KeptBody, type KeptTextPlaces } from '../../index.js';
import type { Settings } from './presets.js';
import { translateRequest, type TranslateContext, type TranslatedRequest } from './request.js';

/**
 * Where the request translator moves a text without reading it (turns.ts), besides the instructions, message texts
 * and tool outputs every translator only moves: a custom tool call's `input`, which becomes the one field of its
 * `tool_use.input` (an apply_patch call carries the whole patch). Not a function call's `arguments`, parsed into
 * `tool_use.input`, nor an image URL, whose data URL is split into media type and data.
 */
export const KEPT_PLACES: KeptTextPlaces = { functionArguments: false, imageUrls: false, customToolInputs: true, encryptedContent: true, tools: true };

export interface UpstreamBody {
  request: TranslatedRequest;
  /** The Messages body as sent. */
  body: Buffer;
  /** Whether kept texts went as the bytes Codex sent (false: the body was translated parsed whole). */
  kept: boolean;
}

/**
 * The Messages body of `kept` (the request parsed with its long texts as markers), the texts' bytes put back into
 * it. Whatever goes wrong there (a marker not moved whole, a translation that fails), the request parsed whole
 * (`parse`) is translated instead: it sends the same Messages body, or fails with the client's error. A remembered
 * history that does not fit (`PrefixUnusable`) is the caller's to drop: it keeps the whole body and tries again.
 */
export function translateKept(kept: KeptBody | undefined, parse: () => unknown, settings: Settings, ctx: TranslateContext): UpstreamBody {
  if (kept) {
    let body: Buffer | undefined;
    let request: TranslatedRequest | undefined;
    try {
      const tools = kept.toolsBytes && ctx.toolsCache ? { bytes: kept.toolsBytes, keepJson: kept.keepJson, cache: ctx.toolsCache } : undefined;
      request = translateRequest(kept.json, settings, { ...ctx, original: kept.original, keep: kept.keep, tools });
      body = kept.restore(JSON.stringify(request.body));
    } catch (err) {
      if (err instanceof PrefixUnusable) throw err;
      // The parse path below answers with the error the request deserves.
    }
    if (request && body) return { request, body, kept: true };
    ctx.log.debug('messages-translator: kept texts could not be put back; the request is translated parsed whole');
  }
  const { history: _kept, ...whole } = ctx;
  const request = translateRequest(parse(), settings, whole);
  return { request, body: Buffer.from(JSON.stringify(request.body)), kept: false };
}
