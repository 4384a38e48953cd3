import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createRouter } from '../../src/index.js';
import authTokenFile from '../../src/plugins/auth-copilot-tokenfile/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import { responsesTextStream, sendSse, startMockUpstream } from '../support/mock-upstream.js';
import { runCcrx } from '../support/serve.js';
import { tempDir } from '../support/temp.js';

// A token file others can read or write is used, but never silently: the user is told how to fix it, as ssh does.

const GITHUB = 'gho_ModeTestGithubToken0123456789';
const COPILOT = 'tid=modetest;exp=9999999999;sku=x;8kp=1:abcdef';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function tokenFile(mode: number): string {
  const file = join(tempDir('ccrx-token-mode-'), 'tokens.json');
  writeFileSync(file, JSON.stringify({ githubToken: GITHUB, copilotToken: COPILOT, expiresAt: Math.floor(Date.now() / 1000) + 3600 }));
  chmodSync(file, mode);
  return file;
}

describe('token file mode', () => {
  it('the gateway warns once about a 0666 token file, with the fix and without the secret', async () => {
    const file = tokenFile(0o666);
    const upstream = await startMockUpstream((_req, res) => sendSse(res, responsesTextStream('ok')));
    cleanup.push(() => upstream.close());
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', pretty: false, destination: { write: (line: string) => void lines.push(line) } });
    const router = await createRouter({ plugins: [[copilotUpstream, { responsesUrl: `${upstream.url}/responses` }], [authTokenFile, { tokenFile: file }]] }, { env: {}, logger, overrides: { port: 0, host: '127.0.0.1' } });
    const { url } = await router.listen();
    cleanup.push(() => router.close());

    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"gpt-5","input":"hi","stream":true}' });
      expect(res.status).toBe(200);
      await res.text();
    }
    const warnings = lines.filter((l) => l.includes('has mode 0666'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`can be read and written by other users; run \`chmod 600 ${file}\``);
    expect(lines.join('')).not.toContain(GITHUB);
    expect(lines.join('')).not.toContain(COPILOT);
  });

  it('print-token warns on stderr and still prints only the token on stdout', async () => {
    const file = tokenFile(0o644);
    const out = await runCcrx(['print-token'], { HOME: tempDir('ccrx-token-mode-home-'), COPILOT_TOKEN_FILE: file });
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(COPILOT);
    expect(out.stderr).toContain(`has mode 0644: it can be read by other users; run \`chmod 600 ${file}\``);
    expect(out.stderr).not.toContain(GITHUB);
    expect(out.stderr).not.toContain(COPILOT);
  });

  it('a 0600 file gets no warning', async () => {
    const out = await runCcrx(['print-token'], { HOME: tempDir('ccrx-token-mode-home-'), COPILOT_TOKEN_FILE: tokenFile(0o600) });
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
  });
});
