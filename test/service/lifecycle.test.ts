import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ccrxBin, createSandbox, isAlive, run, setAuth, writeConfig, type Sandbox } from './helpers.js';

// The CLI runs from dist/: `npm test` builds first (pretest); run `npm run build` before running this file alone.

let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});
beforeAll(() => {
  expect(existsSync(new URL('../../dist/src/cli/start.js', import.meta.url)), 'run `npm run build` first').toBe(true);
});

describe('ccrx start / status / restart / stop', () => {
  it('runs the service in the background across the whole life cycle', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const notYet = await sb.ccrx(['status']);
    expect(notYet.code).toBe(3);
    expect(notYet.stdout).toContain('ccrx is stopped');

    const started = await sb.ccrx(['start']);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const pid = sb.readPid()!;
    expect(started.stdout).toContain(`started ccrx at ${sb.url} (pid ${pid})`);
    expect(started.stdout).toContain(`log: ${sb.logFile}`);

    const health = await fetch(`${sb.url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { service: string }).service).toBe('codex-code-router');

    const status = await sb.ccrx(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`ccrx is running at ${sb.url} (pid ${pid})`);
    expect(status.stdout).toMatch(/requests\s+0 \(errors 0, retries 0, in flight 0\)/);
    expect(status.stdout).toContain(sb.logFile);

    const again = await sb.ccrx(['start']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`ccrx is already running at ${sb.url} (pid ${pid})`);
    expect(sb.readPid()).toBe(pid);

    const restarted = await sb.ccrx(['restart']);
    expect(restarted.code).toBe(0);
    const newPid = sb.readPid()!;
    expect(newPid).not.toBe(pid);
    expect(isAlive(pid)).toBe(false);
    expect(restarted.stdout).toContain(`stopped ccrx (pid ${pid})`);
    expect(restarted.stdout).toContain(`started ccrx at ${sb.url} (pid ${newPid})`);
    expect((await fetch(`${sb.url}/health`)).status).toBe(200);

    const stopped = await sb.ccrx(['stop']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`stopped ccrx (pid ${newPid})`);
    expect(stopped.stdout).not.toContain('SIGKILL');
    expect(existsSync(sb.pidFile)).toBe(false);
    expect(isAlive(newPid)).toBe(false);
    await expect(fetch(`${sb.url}/health`)).rejects.toThrow();

    const after = await sb.ccrx(['status']);
    expect(after.code).toBe(3);
    expect(after.stdout).toContain('ccrx is stopped');
    expect((await sb.ccrx(['stop'])).stdout).toContain('ccrx is already stopped');

    // The log holds the service's own lines and the control breadcrumbs, never env values.
    const log = readFileSync(sb.logFile, 'utf8');
    expect(log).toContain('codex-code-router listening');
    expect(log).toContain('"event":"service_stopped"');
    expect(log).not.toContain(sb.home);
  }, 60_000);

  it('start, status and stop work against a gateway that requires its local API key', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const env = { CCRX_API_KEY: 'local-key-0123456789' };
    const started = await sb.ccrx(['start'], { env });
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const pid = sb.readPid()!;
    expect((await fetch(`${sb.url}/health`)).status).toBe(401);
    const status = await sb.ccrx(['status'], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`ccrx is running at ${sb.url} (pid ${pid})`);
    const stopped = await sb.ccrx(['stop'], { env });
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`stopped ccrx (pid ${pid})`);
    expect(isAlive(pid)).toBe(false);
  }, 60_000);

  it('status, start and stop use the local API key of the config file when CCRX_API_KEY is not set', async () => {
    sb = await createSandbox();
    writeConfig(sb, { apiKey: 'config-key-0123456789' });
    const started = await sb.ccrx(['start']);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const pid = sb.readPid()!;
    expect((await fetch(`${sb.url}/health`)).status).toBe(401);
    // From another directory: the config is the one start was given, not one found from the cwd.
    const status = await sb.ccrx(['status'], { cwd: sb.home });
    expect(status.stdout).toContain(`ccrx is running at ${sb.url} (pid ${pid})`);
    expect(status.code).toBe(0);
    const again = await sb.ccrx(['start']);
    expect(again.stdout).toContain(`ccrx is already running at ${sb.url} (pid ${pid})`);
    expect(again.code).toBe(0);
    const stopped = await sb.ccrx(['stop'], { cwd: sb.home });
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`stopped ccrx (pid ${pid})`);
    expect(isAlive(pid)).toBe(false);
  }, 60_000);

  it('restart keeps the options start was given, from any directory', async () => {
    sb = await createSandbox();
    const config = writeConfig(sb);
    const { port } = sb;
    // Options on the command line, not in the environment: restart must replay them.
    const env = { PORT: '' };
    const started = await sb.ccrx(['start', '--config', 'router.config.mjs', '--port', String(port), '--log-level', 'debug'], { env });
    expect(started.code).toBe(0);
    const stored = JSON.parse(readFileSync(`${sb.stateDir}/service.json`, 'utf8')) as Record<string, unknown>;
    expect(stored).toEqual({ cwd: sb.dir, config, port: String(port), logLevel: 'debug' });

    const restarted = await sb.ccrx(['restart'], { cwd: sb.home, env });
    expect(restarted.code).toBe(0);
    expect(restarted.stdout).toContain(`started ccrx at http://127.0.0.1:${port}`);
    const status = await sb.ccrx(['status', '--json'], { env });
    const report = JSON.parse(status.stdout) as { state: string; service: { configFile: string; chains: { plugins: string[] }[] } };
    expect(report.state).toBe('running');
    expect(report.service.configFile).toBe(config);
    expect(report.service.chains[0]!.plugins).toEqual(['test-upstream']);
  }, 60_000);

  it('status shows the config, chain, auth source and expiry, and exits 1 with the fix when auth breaks', async () => {
    sb = await createSandbox();
    const expiresAt = new Date(Date.now() + 25 * 60_000).toISOString();
    writeConfig(sb, { auth: { ok: true, source: 'token file', expiresAt } });
    expect((await sb.ccrx(['start'])).code).toBe(0);

    const ok = await sb.ccrx(['status']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('router.config.mjs');
    expect(ok.stdout).toMatch(/chain\s+default: test-upstream/);
    expect(ok.stdout).toMatch(/auth\s+ok, from token file, Copilot token expires in 2\dm/);

    setAuth(sb, { ok: false, message: 'the GitHub token was revoked', fix: 'ccrx login' });
    const broken = await sb.ccrx(['status']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('with 1 problem');
    expect(broken.stdout).toContain('default > auth: the GitHub token was revoked (fix: ccrx login)');
    const json = JSON.parse((await sb.ccrx(['status', '--json'])).stdout) as { state: string; problems: unknown[]; auth: unknown };
    expect(json.state).toBe('unhealthy');
    expect(json.auth).toEqual({ ok: false, message: 'the GitHub token was revoked', fix: 'ccrx login' });
  }, 60_000);

  it('start without usable auth and no terminal fails with the fix and starts nothing', async () => {
    sb = await createSandbox();
    writeConfig(sb, { auth: { ok: false, message: 'no GitHub token found', fix: 'ccrx login' } });
    const started = await sb.ccrx(['start']);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain('Copilot auth is unavailable: no GitHub token found; run `ccrx login`, then start the service again');
    expect(existsSync(sb.pidFile)).toBe(false);
    await expect(fetch(`${sb.url}/health`)).rejects.toThrow();
  }, 30_000);

  it('start with the built-in Copilot chain and no token refuses, naming ccrx login', async () => {
    sb = await createSandbox();
    const started = await sb.ccrx(['start'], { env: { COPILOT_BEARER_TOKEN: '' } });
    expect(started.code).toBe(1);
    expect(started.stderr).toMatch(/^ccrx: Copilot auth is unavailable: .*ccrx login/);
    expect(existsSync(sb.pidFile)).toBe(false);
  }, 30_000);

  it('start reports a config error in the terminal', async () => {
    sb = await createSandbox();
    writeFileSync(`${sb.dir}/router.config.mjs`, 'export default { plugins: ["no-such-plugin"] };\n');
    const started = await sb.ccrx(['start']);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain('no-such-plugin');
    expect(existsSync(sb.pidFile)).toBe(false);
  }, 30_000);

  it('start explains a service that dies at startup (port taken by another program)', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const blocker = sb.track(spawn(process.execPath, ['-e', `require('net').createServer(s=>s.destroy()).listen(${sb.port}, '127.0.0.1'); setInterval(()=>{}, 1000)`], { stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 300));
    const started = await sb.ccrx(['start']);
    expect(started.code).toBe(1);
    expect(started.stderr).toMatch(/the service exited during startup with code 1; last log lines:[\s\S]*EADDRINUSE/);
    expect(existsSync(sb.pidFile)).toBe(false);
    expect(isAlive(blocker.pid!)).toBe(true);
  }, 30_000);
});

describe('a gateway ccrx did not start', () => {
  it('status and stop point at a foreground ccrx serve instead of touching it', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const serve = sb.track(spawn(process.execPath, [ccrxBin, 'serve'], { cwd: sb.dir, env: sb.env, stdio: 'ignore' }));
    for (let i = 0; i < 100 && !(await fetch(`${sb.url}/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));

    const status = await sb.ccrx(['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain(`ccrx is reachable at ${sb.url}, but no pid file exists`);
    const stop = await sb.ccrx(['stop']);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toContain(`ccrx (pid ${serve.pid}) is reachable at ${sb.url}, but no pid file exists`);
    expect(isAlive(serve.pid!)).toBe(true);
    const start = await sb.ccrx(['start']);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(`ccrx (pid ${serve.pid}) is reachable at ${sb.url}, but no pid file exists`);
  }, 30_000);

  it('finds a foreground ccrx serve that requires the config file\'s local API key', async () => {
    sb = await createSandbox();
    writeConfig(sb, { apiKey: 'config-key-0123456789' });
    const serve = sb.track(spawn(process.execPath, [ccrxBin, 'serve'], { cwd: sb.dir, env: sb.env, stdio: 'ignore' }));
    for (let i = 0; i < 100 && (await fetch(`${sb.url}/health`).then((r) => r.status, () => 0)) !== 401; i++) await new Promise((r) => setTimeout(r, 100));

    const status = await sb.ccrx(['status']);
    expect(status.stdout).toContain(`ccrx is reachable at ${sb.url}, but no pid file exists`);
    expect(status.code).toBe(1);
    const stop = await sb.ccrx(['stop']);
    expect(stop.stderr).toContain(`ccrx (pid ${serve.pid}) is reachable at ${sb.url}, but no pid file exists`);
    expect(stop.code).toBe(1);
    expect(isAlive(serve.pid!)).toBe(true);
  }, 30_000);
});

describe('stale pid files', () => {
  it('a dead pid is reported by status, then cleaned by start', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    writePid(sb, dead.pid!);
    const status = await sb.ccrx(['status']);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain(`the pid file is stale (pid ${dead.pid} is gone)`);

    const started = await sb.ccrx(['start']);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`removed stale pid file (pid ${dead.pid} is gone)`);
    expect(sb.readPid()).not.toBe(dead.pid);
    expect((await fetch(`${sb.url}/health`)).status).toBe(200);
  }, 30_000);

  it('a pid reused by another program is never signalled', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const other = sb.track(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }));
    // As if our service had died and the system had given its pid to this program.
    writePid(sb, other.pid!, 'stat:1');

    const stopped = await sb.ccrx(['stop']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`ccrx was not running; removed stale pid file (pid ${other.pid} now belongs to another program)`);
    expect(isAlive(other.pid!)).toBe(true);
    expect(existsSync(sb.pidFile)).toBe(false);

    writePid(sb, other.pid!, 'stat:1');
    const started = await sb.ccrx(['start']);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`removed stale pid file (pid ${other.pid} now belongs to another program)`);
    expect(sb.readPid()).not.toBe(other.pid);
    expect(isAlive(other.pid!)).toBe(true);
  }, 30_000);
});

// The original codex-code-router wrote `<pid>` and a newline; users come from there with that file in place.
describe('a pid file in the original codex-code-router format', () => {
  const writeLegacyPid = (pid: number) => {
    mkdirSync(sb.stateDir, { recursive: true });
    writeFileSync(sb.pidFile, `${pid}\n`);
  };

  it('a dead pid is stale: status says so and start removes it and starts', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    writeLegacyPid(dead.pid!);
    const status = await sb.ccrx(['status']);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain(`the pid file is the original codex-code-router's, of pid ${dead.pid}, which is gone`);
    const started = await sb.ccrx(['start']);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`removed stale pid file of the original codex-code-router (pid ${dead.pid} is gone)`);
    expect(sb.readPid()).toBeGreaterThan(0);
    expect((await fetch(`${sb.url}/health`)).status).toBe(200);
  }, 30_000);

  it('a live pid answering as a gateway is an older ccrx still running: start and stop say how to stop it and signal nothing', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const older = sb.track(spawn(process.execPath, [ccrxBin, 'serve'], { cwd: sb.dir, env: sb.env, stdio: 'ignore' }));
    for (let i = 0; i < 100 && !(await fetch(`${sb.url}/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    writeLegacyPid(older.pid!);

    const start = await sb.ccrx(['start']);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(`an older codex-code-router (pid ${older.pid}, recorded in the original project's pid file ${sb.pidFile}) is still running at ${sb.url}; stop it with \`kill ${older.pid}\``);
    expect(start.stderr).not.toContain('does not hold a pid record');
    const stop = await sb.ccrx(['stop']);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toContain(`stop it with \`kill ${older.pid}\``);
    const status = await sb.ccrx(['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain(`an older codex-code-router (pid ${older.pid}`);
    expect(isAlive(older.pid!)).toBe(true);
    expect(readFileSync(sb.pidFile, 'utf8')).toBe(`${older.pid}\n`);
  }, 30_000);

  it('a live pid that is no gateway stops start with both ways out', async () => {
    sb = await createSandbox();
    writeConfig(sb);
    const other = sb.track(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }));
    writeLegacyPid(other.pid!);
    const start = await sb.ccrx(['start']);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(`holds pid ${other.pid} in the original codex-code-router's format; that process is alive, but no gateway answers at ${sb.url}`);
    expect(start.stderr).toContain(`remove ${sb.pidFile}`);
    expect(isAlive(other.pid!)).toBe(true);
  }, 30_000);
});

function writePid(sb: Sandbox, pid: number, identity?: string): void {
  mkdirSync(sb.stateDir, { recursive: true });
  writeFileSync(sb.pidFile, JSON.stringify({ pid, identity, url: sb.url, startedAt: new Date().toISOString(), shutdownGraceMs: 1000 }));
}


// A real terminal through util-linux `script`; the CLI is wrapped so `login` succeeds offline by fixing the auth check.
describe.runIf(process.platform === 'linux' && existsSync('/usr/bin/script'))('start in a terminal without auth', () => {
  async function startInTerminal(answer: string) {
    writeConfig(sb, { auth: { ok: false, message: 'no GitHub token found', fix: 'ccrx login' } });
    const wrapper = `${sb.dir}/ccrx-wrapper.mjs`;
    writeFileSync(
      wrapper,
      `import { writeFileSync } from 'node:fs';
if (process.argv[2] === 'login') {
  writeFileSync(${JSON.stringify(`${sb.dir}/auth.json`)}, JSON.stringify({ ok: true, source: 'device login' }));
  console.error('logged in (test double)');
  process.exit(0);
}
const { main } = await import(${JSON.stringify(new URL('../../dist/src/cli/index.js', import.meta.url).href)});
await main(process.argv.slice(2));
`,
    );
    return run('/bin/sh', ['-c', `printf '${answer}\\n' | script -qec "'${process.execPath}' '${wrapper}' start" /dev/null`], { cwd: sb.dir, env: sb.env });
  }

  it('asks to run ccrx login and starts once login succeeds', async () => {
    sb = await createSandbox();
    const res = await startInTerminal('y');
    expect(res.stdout).toContain('Copilot auth is unavailable: no GitHub token found');
    expect(res.stdout).toContain('Run ccrx login now? [Y/n]');
    expect(res.stdout).toContain('logged in (test double)');
    expect(res.stdout).toContain(`started ccrx at ${sb.url}`);
    expect((await fetch(`${sb.url}/health`)).status).toBe(200);
  }, 30_000);

  it('a "no" leaves the service stopped with the fix', async () => {
    sb = await createSandbox();
    const res = await startInTerminal('n');
    expect(res.stdout).toContain('Run ccrx login now? [Y/n]');
    expect(res.stdout).toContain('Copilot auth is unavailable: no GitHub token found; run `ccrx login`');
    expect(res.stdout).not.toContain('logged in');
    expect(existsSync(sb.pidFile)).toBe(false);
  }, 30_000);
});
