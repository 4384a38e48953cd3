import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockChat, type MockChat } from '../../test/support/mock-chat.js';
import { startRouter } from '../../test/support/router.js';
import { validateCatalog } from '../codex/catalog.js';
import { codexConfig } from './codex-config.js';

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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function writeConfig(port: number, extra = ''): string {
  const file = join(dir, `router.config.${port}.mjs`);
  writeFileSync(join(dir, 'fake.mjs'), fakeTranslatorSource);
  writeFileSync(
    file,
    `import { fakeTranslator } from './fake.mjs';
export default {
  server: { port: ${port} ${extra} },
  providers: {
    deepseek: { plugins: [[fakeTranslator('${chat.baseUrl}/models'), { modelMap: { 'gpt-5.4': 'deepseek-reasoner' }, keepAliveMs: 10000 }]] },
    synthetic: { plugins: [[fakeTranslator('http://127.0.0.1:9/models'), { models: ['hf:zai-org/GLM-4.6'], contextWindow: 200000 }]] },
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
});
