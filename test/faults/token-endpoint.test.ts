import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type StartedRouter } from '../support/router.js';
import { errorOf, eventTypes, send, settle, startFaultUpstream, type FaultUpstream } from './support.js';

// The Copilot token exchange down, silent, answering garbage or an error, while Codex waits on a request whose
// token has expired: every request gets a JSON error it can show (never a 500, never a hang), concurrent requests
// share one refresh, and once the endpoint recovers the next request goes through.

type Mode = 'ok' | 'silent' | 'garbage' | 'error';
let mode: Mode = 'ok';
let exchanges = 0;
let tokenServer: Server;
let tokenUrl: string;
let closedTokenUrl: string;
let upstream: FaultUpstream;
let dir: string;
const sockets = new Set<Socket>();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  upstream = await startFaultUpstream();
  tokenServer = createServer((_req, res) => {
    exchanges += 1;
    if (mode === 'silent') return;
    if (mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json</html>');
    if (mode === 'error') return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"try later"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tid=fresh;exp=1', expires_at: Math.floor(Date.now() / 1000) + 3600 }));
  });
  tokenServer.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
  tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/copilot_internal/v2/token`;
  closedTokenUrl = `${upstream.closedUrl}/copilot_internal/v2/token`;
  dir = mkdtempSync(join(tmpdir(), 'ccrx-token-faults-'));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => tokenServer?.close(() => r()));
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** A gateway whose token file holds an expired Copilot token and a GitHub token to mint a new one with. */
async function gatewayWithExpiredToken(name: string, url: string): Promise<{ gw: StartedRouter; file: string }> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ githubToken: 'gho_bench', copilotToken: 'tid=old;exp=0', expiresAt: Math.floor(Date.now() / 1000) - 60 }), { mode: 0o600 });
  const gw = await startRouter({
    plugins: [
      ['copilot-upstream', { responsesUrl: `${upstream.url}/responses?fault=ok`, modelsUrl: `${upstream.url}/models` }],
      ['auth-copilot-tokenfile', { tokenFile: file, tokenUrl: url, requestTimeoutMs: 300, accountEndpoint: false }],
    ],
  });
  return { gw, file };
}

function expectAuthError(seen: Awaited<ReturnType<typeof send>>) {
  expect(seen.hung).toBe(false);
  expect([401, 502, 503, 504]).toContain(seen.status);
  expect(errorOf(seen.body)).toBeDefined();
}

describe('Copilot token endpoint faults', () => {
  it.each([
    ['down (connection refused)', 'refused'],
    ['silent past requestTimeoutMs', 'silent'],
    ['answering non-JSON', 'garbage'],
    ['answering 503', 'error'],
  ] as const)('%s: 20 concurrent requests each get a JSON error, then a recovered endpoint serves', async (name, fault) => {
    mode = fault === 'refused' ? 'ok' : fault;
    const { gw, file } = await gatewayWithExpiredToken(fault, fault === 'refused' ? closedTokenUrl : tokenUrl);
    try {
      exchanges = 0;
      const seen = await Promise.all(Array.from({ length: 20 }, () => send(`${gw.url}/v1/responses`, { deadlineMs: 5_000 })));
      for (const s of seen) expectAuthError(s);
      // One refresh at a time: requests that arrive while one is in flight wait for it instead of calling GitHub
      // themselves (a fast failure lets the next arrivals try again, so a few calls are fine, 20 are not).
      if (fault !== 'refused') expect(exchanges).toBeLessThanOrEqual(10);
      expect(await settle(gw.url, 2_000)).toBe(0);
      expect(readFileSync(file, 'utf8')).toContain('tid=old');
    } finally {
      await gw.close();
    }
    if (fault === 'refused') return;
    mode = 'ok';
    const { gw: again } = await gatewayWithExpiredToken(`${fault}-recovered`, tokenUrl);
    try {
      const ok = await send(`${again.url}/v1/responses`);
      expect(ok.status).toBe(200);
      expect(eventTypes(ok.body).at(-1)).toBe('response.completed');
    } finally {
      await again.close();
    }
  });

  it('an endpoint that recovers while the gateway runs is used by the next request', async () => {
    mode = 'error';
    const { gw, file } = await gatewayWithExpiredToken('recovers', tokenUrl);
    try {
      expectAuthError(await send(`${gw.url}/v1/responses`));
      mode = 'ok';
      const ok = await send(`${gw.url}/v1/responses`);
      expect(ok.status).toBe(200);
      expect(eventTypes(ok.body).at(-1)).toBe('response.completed');
      expect(readFileSync(file, 'utf8')).toContain('tid=fresh');
    } finally {
      await gw.close();
    }
  });
});
