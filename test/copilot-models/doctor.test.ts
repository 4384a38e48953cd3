import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDoctor, runDoctor } from '../../src/cli/doctor.js';
import authEnvBearer from '../../src/plugins/auth-env-bearer/index.js';
import copilotModels from '../../src/plugins/copilot-models/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import headerInjector from '../../src/plugins/header-injector/index.js';
import { startRouter, type StartedRouter } from '../support/router.js';
import { startMockCopilot, type MockCopilot } from './mock-copilot.js';

let copilot: MockCopilot;
let gw: StartedRouter;
let noAuth: StartedRouter;
const dirs: string[] = [];

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ccrx-doctor-'));
  dirs.push(dir);
  return dir;
}

function codexHome(baseUrl: string, model = 'gpt-5.1-codex'): string {
  const home = temp();
  writeFileSync(join(home, 'config.toml'), [`model = "${model}"`, 'model_provider = "ccrx"', '[model_providers.ccrx]', 'name = "codex-code-router"', `base_url = "${baseUrl}"`, 'wire_api = "responses"'].join('\n'));
  return home;
}

const chain = (token: string) => [[copilotUpstream, { responsesUrl: `${copilot.url}/responses`, modelsUrl: `${copilot.url}/models` }], [copilotModels, { modelsUrl: `${copilot.url}/models`, token: token || 'unused-token-0123456789' }], headerInjector, [authEnvBearer, { token, inboundAuth: 'off' }]] as const;

