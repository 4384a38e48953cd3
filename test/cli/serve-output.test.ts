import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responsesTextStream, sendSse, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const bin = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'ccrx.js');
let dir: string;
let upstream: MockUpstream;
let config: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccrx-serve-output-'));
  upstream = await startMockUpstream((_req, res) => sendSse(res, responsesTextStream('hi')));
  config = join(dir, 'router.config.mjs');
  writeFileSync(config, `export default { plugins: [{ name: 'test-upstream', apply({ hooks }) { hooks.request.tap('test-upstream', (ex) => { ex.upstream.url = new URL('/responses', ${JSON.stringify(upstream.url)}); return undefined; }); } }] };\n`);
});
afterAll(async () => {
  for (const child of children) if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ PATH: process.env.PATH ?? '', HOME: dir, TERM: 'xterm-256color', LOG_LEVEL: 'info' });

/** Starts the command detached (its own group, killed whole), collecting `stream`'s text until `until` matches. */
function run(command: string, args: string[], stream: 'stdout' | 'stderr') {
  const child = spawn(command, args, { cwd: dir, env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  child[stream]!.on('data', (d: Buffer) => (text += d.toString()));
  const waitFor = async (pattern: RegExp): Promise<RegExpMatchArray> => {
    for (let i = 0; i < 200; i++) {
      const m = stripVTControlCharacters(text).match(pattern);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${pattern} in:\n${text}`);
  };
  return { child, waitFor, text: () => stripVTControlCharacters(text) };
}

async function oneRequest(url: string): Promise<void> {
  const res = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-test-model', input: 'hi', stream: true }) });
  expect(res.status).toBe(200);
  await res.text();
}

describe('ccrx serve output', () => {
  it.runIf(existsSync('/usr/bin/script'))('on a terminal: a short banner, then one readable line per request', async () => {
    // util-linux script gives serve a real pseudo-terminal; its output arrives on script's stdout.
    const serve = run('script', ['-qfec', `'${process.execPath}' '${bin}' serve -c '${config}' -p 0`, '/dev/null'], 'stdout');
    const [, url] = await serve.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    await new Promise((r) => setTimeout(r, 300));
    const banner = serve.text().split(/\r?\n/).filter((l) => l.trim());
    expect(banner.length).toBeLessThanOrEqual(3);
    await oneRequest(url!);
    await oneRequest(url!);
    await serve.waitFor(/POST \/v1\/responses[^\n]*\n[^\n]*POST \/v1\/responses/);
    await new Promise((r) => setTimeout(r, 300));
    const after = serve.text().split(/\r?\n/).filter((l) => l.trim()).slice(banner.length);
    expect(after).toHaveLength(2);
    for (const line of after) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}POST \/v1\/responses {2}gpt-test-model {2}200 {2}\d+ ms$/);
    expect(serve.text()).not.toContain('{"level"');
  }, 30_000);

  it('into a pipe: the full JSON records, as before', async () => {
    const serve = run(process.execPath, [bin, 'serve', '-c', config, '-p', '0'], 'stderr');
    const [, url] = await serve.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
    await oneRequest(url!);
    await serve.waitFor(/"msg":"request completed"/);
    const records = serve.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((r) => r.msg === 'codex-code-router listening')).toMatchObject({ url, chains: [{ provider: 'default' }] });
    expect(records.find((r) => r.msg === 'request completed')).toMatchObject({ method: 'POST', path: '/v1/responses', model: 'gpt-test-model', status: 200, outcome: 'completed' });
  }, 30_000);
});
