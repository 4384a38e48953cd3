import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { follow, lastLines } from '../../src/service/logview.js';
import { ccrxBin, createSandbox, writeConfig, type Sandbox } from './helpers.js';

let sb: Sandbox | undefined;
let tmp: string | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

describe('ccrx logs', () => {
  it('prints the last lines readably, raw with --json, and follows new lines with -f', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    expect((await sb.ccrx(['start'])).code).toBe(0);
    expect((await sb.ccrx(['stop'])).code).toBe(0);

    const pretty = await sb.ccrx(['logs', '-n', '2']);
    expect(pretty.code).toBe(0);
    const lines = pretty.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): service control: service stopped/);

    const raw = await sb.ccrx(['logs', '--json', '-n', '3']);
    const events = raw.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(events).toHaveLength(3);
    expect(events.at(-1)!.msg).toBe('service control: service stopped');

    const follower = sb.track(spawn(process.execPath, [ccrxBin, 'logs', '-f', '-n', '0'], { env: sb.env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    follower.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => setTimeout(r, 800));
    appendFileSync(sb.logFile, `${JSON.stringify({ level: 40, time: Date.now(), pid: 1, msg: 'a new warning' })}\nplain text from a crash\n`);
    await waitFor(() => out.includes('plain text from a crash'));
    expect(out).toMatch(/WARN \(1\): a new warning/);
    const exited = new Promise<number | null>((r) => follower.once('exit', r));
    follower.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 40_000);

  it('says where the log would be when there is none yet', async () => {
    sb = await createSandbox();
    const res = await sb.ccrx(['logs']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`no log yet at ${sb.logFile}`);
  }, 20_000);
});

describe('log files', () => {
  it('the service log (createLogger file, as serve --log-file uses it) rotates at 10 MiB into numbered files', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ccrx-rotate-'));
    const file = join(tmp, 'codex-code-router.log');
    const logger = createLogger({ file, level: 'info' });
    const filler = 'x'.repeat(1000);
    for (let i = 0; i < 11_000; i++) logger.info({ i, filler }, 'filler line');
    logger.info('last line');
    await new Promise<void>((r) => logger.flush(() => r()));
    await waitFor(() => existsSync(`${file}.1`) && readFileSync(file, 'utf8').includes('last line'));
    expect(statSync(`${file}.1`).size).toBeGreaterThan(9 * 1024 * 1024);
    expect(statSync(file).size).toBeLessThan(10 * 1024 * 1024);
    expect(JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!)).toMatchObject({ msg: 'last line', level: 30 });
  }, 40_000);

  it('lastLines reads only the tail; follow survives a rotation', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ccrx-follow-'));
    const file = join(tmp, 'x.log');
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const tail = lastLines(file, 3);
    expect(tail.lines).toEqual(['line 4997', 'line 4998', 'line 4999']);
    expect(lastLines(file, 0).lines).toEqual([]);

    const seen: string[] = [];
    const stop = new AbortController();
    const following = follow(file, tail.size, (l) => seen.push(l), stop.signal, 20);
    appendFileSync(file, 'after 1\npart');
    await waitFor(() => seen.includes('after 1'));
    appendFileSync(file, 'ial\n');
    await waitFor(() => seen.includes('partial'));
    renameSync(file, `${file}.1`);
    writeFileSync(file, 'fresh file\n');
    await waitFor(() => seen.includes('fresh file'));
    stop.abort();
    await following;
    expect(seen).toEqual(['after 1', 'partial', 'fresh file']);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
