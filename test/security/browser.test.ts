import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { upstreamTo } from '../support/upstream-plugin.js';
import { rawRequest } from '../fuzz/raw-http.js';

// A web page in the user's browser: a cross-site `<img>` or `<script>` GET carries no Origin, only the fetch
// metadata headers. None of it may reach an upstream with the user's token or read the gateway's status.

let mock: MockUpstream;
let gw: StartedRouter;
let port: number;

beforeAll(async () => {
  mock = await startMockUpstream((_req, res) => sendJson(res, 200, { object: 'list', data: [] }));
  gw = await startRouter({ plugins: [upstreamTo(mock)], server: { allowedOrigins: ['https://tool.example'] } });
  port = Number(new URL(gw.url).port);
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

/** A GET as a browser sends it: the page's fetch metadata, and an Origin only when given. */
function browserGet(path: string, headers: Record<string, string>) {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return rawRequest(port, Buffer.from(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${lines}connection: close\r\n\r\n`), 5_000);
}

describe('requests a web page makes without an Origin', () => {
  it.each([
    ['/v1/models', 'cross-site'],
    ['/_ccrx/status', 'cross-site'],
    ['/health', 'cross-site'],
    ['/v1/models', 'same-site'],
    ['/_ccrx/status', 'same-site'],
  ])('GET %s with Sec-Fetch-Site: %s is refused with a JSON 403, before any upstream call', async (path, site) => {
    const before = mock.requests.length;
    const answer = await browserGet(path, { 'sec-fetch-site': site, 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' });
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body.toString()).error.code).toBe('cross_site_request');
    expect(mock.requests.length).toBe(before);
  });

  it.each(['none', 'same-origin'])('Sec-Fetch-Site: %s (typed in the address bar, or a page the gateway served) passes', async (site) => {
    const answer = await browserGet('/v1/models', { 'sec-fetch-site': site });
    expect(answer.status).toBe(200);
  });

  it('a request without fetch metadata (Codex, curl) passes', async () => {
    expect((await browserGet('/_ccrx/status', {})).status).toBe(200);
  });

  it('an allowed origin sends its Origin with a cross-site fetch and passes', async () => {
    const answer = await browserGet('/v1/models', { 'sec-fetch-site': 'cross-site', origin: 'https://tool.example' });
    expect(answer.status).toBe(200);
  });
});
