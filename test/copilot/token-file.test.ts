import { readFile, stat, writeFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopilotTokenStore, parseTokenFile, serializeTokenFile } from '../../src/copilot/index.js';
import { responsesTextStream, sendSse } from '../support/mock-upstream.js';
import { gateway, mock, nowS, postResponses, tempDir, tokenEndpoint, upstreamEnv, writeJson } from './helpers.js';

const BODY = '{"model":"gpt-5","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}]}';

function store(path: string, tokenUrl: string, o: Partial<ConstructorParameters<typeof CopilotTokenStore>[0]> = {}) {
  return new CopilotTokenStore({ path, tokenUrl, expiryBufferSeconds: 300, refresh: true, chatVersion: 'test-chat', editorVersion: 'vscode/test', timeoutMs: 5000, ...o });
}

describe('token file format', () => {
  it('reads seconds and milliseconds expiry, strips bearer prefixes, and treats a bad expiry as never expiring', () => {
    expect(parseTokenFile('{"copilotToken":"Bearer a","expiresAt":1900000000}', 'f').expiresAt).toBe(1900000000);
    expect(parseTokenFile('{"copilotToken":"a","expiresAt":1900000000123}', 'f').expiresAt).toBe(1900000000);
    expect(parseTokenFile('{"copilotToken":"a","expiresAt":"1900000000"}', 'f').expiresAt).toBe(1900000000);
    expect(parseTokenFile('{"copilotToken":"a","expiresAt":"soon"}', 'f').expiresAt).toBeUndefined();
    expect(parseTokenFile('{"copilotToken":"bearer  tok ","githubToken":"Bearer gh"}', 'f')).toMatchObject({ copilotToken: 'tok', githubToken: 'gh' });
  });

  it('rewrites in the original key order and keeps unknown keys', () => {
    const text = serializeTokenFile({ custom: 1, expiresAt: 5, copilotToken: 'old', githubToken: 'gh', note: 'keep' }, { copilotToken: 'new', expiresAt: 10, apiBase: 'https://api.business.githubcopilot.com', lastUpdated: 7 });
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text))).toEqual(['githubToken', 'copilotToken', 'endpoint', 'expiresAt', 'lastUpdated', 'custom', 'note']);
    expect(JSON.parse(text)).toMatchObject({ endpoint: 'https://api.business.githubcopilot.com/chat/completions', custom: 1, note: 'keep' });
    expect(text).toContain('\n  "githubToken": "gh",\n');
  });
});