beforeAll(async () => {
  copilot = await startMockCopilot();
  gw = await startRouter({ plugins: [...chain('copilot-test-token-0123456789')] });
  noAuth = await startRouter({ plugins: [...chain('')] });
});
afterAll(async () => {
  await gw.close();
  await noAuth.close();
  await copilot.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const doctor = (url: string, env: Record<string, string>, o: { model?: string; request?: boolean } = {}) => runDoctor({ url, cwd: temp(), env: { HOME: temp(), ...env }, timeoutMs: 10_000, ...o });

describe('ccrx doctor', () => {
  it('passes every step against a healthy setup, with one real request', async () => {
    const steps = await doctor(gw.url, { CODEX_HOME: codexHome(`${gw.url.replace('127.0.0.1', 'localhost')}/v1`) });
    expect(steps.filter((s) => s.status === 'fail'), formatDoctor(steps)).toEqual([]);
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['config', 'ok'],
      ['service', 'ok'],
      ['health', 'ok'],
      ['auth', 'ok'],
      ['codex config', 'ok'],
      ['request', 'ok'],
    ]);
    expect(copilot.posts('/responses').at(-1)!.json()).toMatchObject({ model: 'gpt-5.1-codex', stream: true });
  });

  it('names the Codex config as the broken step when it points elsewhere', async () => {
    const steps = await doctor(gw.url, { CODEX_HOME: codexHome('http://127.0.0.1:1/v1') });
    const bad = steps.find((s) => s.status === 'fail')!;
    expect(bad.name).toBe('codex config');
    expect(bad.message).toContain('http://127.0.0.1:1/v1');
    expect(bad.fix).toContain('ccrx codex-config');
  });

  it('names the service when nothing answers, and skips what depends on it', async () => {
    const steps = await doctor('http://127.0.0.1:9', { CODEX_HOME: codexHome('http://127.0.0.1:9/v1') });
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['config', 'ok'],
      ['service', 'fail'],
      ['health', 'skip'],
      ['auth', 'skip'],
      ['codex config', 'skip'],
      ['request', 'skip'],
    ]);
    expect(steps[1]!.fix).toContain('ccrx start');
  });

  it('fails the config step with the real error of a plugin option that fails validation, as serve reports it', async () => {
    const dir = temp();
    const configFile = join(dir, 'router.config.json');
    writeFileSync(configFile, JSON.stringify({ providers: { ds: { plugins: [['chat-translator', { preset: 'deepseek', keepAliveMs: 'fast' }]] } } }));
    const steps = await runDoctor({ configFile, url: gw.url, cwd: dir, env: { HOME: temp(), CODEX_HOME: codexHome(`${gw.url}/v1`) }, timeoutMs: 10_000 });
    expect(steps[0]).toMatchObject({ name: 'config', status: 'fail' });
    expect(steps[0]!.message).toContain(`${configFile} > providers.ds.plugins[0] (chat-translator) > /keepAliveMs must be integer`);
    expect(steps.slice(1).every((s) => s.status === 'skip')).toBe(true);
  });

  it('flags a second provider block for the same gateway endpoint (README block pasted next to the written one)', async () => {
    const home = codexHome(`${gw.url}/v1`);
    writeFileSync(join(home, 'config.toml'), `${readFileSync(join(home, 'config.toml'), 'utf8')}\n[model_providers.copilot]\nname = "pasted"\nbase_url = "${gw.url.replace('127.0.0.1', 'localhost')}/v1/"\nwire_api = "responses"\n`);
    const steps = await doctor(gw.url, { CODEX_HOME: home }, { request: false });
    const step = steps.find((s) => s.name === 'codex config')!;
    expect(step.status).toBe('fail');
    expect(step.message).toContain('"copilot" and "ccrx" point at the same gateway endpoint');
    expect(step.fix).toContain('remove [model_providers.copilot]');
  });

  it('flags a default model the model catalogue lacks, and a catalogue Codex cannot read', async () => {
    const home = codexHome(`${gw.url}/v1`, 'gpt-5.2-codex');
    const catalog = join(home, 'ccrx-model-catalog.json');
    writeFileSync(catalog, JSON.stringify({ models: [{ slug: 'gpt-5.1-codex' }, { slug: 'claude-sonnet-4.5' }] }));
    writeFileSync(join(home, 'config.toml'), `model_catalog_json = ${JSON.stringify(catalog)}\n${readFileSync(join(home, 'config.toml'), 'utf8')}`);
    const lacking = (await doctor(gw.url, { CODEX_HOME: home }, { request: false })).find((s) => s.name === 'codex config')!;
    expect(lacking.status).toBe('fail');
    expect(lacking.message).toContain('the default model "gpt-5.2-codex" is not in the model catalogue');
    expect(lacking.message).toContain('gpt-5.1-codex, claude-sonnet-4.5');
    expect(lacking.fix).toContain('ccrx codex-config --write');

    // Codex matches by prefix: a dated variant of a listed slug has metadata.
    writeFileSync(join(home, 'config.toml'), readFileSync(join(home, 'config.toml'), 'utf8').replace('model = "gpt-5.2-codex"', 'model = "gpt-5.1-codex-2026"'));
    expect((await doctor(gw.url, { CODEX_HOME: home }, { request: false })).find((s) => s.name === 'codex config')!.status).toBe('ok');

    writeFileSync(catalog, '{ not json');
    const broken = (await doctor(gw.url, { CODEX_HOME: home }, { request: false })).find((s) => s.name === 'codex config')!;
    expect(broken.status).toBe('fail');
    expect(broken.message).toContain('Codex stops at start-up');
  });

  it('names auth when the gateway has no credential', async () => {
    const steps = await doctor(noAuth.url, { CODEX_HOME: codexHome(`${noAuth.url}/v1`) });
    const auth = steps.find((s) => s.name === 'auth')!;
    expect(auth.status).toBe('fail');
    expect(auth.fix).toContain('ccrx login');
    expect(steps.find((s) => s.name === 'request')!.status).toBe('skip');
  });

  it('names the request when the model cannot be served', async () => {
    const steps = await doctor(gw.url, { CODEX_HOME: codexHome(`${gw.url}/v1`) }, { model: 'claude-messages-only' });
    const request = steps.find((s) => s.name === 'request')!;
    expect(request.status).toBe('fail');
    expect(request.message).toContain('HTTP 400');
    expect(request.message).toContain('Models that work');
  });
});
