import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPrefix, planUpdate } from '../../src/service/update.js';
import { npm, npmEnv as npmDefaults, pack } from '../support/packed.js';
import { createSandbox, repoRoot, run, writeConfig, type Sandbox } from './helpers.js';

describe('installPrefix', () => {
  it('finds the npm global prefix from the real path of the running script', () => {
    expect(installPrefix('/usr/local/lib/node_modules/codex-code-router/bin/ccrx.js')).toBe('/usr/local');
    expect(installPrefix('/home/me/.npm-global/lib/node_modules/codex-code-router/dist/src/cli/index.js')).toBe('/home/me/.npm-global');
    expect(installPrefix('C:\\Users\\me\\AppData\\Roaming\\npm\\node_modules\\codex-code-router\\bin\\ccrx.js')).toBe(['C:', 'Users', 'me', 'AppData', 'Roaming', 'npm'].join(process.platform === 'win32' ? '\\' : '/'));
    expect(installPrefix('/home/dev/src/codex-code-router/bin/ccrx.js')).toBeUndefined();
  });

  it('plans npm install -g --prefix with the version, registry or package file', () => {
    expect(planUpdate({ prefix: '/p' })).toEqual({ description: 'latest npm package codex-code-router', prefix: '/p', args: ['install', '--global', '--prefix', '/p', '--no-audit', '--no-fund', 'codex-code-router@latest'] });
    expect(planUpdate({ prefix: '/p', version: '1.2.3', registry: 'http://127.0.0.1:4873' }).args.slice(-3)).toEqual(['--registry', 'http://127.0.0.1:4873', 'codex-code-router@1.2.3']);
    expect(planUpdate({ prefix: '/p', from: 'x.tgz', cwd: '/d' }).description).toBe('package file /d/x.tgz');
    expect(() => planUpdate({ prefix: '/p', from: 'x.tgz', version: '1.0.0' })).toThrow('cannot be combined');
  });
});

// Installs a packed tarball of this repository into a temporary npm prefix, then updates it from a
// second tarball with a different version. npm prefers its cache: a warm machine stays off the network, and one
// whose cache was empty before `npm ci` (tarballs but no package metadata) fetches the metadata from the registry.
describe('ccrx update from a packed tarball', () => {
  let tmp: string;
  let prefix: string;
  let next: string;
  let npmEnv: Record<string, string>;
  let sb: Sandbox;
  const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

  beforeAll(async () => {
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'ccrx-update-')));
    npmEnv = npmDefaults();
    const current = pack(repoRoot, tmp, npmEnv).file;
    // The "new release": the same package with another version.
    execFileSync('tar', ['-xzf', current, '-C', tmp]);
    const manifest = join(tmp, 'package', 'package.json');
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), version: '9.9.9-test' }, null, 2));
    next = pack(join(tmp, 'package'), tmp, npmEnv).file;
    prefix = join(tmp, 'prefix');
    npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', current], tmp, npmEnv);
    sb = await createSandbox();
    writeConfig(sb);
  }, 120_000);

  afterAll(async () => {
    await sb?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const installed = () => (JSON.parse(readFileSync(join(prefix, 'lib', 'node_modules', 'codex-code-router', 'package.json'), 'utf8')) as { version: string }).version;

  it('--no-restart installs into the prefix ccrx runs from and leaves the service alone', async () => {
    const ccrx = join(prefix, 'bin', 'ccrx');
    expect(installed()).toBe(version.version);
    const started = await sb.ccrx(['start'], { script: ccrx });
    expect(started.code).toBe(0);
    const pid = sb.readPid();

    const updated = await sb.ccrx(['update', '--no-restart', '--from', next], { script: ccrx, env: npmEnv });
    expect(updated.stderr).not.toContain('ccrx:');
    expect(updated.code).toBe(0);
    const lines = updated.stdout.split('\n');
    expect(lines).toContain(`updating ccrx from package file ${next}`);
    expect(lines).toContain(`install prefix: ${prefix}`);
    expect(lines).toContain(`running: npm install --global --prefix ${prefix} --no-audit --no-fund ${next}`);
    expect(lines).toContain(`installed codex-code-router 9.9.9-test (was ${version.version})`);
    expect(lines).toContain('skipped restart; run `ccrx restart` when you want Codex to use the update');
    expect(installed()).toBe('9.9.9-test');
    expect((await run(process.execPath, [ccrx, '--version'], { cwd: sb.dir, env: sb.env })).stdout.trim()).toBe('9.9.9-test');

    // The service kept running the old version.
    expect(sb.readPid()).toBe(pid);
    const status = JSON.parse((await sb.ccrx(['status', '--json'], { script: ccrx })).stdout) as { service: { version: string } };
    expect(status.service.version).toBe(version.version);
  }, 120_000);

  it('without --no-restart, restarts the running service on the new version', async () => {
    const ccrx = join(prefix, 'bin', 'ccrx');
    const before = sb.readPid();
    const updated = await sb.ccrx(['update', '--from', next], { script: ccrx, env: npmEnv });
    expect(updated.code).toBe(0);
    const after = sb.readPid();
    expect(after).not.toBe(before);
    expect(updated.stdout).toContain(`stopped ccrx (pid ${before})`);
    expect(updated.stdout).toContain(`started ccrx at ${sb.url} (pid ${after})`);
    const status = JSON.parse((await sb.ccrx(['status', '--json'], { script: ccrx })).stdout) as { state: string; service: { version: string } };
    expect(status.state).toBe('running');
    expect(status.service.version).toBe('9.9.9-test');
  }, 120_000);

  it('refuses to guess a prefix for a git checkout', async () => {
    const res = await sb.ccrx(['update', '--no-restart']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('which is not an npm global install; pass --prefix DIR');
  }, 30_000);
});
