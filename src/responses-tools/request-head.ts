import { GatewayError } from '../core/errors.js';
import { isObject, type JsonObject } from '../json/is-object.js';
import { lookupPattern } from './model-patterns.js';
import type { ToolMap } from './tool-map.js';

/** What a translator builds from one Responses request, whatever the upstream's wire. */
export interface TranslatedBody {
  body: JsonObject;
  map: ToolMap;
  stream: boolean;
  /** The model name Codex asked for; every response reports it. */
  codexModel: string;
  upstreamModel: string;
}

/** The parts of a Responses request every translator reads first, checked: a bad one is the client's 400. */
export interface RequestHead {
  raw: JsonObject;
  codexModel: string;
  /** The model the upstream is asked for: `modelMap`'s pattern for the Codex name, else that name. */
  upstreamModel: string;
  /** `input` as items (a string input is one user message). */
  items: unknown[];
}

export function readRequestHead(raw: unknown, modelMap: Readonly<Record<string, string>>): RequestHead {
  if (!isObject(raw)) throw invalidRequest('the request body must be a JSON object');
  const codexModel = raw.model;
  if (typeof codexModel !== 'string' || !codexModel) throw invalidRequest('`model` must be a non-empty string');
  if (typeof raw.input !== 'string' && !Array.isArray(raw.input)) throw invalidRequest('`input` must be a string or an array of items');
  const upstreamModel = lookupPattern(modelMap, codexModel) ?? codexModel;
  const items: unknown[] = typeof raw.input === 'string' ? [{ type: 'message', role: 'user', content: raw.input }] : raw.input;
  return { raw, codexModel, upstreamModel, items };
}

export function invalidRequest(message: string): GatewayError {
  return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'invalid_request', message });
}

/** A configured upstream base URL, refused at startup unless it is an http(s) URL. */
export function checkBaseUrl(baseUrl: string): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`baseUrl ${JSON.stringify(baseUrl)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`baseUrl must be http or https, got ${url.protocol}`);
}