describe('CopilotTokenStore', () => {
  it('uses a valid token without calling the token endpoint, keeps it in memory, and re-reads the file only when it changes', async () => {
    const dir = await tempDir();
    const file = join(dir, 't.json');
    await writeJson(file, { copilotToken: 'first', expiresAt: nowS() + 3600 });
    const ep = await tokenEndpoint();
    const s = store(file, ep.url);
    const fixed = nowS() - 100;
    await utimes(file, fixed, fixed);
    expect((await s.get()).token).toBe('first');
    // Same size, same mtime: the cached value is used even though the bytes changed.
    await writeFile(file, (await readFile(file, 'utf8')).replace('first', 'other'));
    await utimes(file, fixed, fixed);
    expect((await s.get()).token).toBe('first');
    await writeJson(file, { copilotToken: 'second-token', expiresAt: nowS() + 3600 });
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    expect((await s.get()).token).toBe('second-token');
    expect(ep.requests).toHaveLength(0);
  });

  it('refreshes an expired token with the original headers and rewrites the file atomically (0600, unknown keys, key order)', async () => {
    const dir = await tempDir();
    const file = join(dir, 't.json');
    await writeJson(file, { extra: { nested: true }, copilotToken: 'stale', githubToken: 'github-secret', expiresAt: (nowS() - 5) * 1000, zeta: 'z' });
    const ep = await tokenEndpoint({ api: 'https://api.business.githubcopilot.com/' });
    const t = await store(file, `${ep.url}/copilot_internal/v2/token`).get();
    expect(t).toMatchObject({ token: 'fresh-copilot-1', refreshed: true, refreshable: true, apiBase: 'https://api.business.githubcopilot.com' });
    const req = ep.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.headers).toMatchObject({ authorization: 'Bearer github-secret', accept: 'application/json', 'user-agent': 'GitHubCopilotChat/test-chat', 'editor-version': 'vscode/test', 'editor-plugin-version': 'copilot-chat/test-chat' });
    const text = await readFile(file, 'utf8');
    const saved = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(saved)).toEqual(['githubToken', 'copilotToken', 'endpoint', 'expiresAt', 'lastUpdated', 'extra', 'zeta']);
    expect(saved).toMatchObject({ githubToken: 'github-secret', copilotToken: 'fresh-copilot-1', endpoint: 'https://api.business.githubcopilot.com/chat/completions', extra: { nested: true }, zeta: 'z' });
    expect(saved.expiresAt).toBeGreaterThan(nowS());
    expect(text).not.toContain('stale');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(dir)).toEqual(['t.json']);
  });

  it('refreshes once for 20 concurrent requests through the gateway (token endpoint hit once)', async () => {
    const dir = await tempDir();
    const file = join(dir, 't.json');
    await writeJson(file, { githubToken: 'gh', copilotToken: 'stale', expiresAt: nowS() - 1 });
    const ep = await tokenEndpoint({ delayMs: 50 });
    const up = await mock((_req, res) => sendSse(res, responsesTextStream('ok')));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: file, COPILOT_TOKEN_URL: ep.url });
    const results = await Promise.all(Array.from({ length: 20 }, async () => {
      const res = await postResponses(gw, BODY);
      await res.text();
      return res.status;
    }));
    expect(results.every((s) => s === 200)).toBe(true);
    expect(ep.requests).toHaveLength(1);
    expect(new Set(up.requests.map((r) => r.headers.authorization))).toEqual(new Set(['Bearer fresh-copilot-1']));
    expect(JSON.parse(await readFile(file, 'utf8')).copilotToken).toBe('fresh-copilot-1');
  });

  it('leaves a corrupt file byte for byte and explains the fix without echoing contents', async () => {
    const dir = await tempDir();
    const file = join(dir, 't.json');
    const corrupt = '{"githubToken":"gh-secret","copilotToken":"cp-secret","expiresAt":1,';
    await writeFile(file, corrupt, { mode: 0o600 });
    const ep = await tokenEndpoint();
    const up = await mock((_req, res) => sendSse(res, responsesTextStream('ok')));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: file, COPILOT_TOKEN_URL: ep.url });
    const res = await postResponses(gw, BODY);
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).toContain('failed to parse Copilot token file');
    expect(text).toContain('ccrx login');
    expect(text).not.toMatch(/gh-secret|cp-secret/);
    expect(await readFile(file, 'utf8')).toBe(corrupt);
    expect(ep.requests).toHaveLength(0);
    expect(up.requests).toHaveLength(0);
  });

  it('does not refresh when refresh is off: an expired token is a clear 401', async () => {
    const dir = await tempDir();
    const file = join(dir, 't.json');
    await writeJson(file, { githubToken: 'gh', copilotToken: 'cp-secret', expiresAt: nowS() - 1 });
    const ep = await tokenEndpoint();
    const up = await mock((_req, res) => sendSse(res, responsesTextStream('ok')));
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: file, COPILOT_TOKEN_URL: ep.url, COPILOT_TOKEN_REFRESH: 'false' });
    const res = await postResponses(gw, BODY);
    expect(res.status).toBe(401);
    expect(await res.text()).toMatch(/expired.*ccrx login/);
    expect(ep.requests).toHaveLength(0);
  });

  it('honours the expiry buffer: a token expiring within it is refreshed; with a 0 buffer it is used', async () => {
    const dir = await tempDir();
    const file = join(dir, 't.json');
    await writeJson(file, { githubToken: 'gh', copilotToken: 'soon', expiresAt: nowS() + 60 });
    const ep = await tokenEndpoint();
    expect((await store(file, ep.url, { expiryBufferSeconds: 0 }).get()).token).toBe('soon');
    expect((await store(file, ep.url, { expiryBufferSeconds: 120 }).get()).token).toBe('fresh-copilot-1');
  });

  it('keeps using a not-yet-expired token when the early refresh fails, but fails once it has expired', async () => {
    const dir = await tempDir();
    const file = join(dir, 't.json');
    await writeJson(file, { githubToken: 'gh-secret', copilotToken: 'cp-secret', expiresAt: nowS() + 60 });
    const ep = await tokenEndpoint({ status: 500 });
    expect((await store(file, ep.url).get()).token).toBe('cp-secret');
    await writeJson(file, { githubToken: 'gh-secret', copilotToken: 'cp-secret', expiresAt: nowS() - 60 });
    const err = await store(file, ep.url).get().then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as Error & { status: number });
    expect(err.message).toContain('failed to refresh Copilot token: HTTP 500');
    expect(err.message).not.toMatch(/gh-secret|cp-secret/);
    expect(err.status).toBe(502);
  });

  it('maps a refused GitHub token to 401 with the login hint', async () => {
    const dir = await tempDir();
    const file = join(dir, 't.json');
    await writeJson(file, { githubToken: 'gh-secret', copilotToken: 'cp', expiresAt: 1 });
    const ep = await tokenEndpoint({ status: 401 });
    const err = await store(file, ep.url).get().then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as Error & { status: number });
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/HTTP 401.*ccrx login/);
  });

  it('force refreshes a locally valid token, unless a concurrent refresh already replaced the rejected one', async () => {
    const dir = await tempDir();
    const file = join(dir, 't.json');
    await writeJson(file, { githubToken: 'gh', copilotToken: 'valid', expiresAt: nowS() + 3600, keep: 'me' });
    const ep = await tokenEndpoint();
    const s = store(file, ep.url);
    const forced = await s.get({ force: true, rejected: 'valid' });
    expect(forced).toMatchObject({ token: 'fresh-copilot-1', refreshed: true });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ copilotToken: 'fresh-copilot-1', keep: 'me' });
    expect((await s.get({ force: true, rejected: 'valid' })).token).toBe('fresh-copilot-1');
    expect(ep.requests).toHaveLength(1);
  });

  it('refuses a forced refresh without githubToken, without leaking the token', async () => {
    const dir = await tempDir();
    const file = join(dir, 't.json');
    await writeJson(file, { copilotToken: 'cp-secret', expiresAt: nowS() + 3600 });
    const ep = await tokenEndpoint();
    const err = await store(file, ep.url).get({ force: true }).then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as Error);
    expect(err.message).toContain('cannot be refreshed');
    expect(err.message).not.toContain('cp-secret');
  });
});
