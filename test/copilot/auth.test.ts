import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { responsesTextStream, sendSse } from '../support/mock-upstream.js';
import { gateway, mock, nowS, postResponses, tempDir, upstreamEnv, writeJson } from './helpers.js';

const BODY = '{"model":"gpt-5","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}]}';
const COPILOT_LIKE = 'tid=abc123;exp=1999999999;sku=copilot_for_business;proxy-ep=proxy.business.githubcopilot.com:deadbeef';

async function okUpstream() {
  return mock((_req, res) => sendSse(res, responsesTextStream('ok')));
}

describe('auth-env-bearer', () => {
  it('sends COPILOT_BEARER_TOKEN (trimmed, Bearer prefix stripped) and wins over the token file and the inbound header', async () => {
    const dir = await tempDir();
    const file = join(dir, 'tokens.json');
    await writeJson(file, { copilotToken: 'file-token', expiresAt: nowS() + 3600 });
    const up = await okUpstream();
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_BEARER_TOKEN: '  bEaReR  env-token-value  ', COPILOT_TOKEN_FILE: file });
    const res = await postResponses(gw, BODY, { authorization: `Bearer ${COPILOT_LIKE}` });
    expect(res.status).toBe(200);
    await res.text();
    expect(up.requests[0]!.headers.authorization).toBe('Bearer env-token-value');
  });

  it('uses the token file over the inbound header', async () => {
    const dir = await tempDir();
    const file = join(dir, 'tokens.json');
    await writeJson(file, { copilotToken: 'file-token', expiresAt: nowS() + 3600 });
    const up = await okUpstream();
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: file });
    await (await postResponses(gw, BODY, { authorization: `Bearer ${COPILOT_LIKE}` })).text();
    expect(up.requests[0]!.headers.authorization).toBe('Bearer file-token');
  });

  it('falls back to a Copilot-looking inbound Authorization when nothing is configured', async () => {
    const dir = await tempDir();
    const up = await okUpstream();
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: join(dir, 'absent.json') });
    const res = await postResponses(gw, BODY, { authorization: `Bearer ${COPILOT_LIKE}` });
    expect(res.status).toBe(200);
    await res.text();
    expect(up.requests[0]!.headers.authorization).toBe(`Bearer ${COPILOT_LIKE}`);
  });

  it('falls back to the inbound header when the token file is corrupt', async () => {
    const dir = await tempDir();
    const file = join(dir, 'tokens.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, '{ not json');
    const up = await okUpstream();
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: file });
    const res = await postResponses(gw, BODY, { authorization: `Bearer ${COPILOT_LIKE}` });
    expect(res.status).toBe(200);
    await res.text();
    expect(up.requests[0]!.headers.authorization).toBe(`Bearer ${COPILOT_LIKE}`);
  });

  it.each([
    ['an OpenAI-style key', 'Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a placeholder word', 'Bearer placeholder-key-for-codex-local'],
    ['a short value', 'Bearer dummy'],
    ['another scheme', 'Basic dXNlcjpwYXNzd29yZHBhc3N3b3Jk'],
  ])('refuses %s: 401 telling the user to run ccrx login, nothing sent upstream', async (_label, authorization) => {
    const dir = await tempDir();
    const up = await okUpstream();
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: join(dir, 'absent.json') });
    const res = await postResponses(gw, BODY, { authorization });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { message: string; code: string; fix: string } };
    expect(body.error.code).toBe('copilot_auth_unavailable');
    expect(body.error.message).toContain('missing Copilot bearer token');
    expect(body.error.message).toContain('ccrx login');
    expect(body.error.fix).toBe('ccrx login');
    expect(JSON.stringify(body)).not.toContain(authorization.split(' ')[1]!);
    expect(up.requests).toHaveLength(0);
  });

  it('forwards any visible-ASCII inbound value with inboundAuth "any" and none with "off"', async () => {
    const dir = await tempDir();
    const up = await okUpstream();
    const anyGw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: join(dir, 'absent.json'), COPILOT_INBOUND_AUTH: 'any' });
    await (await postResponses(anyGw, BODY, { authorization: 'Bearer short' })).text();
    expect(up.requests[0]!.headers.authorization).toBe('Bearer short');
    const offGw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: join(dir, 'absent.json'), COPILOT_INBOUND_AUTH: 'off' });
    const res = await postResponses(offGw, BODY, { authorization: `Bearer ${COPILOT_LIKE}` });
    expect(res.status).toBe(401);
    expect(up.requests).toHaveLength(1);
  });

  it('answers GET /v1/models with 401 and no upstream call when no auth exists at all', async () => {
    const dir = await tempDir();
    const up = await okUpstream();
    const gw = await gateway({ ...upstreamEnv(up), COPILOT_TOKEN_FILE: join(dir, 'absent.json') });
    const res = await fetch(`${gw.url}/v1/models`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/missing Copilot bearer token.*ccrx login/);
    expect(up.requests).toHaveLength(0);
  });
});

describe('health contract', () => {
  async function auth(env: Record<string, string>) {
    const gw = await gateway(env);
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { providers: { default: { checks: { auth: Record<string, unknown> } } } };
    return { auth: body.providers.default.checks.auth, text };
  }

  it('reports missing auth (the server still starts) with the fix', async () => {
    const dir = await tempDir();
    const { auth: check } = await auth({ COPILOT_TOKEN_FILE: join(dir, 'absent.json') });
    expect(check.ok).toBe(false);
    expect(check.fix).toBe('ccrx login');
    expect(String(check.message)).toContain('ccrx login');
  });

  it('reports the env token first, without the token', async () => {
    const dir = await tempDir();
    const { auth: check, text } = await auth({ COPILOT_BEARER_TOKEN: 'env-secret-token', COPILOT_TOKEN_FILE: join(dir, 'absent.json') });
    expect(check).toEqual({ ok: true, source: 'env' });
    expect(text).not.toContain('env-secret-token');
  });

  it('reports the token file with its expiry, without any token', async () => {
    const dir = await tempDir();
    const file = join(dir, 'tokens.json');
    const exp = nowS() + 3600;
    await writeJson(file, { githubToken: 'gh-secret', copilotToken: 'cp-secret', expiresAt: exp });
    const { auth: check, text } = await auth({ COPILOT_TOKEN_FILE: file });
    expect(check).toEqual({ ok: true, source: 'token-file', expiresAt: exp });
    expect(text).not.toMatch(/gh-secret|cp-secret/);
  });

  it('reports a corrupt file as not ok, naming the fix and not the contents', async () => {
    const dir = await tempDir();
    const file = join(dir, 'tokens.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, '{"copilotToken":"cp-secret",');
    const { auth: check, text } = await auth({ COPILOT_TOKEN_FILE: file });
    expect(check.ok).toBe(false);
    expect(String(check.message)).toContain('failed to parse');
    expect(check.fix).toBe('ccrx login');
    expect(text).not.toContain('cp-secret');
  });

  it('reports an expired token that cannot be refreshed as not ok', async () => {
    const dir = await tempDir();
    const file = join(dir, 'tokens.json');
    await writeJson(file, { copilotToken: 'cp-secret', expiresAt: nowS() - 10 });
    const { auth: check } = await auth({ COPILOT_TOKEN_FILE: file });
    expect(check.ok).toBe(false);
    expect(check.fix).toBe('ccrx login');
  });
});
