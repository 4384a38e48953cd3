import { GatewayError } from '../core/errors.js';
import { isObject, type JsonObject } from '../json/is-object.js';
import type { Reply } from '../core/types.js';
import type { ResponseStore } from './store.js';

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

/** `GET {prefix}/v1/responses/{id}`: the response object as the client got it when it completed. */
export function getResponse(store: ResponseStore, chain: string, id: string): Reply {
  const record = store.get(chain, id);
  if (!record) throw notFound(id);
  return { status: 200, headers: JSON_TYPE, body: record.response };
}

/** `DELETE {prefix}/v1/responses/{id}`. */
export function deleteResponse(store: ResponseStore, chain: string, id: string): Reply {
  if (!store.delete(chain, id)) throw notFound(id);
  return { status: 200, headers: JSON_TYPE, body: { id, object: 'response', deleted: true } };
}

/**
 * `GET {prefix}/v1/responses/{id}/input_items`: the request's own input items, paged as the API does (`limit` 1 to
 * 100, default 20; `order` desc by default; `after` and `before` item id cursors).
 */
export function listInputItems(store: ResponseStore, chain: string, id: string, query: URLSearchParams): Reply {
  const record = store.get(chain, id);
  if (!record) throw notFound(id);
  const limitRaw = query.get('limit');
  const limit = limitRaw === null ? 20 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid(`Invalid 'limit': expected an integer from 1 to 100, got ${JSON.stringify(limitRaw)}.`, 'limit');
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalid(`Invalid 'order': expected 'asc' or 'desc', got ${JSON.stringify(order)}.`, 'order');
  let items = (JSON.parse(record.input) as unknown[]).filter(isObject);
  if (order === 'desc') items = items.reverse();
  const after = query.get('after');
  const before = query.get('before');
  if (after !== null) items = items.slice(cursor(items, after, 'after') + 1);
  if (before !== null) items = items.slice(0, cursor(items, before, 'before'));
  const data = items.slice(0, limit);
  const body: JsonObject = { object: 'list', data, first_id: idOf(data[0]), last_id: idOf(data[data.length - 1]), has_more: items.length > data.length };
  return { status: 200, headers: JSON_TYPE, body };
}

function cursor(items: JsonObject[], id: string, param: string): number {
  const at = items.findIndex((item) => item.id === id);
  if (at < 0) throw invalid(`Invalid '${param}': no input item with id '${id}' in this response.`, param);
  return at;
}

function idOf(item: JsonObject | undefined): string | null {
  return item && typeof item.id === 'string' ? item.id : null;
}

function notFound(id: string): GatewayError {
  return new GatewayError({ status: 404, type: 'invalid_request_error', code: 'not_found', message: `Response with id '${id}' not found.` });
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'invalid_request', message, details: { param } });
}
