import { timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from './errors.js';
import { isLoopbackHost } from './net.js';

export interface GuardOptions {
  /** The address the server is bound to. */
  host: string;
  /** Extra `Host` names accepted besides loopback names and the bound address. */
  allowedHosts: readonly string[];
  /** Browser origins accepted; any other request carrying `Origin` is refused. */
  allowedOrigins: readonly string[];
  /** When set, every request must present it (`x-ccrx-api-key`, or `authorization: Bearer <key>`). */
  apiKey: string | undefined;
}

const forbidden = (message: string, code: string) => new GatewayError({ status: 403, type: 'invalid_request_error', code, message });
// RFC 9112 §3.2: a 400 for an HTTP/1.1 request without Host and for any request with more than one. A client that
// framed its request so oddly gets the connection closed too.
const badHost = (message: string, code: string) => new GatewayError({ status: 400, type: 'invalid_request_error', code, message, headers: { connection: 'close' } });

/** How many `Host` field lines a request carried (Node keeps only the first in `headers`). */
function hostLines(raw: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') count += 1;
  }
  return count;
}

/**
 * `Sec-Fetch-Site` values a browser sends for requests no other site started: `none` (the user typed the URL) and
 * `same-origin` (a page the gateway itself served). `same-site` is refused too: another port of localhost is the same
 * site, and any local dev server or tool's page could then read `/v1/models` with the user's token.
 */
const OWN_FETCH_SITES = new Set(['none', 'same-origin']);

/**
 * A web page must not be able to spend the user's quota: DNS rebinding shows up as a foreign `Host`, a cross-site
 * fetch or POST as an `Origin` header, and a cross-site `<img>` or `<script>` GET (which carries no `Origin`) as
 * `Sec-Fetch-Site` (Codex sends none of these). Remote binds can require a local key. Answers the refusal, or
 * undefined to let the request through (having removed the local key if it came as `authorization`).
 */
export function createGuardCheck(o: GuardOptions): (req: IncomingMessage) => GatewayError | undefined {
  const loopbackBind = isLoopbackHost(o.host);
  const hosts = new Set([o.host, ...o.allowedHosts].map((h) => h.toLowerCase()));
  const origins = new Set(o.allowedOrigins.map((h) => h.toLowerCase()));
  const key = o.apiKey ? Buffer.from(o.apiKey) : undefined;
  // Host values already found acceptable: the same one or two arrive with every request (bounded, never refusals).
  const accepted = new Set<string>();

  return (req) => {
    const headers = req.headers;
    const host = headers.host;
    if (host === undefined) {
      if (req.httpVersion === '1.1') return badHost('an HTTP/1.1 request must carry a Host header', 'missing_host');
    } else if (hostLines(req.rawHeaders) > 1) {
      return badHost('the request carries more than one Host header', 'duplicate_host');
    }
    if (host && (loopbackBind || o.allowedHosts.length > 0) && !accepted.has(host)) {
      const name = host.replace(/:\d+$/, '').toLowerCase();
      if (!isLoopbackHost(name) && !hosts.has(name) && !hosts.has(host.toLowerCase())) {
        return forbidden(`Host ${host} is not allowed; add it to server.allowedHosts if you really reach the gateway under that name`, 'host_not_allowed');
      }
      if (accepted.size < 64) accepted.add(host);
    }
    const origin = headers.origin ?? '';
    if (origin) {
      if (!origins.has(origin.toLowerCase())) return forbidden(`requests from browser origin ${origin} are refused; add it to server.allowedOrigins to allow it`, 'origin_not_allowed');
    } else {
      const site = headerText(headers['sec-fetch-site']).toLowerCase();
      if (site && !OWN_FETCH_SITES.has(site)) {
        return forbidden(`a ${site} browser request (Sec-Fetch-Site: ${site}) is refused: web pages may not use the gateway; a page of an origin in server.allowedOrigins must send its Origin`, 'cross_site_request');
      }
    }
    if (key) {
      const bearer = /^bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
      const presented = headerText(headers['x-ccrx-api-key']) || bearer || '';
      if (!sameSecret(key, presented)) {
        return new GatewayError({ status: 401, type: 'invalid_request_error', code: 'invalid_local_api_key', message: 'this gateway requires its local API key (header x-ccrx-api-key)' });
      }
      // The local key is for the gateway only: never let a plugin mistake it for an upstream credential.
      if (bearer && sameSecret(key, bearer)) delete headers.authorization;
    }
    return undefined;
  };
}

/** The guard as Koa middleware: a refusal is thrown to the error boundary. */
export function guardMiddleware(check: (req: IncomingMessage) => GatewayError | undefined): Middleware {
  return (ctx, next) => {
    const refused = check(ctx.req);
    if (refused) throw refused;
    return next();
  };
}

const headerText = (value: string | string[] | undefined): string => (Array.isArray(value) ? value.join(', ') : (value ?? ''));

function sameSecret(expected: Buffer, presented: string): boolean {
  const got = Buffer.from(presented);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
