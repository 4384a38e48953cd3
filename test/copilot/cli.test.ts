import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { sendJson } from '../support/mock-upstream.js';
import { mock, nowS, tempDir, tokenEndpoint, writeJson } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the built CLI (`node bin/ccrx.js`) with a clean environment: only what the test passes, plus PATH. */
function ccrx(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin', 'ccrx.js'), ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(() => {
  // The CLI runs from dist/ (`npm test` builds first; otherwise run `npm run build`).
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'print-token.js'))) throw new Error('dist/ has no print-token command: run `npm run build` first');
});

describe('ccrx print-token (real binary)', () => {
  it('writes only the bearer token to stdout, without a newline, from the token file under HOME', async () => {
    const home = await tempDir();
    await writeJson(join(home, '.copilot-tokens.json'), { copilotToken: 'secret-token' });
    const r = await ccrx(['print-token'], { HOME: home });
    expect(r).toEqual({ code: 0, stdout: 'secret-token', stderr: '' });
  });

  it('prefers COPILOT_BEARER_TOKEN and strips its Bearer prefix', async () => {
    const home = await tempDir();
    const r = await ccrx(['print-token'], { HOME: home, COPILOT_BEARER_TOKEN: ' Bearer env-token ' });
    expect(r).toEqual({ code: 0, stdout: 'env-token', stderr: '' });
  });

  it('refreshes an expired token through COPILOT_TOKEN_URL and rewrites COPILOT_TOKEN_FILE', async () => {
    const dir = await tempDir();
    const file = join(dir, 'custom.json');
    await writeJson(file, { githubToken: 'gh', copilotToken: 'stale', expiresAt: nowS() - 1, other: true });
    const ep = await tokenEndpoint();
    const r = await ccrx(['print-token'], { HOME: dir, COPILOT_TOKEN_FILE: file, COPILOT_TOKEN_URL: ep.url });
    expect(r).toEqual({ code: 0, stdout: 'fresh-copilot-1', stderr: '' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ copilotToken: 'fresh-copilot-1', other: true });
  });

  it('reports missing auth on stderr with an empty stdout and exit code 1', async () => {
    const home = await tempDir();
    const r = await ccrx(['print-token'], { HOME: home });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('missing Copilot bearer token');
    expect(r.stderr).toContain('ccrx login');
    expect(r.stderr.endsWith('\n')).toBe(true);
  });

  it('reports a corrupt file without echoing it and leaves it untouched', async () => {
    const home = await tempDir();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(home, '.copilot-tokens.json'), '{"copilotToken":"cp-secret"');
    const r = await ccrx(['print-token'], { HOME: home });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('failed to parse Copilot token file');
    expect(r.stderr).not.toContain('cp-secret');
    expect(await readFile(join(home, '.copilot-tokens.json'), 'utf8')).toBe('{"copilotToken":"cp-secret"');
  });
});

describe('ccrx login (real binary)', () => {
  it('runs the device flow from env settings, prints on stderr only, and saves the file under HOME (0600)', async () => {
    const gh = await mock((req, res) => {
      if (req.url === '/device') return sendJson(res, 200, { device_code: 'dev-secret', user_code: 'WXYZ-9876', verification_uri: 'https://github.com/login/device', interval: 0, expires_in: 60 });
      if (req.url === '/poll') return sendJson(res, 200, { access_token: 'gho_logintoken' });
      if (req.url === '/exchange') return sendJson(res, 200, { token: 'copilot-session', expires_at: 1_900_000_000 });
      sendJson(res, 404, {});
    });
    const home = await tempDir();
    const r = await ccrx(['login'], { HOME: home, GITHUB_DEVICE_CODE_URL: `${gh.url}/device`, GITHUB_ACCESS_TOKEN_URL: `${gh.url}/poll`, COPILOT_TOKEN_URL: `${gh.url}/exchange`, GITHUB_OAUTH_CLIENT_ID: 'my-client' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Enter code: WXYZ-9876');
    expect(r.stderr).toContain('GitHub Copilot authentication saved.');
    expect(r.stderr).not.toMatch(/dev-secret|gho_logintoken|copilot-session/);
    expect(gh.requests[0]!.json()).toMatchObject({ client_id: 'my-client' });
    const file = join(home, '.copilot-tokens.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ githubToken: 'gho_logintoken', copilotToken: 'copilot-session' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const printed = await ccrx(['print-token'], { HOME: home });
    expect(printed.stdout).toBe('copilot-session');
  });

  it('exits 1 with the denial on stderr', async () => {
    const gh = await mock((req, res) => {
      if (req.url === '/device') return sendJson(res, 200, { device_code: 'd', user_code: 'U', verification_uri: 'https://github.com/login/device', interval: 0 });
      sendJson(res, 200, { error: 'access_denied' });
    });
    const home = await tempDir();
    const r = await ccrx(['login'], { HOME: home, GITHUB_DEVICE_CODE_URL: `${gh.url}/device`, GITHUB_ACCESS_TOKEN_URL: `${gh.url}/poll` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('GitHub device login was denied');
    await expect(stat(join(home, '.copilot-tokens.json'))).rejects.toThrow();
  });
});
