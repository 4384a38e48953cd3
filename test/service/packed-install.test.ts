import { copyFileSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChild } from '../support/child.js';
import { startListening, type Listening } from '../support/listening.js';
import { responsesTextStream, sendSse, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { npm, pack, type NpmResult } from '../support/packed.js';
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
  let install: NpmResult;
  const running: Listening[] = [];

  beforeAll(() => {
    tmp = realpathSync(tempDir());
    prefix = join(tmp, 'prefix');
    elsewhere = join(tmp, 'elsewhere');
    mkdirSync(join(tmp, 'home'));
    mkdirSync(elsewhere);
    const tarball = pack(repoRoot, tmp).file;
    install = npm(['install', '--global', '--prefix', prefix, tarball], elsewhere);
    env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`, HOME: join(tmp, 'home') };
  }, 180_000);

  const mocks: MockUpstream[] = [];

  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await Promise.all(mocks.map((m) => m.close()));
  });

  it('is the install the README describes', () => {
    expect(readme).toContain(`npm install -g ./codex-code-router-${version}.tgz`);
    expect(readme).toContain('npm ci && npm pack');
  });

  it('prints no npm warning (no deprecated dependency, no install script)', () => {
    expect(install.stderr).not.toMatch(/npm warn/i);
    const installed = JSON.parse(readFileSync(join(prefix, 'lib', 'node_modules', 'codex-code-router', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(installed.scripts).not.toHaveProperty(script);
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
    await gw.waitForOutput('"configFile":"built-in default"');
  });

  // docs/plugins.md's recipe: the example plugin, packed, installed next to a router.config.ts in a folder of its
  // own while the gateway is the global install above. Its peer dependency on the gateway is optional: npm asks
  // the registry for nothing (the gateway is not published), and the plugin's `codex-code-router` import resolves
  // to the running gateway.
  it('loads a packed plugin installed next to a router.config.ts, and its hook runs on a request', async () => {
    const plugin = pack(join(repoRoot, 'examples', 'ccrx-plugin-model-alias'), tmp).file;
    const project = join(tmp, 'my-gateway');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-gateway', private: true, type: 'module' }));
    const installed = npm(['install', plugin], project);
    expect(installed.stderr).not.toMatch(/npm (warn|error)/i);
    expect(readFileSync(join(repoRoot, 'docs', 'plugins.md'), 'utf8')).toContain('"peerDependenciesMeta": { "codex-code-router": { "optional": true } }');

    copyFileSync(join(repoRoot, 'test', 'fixtures', 'plugin-consumer', 'upstream-plugin.ts'), join(project, 'upstream-plugin.ts'));
    copyFileSync(join(repoRoot, 'test', 'fixtures', 'plugin-consumer', 'router.config.ts'), join(project, 'router.config.ts'));
    const mock = await startMockUpstream((_req, res) => sendSse(res, responsesTextStream('aliased')));
    mocks.push(mock);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const gw = await startListening('ccrx', ['serve', '--config', join(project, 'router.config.ts'), '--port', String(port)], { cwd: elsewhere, env: { ...env, MOCK_URL: mock.url }, url });
    running.push(gw);

    const health = (await (await fetch(`${url}/health`)).json()) as { providers: { default: { plugins: string[] } } };
    expect(health.providers.default.plugins).toEqual(['local-upstream', 'model-alias']);
    const res = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"fast"}' });
    expect(await res.text()).toContain('response.completed');
    expect(mock.requests[0]!.json()).toEqual({ model: 'upstream-model' });
  }, 120_000);
});
