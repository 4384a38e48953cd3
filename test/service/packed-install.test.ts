import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChild } from '../support/child.js';
import { startListening, type Listening } from '../support/listening.js';
import { npm, pack } from '../support/packed.js';
import { freePort } from '../support/ports.js';
import { tempDir } from '../support/temp.js';
import { repoRoot } from './helpers.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

// The README's global install from a clone: `npm pack`, then `npm install -g` of the tarball, here into a
// temporary prefix. Every command then runs from a folder that has nothing to do with the clone, with a new HOME.
describe('a global install of the packed package', () => {
  let tmp: string;
  let prefix: string;
  let elsewhere: string;
  let env: NodeJS.ProcessEnv;
  const running: Listening[] = [];

  beforeAll(() => {
    tmp = realpathSync(tempDir());
    prefix = join(tmp, 'prefix');
    elsewhere = join(tmp, 'elsewhere');
    mkdirSync(join(tmp, 'home'));
    mkdirSync(elsewhere);
    const tarball = pack(repoRoot, tmp).file;
    npm(['install', '--global', '--prefix', prefix, tarball], elsewhere);
    env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`, HOME: join(tmp, 'home') };
  }, 180_000);

  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
  });

  it('is the install the README describes', () => {
    expect(readme).toContain(`npm install -g ./codex-code-router-${version}.tgz`);
    expect(readme).toContain('npm ci && npm pack');
  });

  it('puts ccrx on the PATH: --help and --version answer from an unrelated folder', async () => {
    const help = await runChild('ccrx', ['--help'], env, 30_000, { cwd: elsewhere });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('serve');
    const v = await runChild('codex-code-router', ['--version'], env, 30_000, { cwd: elsewhere });
    expect(v.stdout.trim()).toBe(version);
  });

  it('ccrx serve starts there and answers /health', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const gw = await startListening('ccrx', ['serve', '--port', String(port)], { cwd: elsewhere, env, url });
    running.push(gw);
    const health = (await (await fetch(`${url}/health`)).json()) as { service: string; version: string; providers: { default: { plugins: string[] } } };
    expect(health).toMatchObject({ service: 'codex-code-router', version });
    expect(health.providers.default.plugins).toContain('copilot-upstream');
    expect(gw.output()).toContain('"configFile":"built-in default"');
  });
});
