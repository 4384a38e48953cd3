import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceLogin, DeviceLoginError, type DeviceLoginSettings } from '../../src/copilot/index.js';
import { sendJson, type RecordedRequest } from '../support/mock-upstream.js';
import { mock, tempDir } from './helpers.js';

type PollAnswer = Record<string, unknown> | ((req: RecordedRequest) => Record<string, unknown>);

/** One loopback server playing GitHub: device code, access-token polls (scripted), and the Copilot token exchange. */
async function github(polls: PollAnswer[], device: Record<string, unknown> = {}) {
  let poll = 0;
  const times: number[] = [];
  const server = await mock((req, res) => {
    if (req.url === '/login/device/code') return sendJson(res, 200, { device_code: 'device-secret', user_code: 'ABCD-1234', verification_uri: 'https://github.com/login/device', interval: 10, expires_in: 900, ...device });
    if (req.url === '/login/oauth/access_token') {
      times.push(Date.now());
      const answer = polls[Math.min(poll++, polls.length - 1)]!;
      return sendJson(res, 200, typeof answer === 'function' ? answer(req) : answer);
    }
    if (req.url === '/copilot_internal/v2/token') return sendJson(res, 200, { token: 'copilot-from-login', expires_at: 1_900_000_000, endpoints: { api: 'https://api.individual.githubcopilot.com' } });
    sendJson(res, 404, {});
  });
  return { server, times, polls: () => poll };
}

function settings(url: string, path: string): DeviceLoginSettings {
  return {
    deviceCodeUrl: `${url}/login/device/code`,
    accessTokenUrl: `${url}/login/oauth/access_token`,
    tokenUrl: `${url}/copilot_internal/v2/token`,
    clientId: 'client-123',
    scope: 'read:user',
    chatVersion: 'test-chat',
    editorVersion: 'vscode/test',
    timeoutMs: 5000,
    path,
  };
}

describe('device login', () => {
  it('prints the four lines, polls until approved, saves both tokens (0600, parent dirs) and never prints secrets', async () => {
    const gh = await github([{ error: 'authorization_pending' }, { access_token: 'Bearer github-login-token', token_type: 'bearer' }]);
    const path = join(await tempDir(), 'nested', 'dir', 'tokens.json');
    const lines: string[] = [];
    await deviceLogin(settings(gh.server.url, path), { print: (l) => lines.push(l), secondMs: 1 });
    expect(lines).toEqual(['GitHub Copilot authentication is required.', 'Visit: https://github.com/login/device', 'Enter code: ABCD-1234', 'Waiting for authorization...', 'GitHub Copilot authentication saved.']);
    expect(lines.join('\n')).not.toMatch(/device-secret|github-login-token|copilot-from-login/);
    const saved = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(saved)).toEqual(['githubToken', 'copilotToken', 'endpoint', 'expiresAt', 'lastUpdated']);
    expect(saved).toMatchObject({ githubToken: 'github-login-token', copilotToken: 'copilot-from-login', endpoint: 'https://api.individual.githubcopilot.com/chat/completions', expiresAt: 1_900_000_000 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const [start, poll1, , exchange] = gh.server.requests;
    expect(start!.json()).toEqual({ client_id: 'client-123', scope: 'read:user' });
    expect(start!.headers).toMatchObject({ accept: 'application/json', 'user-agent': 'GitHubCopilotChat/test-chat' });
    expect(poll1!.json()).toEqual({ client_id: 'client-123', device_code: 'device-secret', grant_type: 'urn:ietf:params:oauth:grant-type:device_code' });
    expect(exchange!.headers.authorization).toBe('Bearer github-login-token');
    expect(gh.polls()).toBe(2);
  });

  it('on slow_down honours a server-sent interval, else adds 5 seconds', async () => {
    const gh = await github([{ error: 'slow_down', interval: 40 }, { error: 'slow_down' }, { access_token: 'gh-token' }]);
    const path = join(await tempDir(), 'tokens.json');
    const t0 = Date.now();
    await deviceLogin(settings(gh.server.url, path), { print: () => {}, secondMs: 1 });
    // interval 10 → first poll after ≥10 ms; the server asks for 40 → next after ≥40; then 40 + 5 = 45.
    const [a, b, c] = gh.times as [number, number, number];
    expect(a - t0).toBeGreaterThanOrEqual(9);
    expect(b - a).toBeGreaterThanOrEqual(39);
    expect(c - b).toBeGreaterThanOrEqual(44);
  });

  it('stops with the expiry error once expires_in has passed, and writes nothing', async () => {
    const gh = await github([{ error: 'authorization_pending' }], { interval: 5, expires_in: 30 });
    const path = join(await tempDir(), 'tokens.json');
    const err = await deviceLogin(settings(gh.server.url, path), { print: () => {}, secondMs: 1 }).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(DeviceLoginError);
    expect(err!.message).toBe('GitHub device login expired before authorization completed');
    expect(gh.polls()).toBeGreaterThanOrEqual(1); // 30 ms of expiry hold one poll or more, depending on how busy the machine is
    await expect(stat(path)).rejects.toThrow();
  });

  it.each([
    [{ error: 'expired_token' }, 'GitHub device login expired before authorization completed'],
    [{ error: 'access_denied' }, 'GitHub device login was denied'],
    [{ error: 'unsupported_grant_type' }, 'GitHub device login failed: unsupported_grant_type'],
    [{}, 'GitHub device login completed but no access_token was returned'],
  ])('fails on %j without touching an existing token file', async (answer, message) => {
    const gh = await github([answer]);
    const path = join(await tempDir(), 'tokens.json');
    await writeFile(path, 'previous contents');
    await expect(deviceLogin(settings(gh.server.url, path), { print: () => {}, secondMs: 1 })).rejects.toThrow(message);
    expect(await readFile(path, 'utf8')).toBe('previous contents');
  });

  it('reports a device-code response without the required fields', async () => {
    const gh = await github([], { device_code: undefined });
    await expect(deviceLogin(settings(gh.server.url, join(await tempDir(), 't.json')), { print: () => {}, secondMs: 1 })).rejects.toThrow('GitHub device-code response is missing device_code, user_code, or verification_uri');
  });

  it('stops when aborted (Ctrl-C) and writes nothing', async () => {
    const gh = await github([{ error: 'authorization_pending' }]);
    const path = join(await tempDir(), 'tokens.json');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    await expect(deviceLogin(settings(gh.server.url, path), { print: () => {}, secondMs: 1, signal: abort.signal })).rejects.toThrow();
    await expect(stat(path)).rejects.toThrow();
  });
});
