import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startListening, type Listening } from '../support/listening.js';
import { freePort } from '../support/ports.js';
import { runChild } from '../support/child.js';
import { tempDir } from '../support/temp.js';
import { repoRoot } from './helpers.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const setup = readme.slice(readme.indexOf('## Set-up (from a clone)'), readme.indexOf('## Point Codex at the gateway'));

// The README's set-up, run the way a new user runs it from a clone: `npm start` with a HOME that holds no token.
describe('the README set-up from a clone', () => {
  let gw: Listening | undefined;
  afterAll(async () => {
    await gw?.stop();
  });

  it('is two commands, and the gateway one is `npm start` (no npx: it would link the clone into its cache)', () => {
    const block = /```sh\n([\s\S]*?)```/.exec(setup)![1]!;
    expect(block.split('\n').filter(Boolean).map((line) => line.split('#')[0]!.trim())).toEqual(['npm ci && npm start', 'npm test']);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node bin/ccrx.js serve');
    expect(setup).toContain('`npm start` is `node bin/ccrx.js serve`');
  });

  it('without credentials, /health and a request answer as the README says', async () => {
    const home = tempDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    gw = await startListening('npm', ['start'], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', HOME: home, PORT: String(port), npm_config_update_notifier: 'false' }, url, timeoutMs: 60_000 });

    const health = (await (await fetch(`${url}/health`)).json()) as { providers: { default: { checks: { auth: { ok: boolean; message: string } } } } };
    expect(setup).toContain('`/health` then shows `"auth": { "ok": false, ... }` under\n`providers.default.checks`, with a message naming the token file it looked for');
    expect(health.providers.default.checks.auth.ok).toBe(false);
    expect(health.providers.default.checks.auth.message).toContain(join(home, '.copilot-tokens.json'));

    const res = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"gpt-5.2-codex","input":"hi"}' });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(setup).toContain('a request gets a 401\n(`copilot_auth_unavailable`) whose message says to run `ccrx login` (or set `COPILOT_BEARER_TOKEN`)');
    expect(res.status).toBe(401);
    expect(body.error.code).toBe('copilot_auth_unavailable');
    expect(body.error.message).toContain('run `ccrx login` (or set COPILOT_BEARER_TOKEN)');
  }, 90_000);

  it('a clone that was not built yet says how to build it, rather than a module-not-found trace', async () => {
    const clone = tempDir();
    mkdirSync(join(clone, 'bin'));
    copyFileSync(join(repoRoot, 'bin', 'ccrx.js'), join(clone, 'bin', 'ccrx.js'));
    const res = await runChild(process.execPath, [join(clone, 'bin', 'ccrx.js'), 'login'], { PATH: process.env.PATH ?? '' }, 30_000);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('ccrx: dist/ is not built yet in this clone; run `npm run build` (npm start and npm test build it too)\n');
  });
});
