import { execFile } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger, loadRouter } from '../../src/index.js';
import { responsesTextStream, sendSse, startMockUpstream } from '../support/mock-upstream.js';
import { onCleanup } from './helpers.js';
import { startServe } from '../support/serve.js';
import { tempDir as makeTempDir } from '../support/temp.js';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..', '..');
const silent = createLogger({ level: 'silent', pretty: false });

const tempDir = () => makeTempDir('ccrx-cfg-');

async function mock() {
  const m = await startMockUpstream((_req, res) => void sendSse(res, responsesTextStream('ok')));
  onCleanup(() => m.close());
  return m;
}

describe('loading plugins', () => {
  it('loads a TypeScript config, a plugin by relative path and a plugin package installed as a file: dependency', async () => {
    const dir = tempDir();
    cpSync(join(repo, 'test/fixtures/plugin-consumer'), dir, { recursive: true });
    // The fixture's file: path is relative to its home in the repo; point it at the example package from here.
    const pkg = { name: 'plugin-consumer', private: true, type: 'module', dependencies: { 'ccrx-plugin-model-alias': `file:${join(repo, 'examples/ccrx-plugin-model-alias')}` } };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
    // No --legacy-peer-deps: the plugin's peer dependency on the gateway is optional, so npm fetches nothing.
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
    const m = await mock();
    const router = await loadRouter({ cwd: dir, env: { MOCK_URL: m.url }, overrides: { port: 0 }, logger: silent });
    onCleanup(() => router.close());
    const { url } = await router.listen();
    expect(router.config.file).toBe(join(dir, 'router.config.ts'));
    const res = await fetch(`${url}/v1/responses`, { method: 'POST', body: '{"model":"fast"}' });
    expect(await res.text()).toContain('response.completed');
    expect(m.requests[0]!.json()).toEqual({ model: 'upstream-model' });
    const health = (await (await fetch(`${url}/health`)).json()) as { providers: { default: { plugins: string[] } } };
    expect(health.providers.default.plugins).toEqual(['local-upstream', 'model-alias']);
  }, 60_000); // npm install of the plugin package takes its time on a busy machine

  it('finds JSON, YAML and package.json configs, and --config wins over the search', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', ccrx: { plugins: [], logLevel: 'warn' } }));
    expect((await loadRouter({ cwd: dir, overrides: { port: 0 }, logger: silent })).config.logLevel).toBe('warn');
    writeFileSync(join(dir, 'router.config.yaml'), 'logLevel: error\nplugins: []\n');
    expect((await loadRouter({ cwd: dir, overrides: { port: 0 }, logger: silent })).config.logLevel).toBe('error');
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ logLevel: 'debug', plugins: [] }));
    const explicit = await loadRouter({ cwd: dir, configFile: 'other.json', overrides: { port: 0 }, logger: silent });
    expect(explicit.config.logLevel).toBe('debug');
    expect(explicit.config.file).toBe(join(dir, 'other.json'));
  });

  it('feeds plugin options from environment variables; an explicit option wins', async () => {
    const dir = tempDir();
    cpSync(join(repo, 'test/fixtures/plugin-consumer/upstream-plugin.ts'), join(dir, 'upstream-plugin.ts'));
    writeFileSync(join(dir, 'router.config.json'), JSON.stringify({ plugins: ['./upstream-plugin.ts', [join(repo, 'examples/ccrx-plugin-model-alias/index.js'), { aliases: { a: 'b' } }]] }));
    const m = await mock();
    const router = await loadRouter({ cwd: dir, env: { MOCK_URL: m.url, MODEL_ALIAS_STRICT: 'yes' }, overrides: { port: 0 }, logger: silent });
    onCleanup(() => router.close());
    const { url } = await router.listen();
    expect((await fetch(`${url}/v1/responses`, { method: 'POST', body: '{"model":"zzz"}' })).status).toBe(400);

    writeFileSync(join(dir, 'router.config.json'), JSON.stringify({ plugins: ['./upstream-plugin.ts', [join(repo, 'examples/ccrx-plugin-model-alias/index.js'), { aliases: { a: 'b' }, strict: false }]] }));
    const relaxed = await loadRouter({ cwd: dir, env: { MOCK_URL: m.url, MODEL_ALIAS_STRICT: 'yes' }, overrides: { port: 0 }, logger: silent });
    onCleanup(() => relaxed.close());
    const second = await relaxed.listen();
    expect((await fetch(`${second.url}/v1/responses`, { method: 'POST', body: '{"model":"zzz"}' })).status).toBe(200);
  });
});

