import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockChat, type MockChat } from '../../test/support/mock-chat.js';
import { runChild } from '../../test/support/child.js';
import { USER_TOML } from '../../test/support/codex-toml.js';
import { freePort } from '../../test/support/ports.js';
import { startRouter } from '../../test/support/router.js';
import { buildModelInfo, validateCatalog } from '../codex/catalog.js';
import { codexConfig, writeCodexConfig } from './codex-config.js';

// A stand-in for the chat-translator: its chain's /models goes to the mock provider's OpenAI list, unchanged.
const fakeTranslatorSource = `
export const fakeTranslator = (listUrl) => ({
  name: 'chat-translator',
  apply(api) {
    api.hooks.request.tapPromise('chat-translator', async (ex) => {
      if (ex.inbound.route !== 'models') return { status: 404, body: { error: { message: 'no' } } };
      ex.upstream.url = new URL(listUrl);
      ex.upstream.method = 'GET';
      ex.upstream.body = undefined;
      return undefined;
    });
  },
});`;

let dir: string;
let chat: MockChat;

function writeConfig(port: number, extra = ''): string {
  const file = join(dir, `router.config.${port}.mjs`);
  writeFileSync(join(dir, 'fake.mjs'), fakeTranslatorSource);
  writeFileSync(
    file,
    `import { fakeTranslator } from './fake.mjs';
export default {
  server: { port: ${port} ${extra} },
  providers: {
    deepseek: { plugins: [[fakeTranslator('${chat.baseUrl}/models'), { baseUrl: 'http://127.0.0.1:9/v1', modelMap: { 'gpt-5.4': 'deepseek-reasoner' }, keepAliveMs: 10000 }]] },
    synthetic: { plugins: [[fakeTranslator('http://127.0.0.1:9/models'), { preset: 'openrouter', models: ['hf:zai-org/GLM-4.6'], contextWindow: 200000 }]] },
  },
};`,
  );
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccrx-codex-config-'));
  chat = await startMockChat({ models: [{ id: 'deepseek-chat', contextLength: 65536 }, { id: 'deepseek-reasoner', contextLength: 131072, contextField: 'context_window' }] });
});
afterAll(async () => {
  await chat.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ccrx codex-config', () => {
  it('prints parseable TOML pointing Codex at the gateway, one provider per chain, and writes a valid catalogue', async () => {
    const port = await freePort();
    const catalogFile = join(dir, 'catalog-a.json');
    const result = await codexConfig({ configFile: writeConfig(port), catalogFile, cwd: dir, env: {} });
    const toml = parse(result.toml) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(toml.model_provider).toBe('ccrx-deepseek');
    expect(toml.model).toBe('deepseek-chat');
    expect(toml.model_catalog_json).toBe(catalogFile);
    expect(toml.model_properties).toBeUndefined();
    expect(toml.model_providers['ccrx-deepseek']).toMatchObject({ base_url: `http://127.0.0.1:${port}/deepseek/v1`, wire_api: 'responses', supports_websockets: false, request_max_retries: 4, stream_max_retries: 5, stream_idle_timeout_ms: 60000 });
    expect(toml.model_providers['ccrx-synthetic']).toMatchObject({ base_url: `http://127.0.0.1:${port}/synthetic/v1`, stream_idle_timeout_ms: 60000 });

    const written = JSON.parse(readFileSync(catalogFile, 'utf8'));
    expect(validateCatalog(written).valid).toBe(true);
    const bySlug = Object.fromEntries(written.models.map((m: { slug: string }) => [m.slug, m]));
    // Context windows as the upstream reports them, whatever the field name; a mapped slug inherits its target's.
    expect(bySlug['deepseek-chat']).toMatchObject({ context_window: 65536, apply_patch_tool_type: 'freeform' });
    expect(bySlug['deepseek-reasoner'].context_window).toBe(131072);
    expect(bySlug['gpt-5.4'].context_window).toBe(131072);
    // The second chain's upstream is down: its options still give a usable entry.
    expect(bySlug['hf:zai-org/GLM-4.6'].context_window).toBe(200000);
    expect(result.notes.join('\n')).toMatch(/provider synthetic: GET .* answered 502|provider synthetic: cannot list models/);
    // The gateway was not running: the models came through an in-process copy, with Codex's client_version.
    expect(chat.allRequests.some((r) => r.url === '/v1/models')).toBe(true);
  });

  it('asks the running gateway when it is up, and honours --provider, --model and a local API key', async () => {
    const running = await startRouter({ providers: { deepseek: { plugins: [await import(join(dir, 'fake.mjs')).then((m) => m.fakeTranslator(`${chat.baseUrl}/models`))] } } });
    const port = Number(new URL(running.url).port);
    try {
      const result = await codexConfig({ configFile: writeConfig(port), provider: 'deepseek', model: 'deepseek-reasoner', catalogFile: join(dir, 'catalog-b.json'), cwd: dir, env: {} });
      expect(result.notes.join('\n')).toContain(`from http://127.0.0.1:${port}/deepseek/v1/models?client_version=0.169.0`);
      const toml = parse(result.toml) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(Object.keys(toml.model_providers)).toEqual(['ccrx-deepseek']);
      expect(toml.model).toBe('deepseek-reasoner');
    } finally {
      await running.close();
    }
    const keyed = await codexConfig({ configFile: writeConfig(await freePort(), ", apiKey: 'local-key-0123456789'"), provider: 'deepseek', catalogFile: join(dir, 'catalog-c.json'), cwd: dir, env: {} });
    const toml = parse(keyed.toml) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(toml.model_providers['ccrx-deepseek'].env_http_headers).toEqual({ 'x-ccrx-api-key': 'CCRX_API_KEY' });
    expect(keyed.toml).not.toContain('local-key-0123456789');
    expect(keyed.catalog.models.length).toBeGreaterThan(0);
  });

  it('fails cleanly for an unknown provider', async () => {
    await expect(codexConfig({ configFile: writeConfig(await freePort()), provider: 'nope', catalogFile: join(dir, 'x.json'), cwd: dir, env: {} })).rejects.toThrow(/no provider named nope; the config has: default, deepseek, synthetic/);
  });

  it('reports a plugin option that fails validation as serve does (file, plugin, option), not as "no model is known"', async () => {
    const file = join(dir, 'router.config.bad-option.json');
    writeFileSync(file, JSON.stringify({ server: { port: await freePort() }, providers: { ds: { plugins: [['chat-translator', { preset: 'deepseek', keepAliveMs: 'fast' }]] } } }));
    const catalogFile = join(dir, 'bad-option-catalog.json');
    const failure = codexConfig({ configFile: file, catalogFile, cwd: dir, env: {} });
    await expect(failure).rejects.toThrow(/router\.config\.bad-option\.json > providers\.ds\.plugins\[0\] \(chat-translator\) > \/keepAliveMs must be integer/);
    await expect(failure).rejects.not.toThrow(/no model is known/);
    expect(existsSync(catalogFile)).toBe(false);
  });

  it('writes no empty catalogue (it would hide every Codex model) when no chain can name a model', async () => {
    const file = join(dir, 'router.config.empty.mjs');
    writeFileSync(file, `export default { server: { port: ${await freePort()} } };`);
    const catalogFile = join(dir, 'empty-catalog.json');
    const env = { COPILOT_TOKEN_FILE: join(dir, 'no-such-tokens.json'), COPILOT_MODELS_URL: 'http://127.0.0.1:9/models', COPILOT_QUOTA_URL: 'http://127.0.0.1:9/quota' };
    await expect(codexConfig({ configFile: file, catalogFile, cwd: dir, env })).rejects.toThrow(/no model is known for the top-level chain, so no catalogue was written/);
    expect(existsSync(catalogFile)).toBe(false);
  });

  it('keeps the 5-minute idle timeout for the Copilot chain, whose routed translator does not keep every stream alive', async () => {
    const file = join(dir, 'router.config.models.mjs');
    writeFileSync(file, `export default { server: { port: ${await freePort()} }, plugins: ['chat-translator'] };`);
    const result = await codexConfig({ configFile: file, model: 'some-model', catalogFile: join(dir, 'routed.json'), cwd: dir, env: {} });
    expect(result.plan.providers.ccrx).toMatchObject({ stream_idle_timeout_ms: 300000 });
  });
});

