import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ccrxBin, createSandbox, isAlive, writeConfig, type Sandbox } from '../service/helpers.js';

// `ccrx stop` signals only a process proven to be this gateway. The CLI runs from dist/ (`npm test` builds first).

let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});
beforeAll(() => {
  expect(existsSync(new URL('../../dist/src/cli/stop.js', import.meta.url)), 'run `npm run build` first').toBe(true);
});

/** A real process that has nothing to do with ccrx. */
function unrelated(): ChildProcess {
  return sb.track(spawn('sleep', ['60'], { stdio: 'ignore' }));
}

function writePid(file: string, pid: number, url: string, identity?: string): void {
  mkdirSync(sb.stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify({ pid, identity, url, startedAt: new Date().toISOString(), shutdownGraceMs: 100 }), { mode: 0o600 });
}

/** The identity `start` records (`/proc/<pid>/stat` field 22). */
function identityOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return `stat:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}

describe('ccrx stop never signals a process it cannot prove is this gateway', () => {
  it('a pid file without identity naming an unrelated process, with nothing at its URL', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const victim = unrelated();
    writePid(sb.pidFile, victim.pid!, sb.url);

    const stop = await sb.ccrx(['stop', '--timeout-ms', '200']);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toContain(`not stopping pid ${victim.pid}: nothing proves it is this gateway`);
    expect(stop.stderr).toContain('records no process identity');
    expect(isAlive(victim.pid!)).toBe(true);
    // The record is left for the user to judge: it is not ours to remove on a guess.
    expect(existsSync(sb.pidFile)).toBe(true);

    const restart = await sb.ccrx(['restart', '--timeout-ms', '200']);
    expect(restart.code).toBe(1);
    expect(isAlive(victim.pid!)).toBe(true);
  }, 30_000);

  it('a pid file without identity whose URL is a real gateway running as another pid', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const serve = sb.track(spawn(process.execPath, [ccrxBin, 'serve'], { cwd: sb.dir, env: sb.env, stdio: 'ignore' }));
    for (let i = 0; i < 100 && !(await fetch(`${sb.url}/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    const victim = unrelated();
    writePid(sb.pidFile, victim.pid!, sb.url);

    const stop = await sb.ccrx(['stop', '--timeout-ms', '200']);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toContain(`/_ccrx/status answered as pid ${serve.pid}`);
    expect(isAlive(victim.pid!)).toBe(true);
    expect(isAlive(serve.pid!)).toBe(true);
  }, 30_000);

  it.runIf(process.platform === 'linux')('a matching identity counts only in a pid file of yours that nobody else can write', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const victim = unrelated();
    // Planted through a symlink at the pid path.
    const elsewhere = join(sb.dir, 'planted.pid');
    writePid(elsewhere, victim.pid!, sb.url, identityOf(victim.pid!));
    mkdirSync(sb.stateDir, { recursive: true });
    symlinkSync(elsewhere, sb.pidFile);
    const viaLink = await sb.ccrx(['stop', '--timeout-ms', '200']);
    expect(viaLink.code).toBe(1);
    expect(viaLink.stderr).toContain('is not a regular file that only you can write');
    expect(isAlive(victim.pid!)).toBe(true);

    // A file others can write may have been written by them.
    rmSync(sb.pidFile);
    writePid(sb.pidFile, victim.pid!, sb.url, identityOf(victim.pid!));
    chmodSync(sb.pidFile, 0o662);
    const writable = await sb.ccrx(['stop', '--timeout-ms', '200']);
    expect(writable.code).toBe(1);
    expect(writable.stderr).toContain('is not a regular file that only you can write');
    expect(isAlive(victim.pid!)).toBe(true);
  }, 30_000);

  it('still stops the gateway `ccrx start` spawned', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    expect((await sb.ccrx(['start'])).code).toBe(0);
    const pid = sb.readPid()!;
    const stop = await sb.ccrx(['stop']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(`stopped ccrx (pid ${pid})`);
    expect(isAlive(pid)).toBe(false);
  }, 30_000);
});