describe('config errors', () => {
  const cases: [string, string, RegExp][] = [
    ['bad option', `export default { plugins: [['${join(repo, 'examples/ccrx-plugin-model-alias/index.js')}', { aliases: { a: 1 } }]] };`, /router\.config\.mjs > plugins\[0\] \(model-alias\) > \/aliases\/a must be string/],
    ['unknown option', `export default { plugins: [['${join(repo, 'examples/ccrx-plugin-model-alias/index.js')}', { nope: true }]] };`, /plugins\[0\] \(model-alias\) > \/ must NOT have additional properties "nope"/],
    ['unknown plugin', `export default { plugins: ['no-such-plugin'] };`, /plugins\[0\]: plugin "no-such-plugin" is neither built-in/],
    ['bad top-level key', `export default { plugins: [], server: { port: 'x' } };`, /router\.config\.mjs > \/server\/port must be integer/],
    ['bad env value', `export default { plugins: [['${join(repo, 'examples/ccrx-plugin-model-alias/index.js')}', { aliases: { a: 'b' } }]] };`, /plugins\[0\] \(model-alias\) > environment variable MODEL_ALIAS_STRICT must be one of/],
  ];
  for (const [name, source, pattern] of cases) {
    it(`names the file, the plugin and the path: ${name}`, async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'router.config.mjs'), source);
      const env = name === 'bad env value' ? { MODEL_ALIAS_STRICT: 'maybe' } : {};
      await expect(loadRouter({ cwd: dir, env, overrides: { port: 0 }, logger: silent })).rejects.toThrow(pattern);
    });
  }

  it('the CLI exits non-zero with the message and without starting', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'router.config.mjs'), `export default { plugins: [], server: { port: 'x' } };`);
    const result = await run(process.execPath, [join(repo, 'bin/ccrx.js'), 'serve'], { cwd: dir }).catch((e: { code: number; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr).toMatch(/ccrx: router\.config\.mjs > \/server\/port must be integer/);
  });
});

describe('CLI basics', () => {
  it('--version and --help work', async () => {
    const version = await run(process.execPath, [join(repo, 'bin/ccrx.js'), '--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await run(process.execPath, [join(repo, 'bin/ccrx.js'), '--help']);
    expect(help.stdout + help.stderr).toMatch(/serve/);
  });

  it('a bad --port is one line on stderr, not a stack trace', async () => {
    const result = await run(process.execPath, [join(repo, 'bin/ccrx.js'), 'serve', '--port', 'abc'], { cwd: tempDir() }).catch((e: { code: number; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr.trim()).toBe('ccrx: --port must be an integer from 0 to 65535, got abc');
  });

  it("serve logs at the config file's logLevel", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'router.config.mjs'), `export default { logLevel: 'warn', plugins: [] };`);
    const gw = await startServe({ cwd: dir });
    onCleanup(async () => void (await gw.stop()));
    await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    await gw.stop();
    // At warn: the failed request's line, but not the info lines (listening, request completed).
    expect(gw.log()).toContain('request ended: error');
    expect(gw.log()).not.toContain('codex-code-router listening');
  });

  it('refuses a non-loopback bind without --allow-remote', async () => {
    const dir = tempDir();
    const result = await run(process.execPath, [join(repo, 'bin/ccrx.js'), 'serve', '--host', '0.0.0.0', '--port', '0'], { cwd: dir, env: { ...process.env, COPILOT_BEARER_TOKEN: 'x' } }).catch((e: { code: number; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr).toContain('--allow-remote');
  });
});