const root = fileURLToPath(new URL('../..', import.meta.url));

function codexHome(name: string, toml?: string): string {
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  if (toml !== undefined) writeFileSync(join(home, 'config.toml'), toml);
  return home;
}

const backups = (home: string) => readdirSync(home).filter((f) => f.startsWith('config.toml.bak-'));

/** The real Codex first on PATH: --write reads its bundled model list (`codex debug models --bundled`). */
const withCodex = { PATH: [join(root, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter) };
const run = (cmd: string, args: string[], env: Record<string, string>) => runChild(cmd, args, { ...withCodex, ...env }, 30_000, { cwd: dir });
const codex = (args: string[], env: Record<string, string>) => run(join(root, 'node_modules', '.bin', 'codex'), args, env);
const slugsOf = (stdout: string) => (JSON.parse(stdout) as { models: { slug: string }[] }).models.map((m) => m.slug);

describe('ccrx codex-config --write', () => {
  it('adds our blocks to config.toml keeping comments and other settings, with a backup; a second run is a no-op', async () => {
    const home = codexHome('write', USER_TOML);
    const file = join(home, 'config.toml');
    const configFile = writeConfig(await freePort());
    const first = await writeCodexConfig({ configFile, codexHome: home, cwd: dir, env: withCodex });
    expect(first.changed).toBe(true);
    const after = readFileSync(file, 'utf8');
    // Every original line is still there, in order, byte for byte; only `model` follows the new default provider.
    let at = 0;
    for (const line of USER_TOML.split('\n')) {
      if (line.startsWith('model = "gpt-5.4"')) continue;
      const found = after.split('\n').indexOf(line, at);
      expect(found, line).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
    const toml = parse(after) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(toml).toMatchObject({ model_provider: 'ccrx-deepseek', model: 'deepseek-chat', model_catalog_json: join(home, 'ccrx-model-catalog.json'), approval_policy: 'on-request' });
    expect(toml.model_providers['ccrx-deepseek']).toMatchObject({ base_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/deepseek\/v1$/), wire_api: 'responses' });
    expect(toml.model_providers['ccrx-synthetic'].base_url).toMatch(/\/synthetic\/v1$/);
    expect(toml.model_providers['ollama-local']).toEqual({ name: 'Ollama', base_url: 'http://localhost:11434/v1' });
    expect(toml.profiles.fast).toEqual({ model: 'gpt-5.4-mini', model_reasoning_effort: 'low' });
    expect(validateCatalog(JSON.parse(readFileSync(join(home, 'ccrx-model-catalog.json'), 'utf8'))).valid).toBe(true);
    expect(backups(home)).toHaveLength(1);
    expect(readFileSync(join(home, backups(home)[0]!), 'utf8')).toBe(USER_TOML);
    expect(first.backup).toBe(join(home, backups(home)[0]!));

    const second = await writeCodexConfig({ configFile, codexHome: home, cwd: dir, env: withCodex });
    expect(second).toMatchObject({ changed: false, catalogChanged: false, diff: '' });
    expect(readFileSync(file, 'utf8')).toBe(after);
    expect(backups(home)).toHaveLength(1);
  });

  it('--dry-run shows a unified diff and writes nothing', async () => {
    const home = codexHome('dry', USER_TOML);
    const result = await writeCodexConfig({ configFile: writeConfig(await freePort()), codexHome: home, cwd: dir, env: withCodex, dryRun: true });
    expect(result.diff).toMatch(/^--- .*config\.toml\tcurrent\n\+\+\+ .*config\.toml\tafter --write\n@@ /);
    expect(result.diff).toContain('\n+[model_providers.ccrx-deepseek]\n');
    expect(result.diff).toContain('\n-model = "gpt-5.4" # my favourite\n+model = "deepseek-chat" # my favourite\n');
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toBe(USER_TOML);
    expect(readdirSync(home)).toEqual(['config.toml']);
  });

  it('updates an existing block with a stale port in place, keeping the comments inside it and the chosen default', async () => {
    const port = await freePort();
    const stale = `model_provider = "openai" # I keep OpenAI as default

[model_providers.ccrx-deepseek]
# routed through the local gateway
name = "DeepSeek via ccrx" # my name for it
base_url = "http://127.0.0.1:3456/deepseek/v1" # the old port
wire_api = "responses"
supports_websockets = false
request_max_retries = 4
stream_max_retries = 5
stream_idle_timeout_ms = 60000
`;
    const home = codexHome('stale', stale);
    const result = await writeCodexConfig({ configFile: writeConfig(port), provider: 'deepseek', codexHome: home, cwd: dir, env: withCodex });
    const after = readFileSync(join(home, 'config.toml'), 'utf8');
    expect(after).toContain(`base_url = "http://127.0.0.1:${port}/deepseek/v1" # the old port\n`);
    expect(after).toContain('# routed through the local gateway\nname = "DeepSeek via ccrx" # my name for it\n');
    expect(after.startsWith('model_provider = "openai" # I keep OpenAI as default\n')).toBe(true);
    expect(after.match(/\[model_providers\.ccrx-deepseek\]/g)).toHaveLength(1);
    expect(result.changes).toEqual([`model_catalog_json = "${join(home, 'ccrx-model-catalog.json')}"`, 'updated [model_providers.ccrx-deepseek]']);
    expect(result.notes.join('\n')).toContain('kept model_provider = "openai"; pass --set-default to make ccrx-deepseek the default');

    const switched = await writeCodexConfig({ configFile: writeConfig(port), provider: 'deepseek', codexHome: home, cwd: dir, env: withCodex, setDefault: true });
    expect(parse(readFileSync(join(home, 'config.toml'), 'utf8'))).toMatchObject({ model_provider: 'ccrx-deepseek', model: 'deepseek-chat' });
    expect(switched.changes).toEqual(['model_provider = "ccrx-deepseek" (was "openai")', 'model = "deepseek-chat"']);
  });

  it('leaves a config.toml that does not parse untouched, with a clear error', async () => {
    const broken = 'model = "gpt-5.4"\n[model_providers.mine\nname = "x"\n';
    const home = codexHome('broken', broken);
    await expect(writeCodexConfig({ configFile: writeConfig(await freePort()), codexHome: home, cwd: dir, env: withCodex })).rejects.toThrow(/config\.toml is not valid TOML, so it was left untouched; fix it and run again:\n.*[\s\S]*2:/);
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toBe(broken);
    expect(readdirSync(home)).toEqual(['config.toml']); // no backup, no catalogue either
  });

  it('creates config.toml when there is none', async () => {
    const home = join(dir, 'fresh', 'codex');
    const result = await writeCodexConfig({ configFile: writeConfig(await freePort()), provider: 'deepseek', codexHome: home, cwd: dir, env: withCodex });
    expect(result.created).toBe(true);
    expect(parse(readFileSync(join(home, 'config.toml'), 'utf8'))).toMatchObject({ model_provider: 'ccrx-deepseek', model_catalog_json: join(home, 'ccrx-model-catalog.json') });
    expect(backups(home)).toEqual([]);
  });

  it("keeps the models of the user's own model_catalog_json, on this run and the next, as the real Codex reads them", async () => {
    const mine = join(dir, 'my-catalog.json');
    writeFileSync(mine, JSON.stringify({ models: [buildModelInfo({ slug: 'my-local-model', contextWindow: 32000 })] }));
    const home = codexHome('own-catalog', `model_provider = "openai"\nmodel_catalog_json = ${JSON.stringify(mine)}\n`);
    const before = slugsOf((await codex(['debug', 'models'], { CODEX_HOME: home })).stdout);
    expect(before).toEqual(['my-local-model']);
    const configFile = writeConfig(await freePort());
    const first = await writeCodexConfig({ configFile, codexHome: home, cwd: dir, env: withCodex });
    expect(first.notes.join('\n')).toContain(`config.toml named model_catalog_json = ${mine}; its 1 other model(s) are carried into`);
    const after = slugsOf((await codex(['debug', 'models'], { CODEX_HOME: home })).stdout);
    expect(after).toEqual(expect.arrayContaining(['my-local-model', 'deepseek-chat']));
    // config.toml now names our catalogue; the next run still carries the user's model, and the user's file is untouched.
    await writeCodexConfig({ configFile, codexHome: home, cwd: dir, env: withCodex });
    expect(slugsOf((await codex(['debug', 'models'], { CODEX_HOME: home })).stdout)).toEqual(expect.arrayContaining(['my-local-model', 'deepseek-chat']));
    expect(JSON.parse(readFileSync(mine, 'utf8')).models).toHaveLength(1);
  }, 60_000);

  it('asks before writing a catalogue that would hide every other model (no Codex to read the bundled list from)', async () => {
    const home = codexHome('no-codex', 'model_provider = "openai"\n');
    const configFile = writeConfig(await freePort());
    const noCodex = { PATH: '' };
    await expect(writeCodexConfig({ configFile, codexHome: home, cwd: dir, env: noCodex })).rejects.toThrow(/nothing was written: Codex's bundled model list could not be read .*other providers \(openai included\) would lose their model metadata.*pass --yes/);
    expect(readdirSync(home)).toEqual(['config.toml']);
    const asked: string[] = [];
    await expect(writeCodexConfig({ configFile, codexHome: home, cwd: dir, env: noCodex, confirm: async (q) => (asked.push(q), false) })).rejects.toThrow(/nothing was written/);
    expect(asked[0]).toMatch(/Write it anyway\? \[y\/N\] $/);
    const yes = await writeCodexConfig({ configFile, codexHome: home, cwd: dir, env: noCodex, yes: true });
    expect(yes.changed).toBe(true);
    expect(parse(readFileSync(join(home, 'config.toml'), 'utf8'))).toMatchObject({ model_catalog_json: join(home, 'ccrx-model-catalog.json') });
  });

  // Needs the build (`npm run build`): the CLI runs from dist/, and the real Codex reads what it wrote.
  it('through the CLI with CODEX_HOME: says what it did, is idempotent, fails cleanly; the real Codex accepts the result', async () => {
    const home = codexHome('cli', USER_TOML);
    const env = { CODEX_HOME: home, HOME: dir };
    const args = [join(root, 'bin', 'ccrx.js'), 'codex-config', '--config', writeConfig(await freePort()), '--write'];
    const first = await run(process.execPath, args, env);
    expect(first.stderr).not.toMatch(/Error|at /);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`updated ${join(home, 'config.toml')}:\n  model_provider = "ccrx-deepseek"\n`);
    expect(first.stdout).toMatch(/backup: .*config\.toml\.bak-\d{8}T\d{6}Z\n/);
    const second = await run(process.execPath, args, env);
    expect(second.stdout).toContain(`${join(home, 'config.toml')} is already up to date; nothing changed\n`);
    expect(backups(home)).toHaveLength(1);

    const models = await codex(['debug', 'models'], env);
    expect(models.code, models.stderr).toBe(0);
    const slugs = slugsOf(models.stdout);
    expect(slugs).toEqual(expect.arrayContaining(['deepseek-chat', 'deepseek-reasoner', 'gpt-5.4', 'hf:zai-org/GLM-4.6']));
    // model_catalog_json replaces Codex's list for every provider: the written file still holds every bundled model.
    const bundled = slugsOf((await codex(['debug', 'models', '--bundled'], env)).stdout);
    expect(bundled.length).toBeGreaterThan(3);
    expect(slugs).toEqual(expect.arrayContaining(bundled));

    const brokenHome = codexHome('cli-broken', 'model = \n');
    const broken = await run(process.execPath, [...args, '--codex-home', brokenHome], env);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`ccrx: ${join(brokenHome, 'config.toml')} is not valid TOML, so it was left untouched; fix it and run again:`);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(brokenHome, 'ccrx-model-catalog.json'))).toBe(false);
  });
});
